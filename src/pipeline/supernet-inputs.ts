/**
 * What the NB201 supernet experiments (BN-NAS, fair-BN, isometry, the weight-sharing study)
 * share besides the runner (supernet-runner.ts): their ground truth, their scale, their cells,
 * and the context their stand-alone entry points build.
 *
 * - Ground truth: cifar10-valid x-valid after 200 epochs (NB201 v1.0), the one the NASWOT
 *   experiment uses.
 * - Scale (our choice for a 2-core CPU; every row says so): a supernet of C=8, N=1 (NB201 uses
 *   C=16, N=5), 300 BN-only steps at batch 64 on the 4,000 CIFAR-10 training images of the
 *   shared data (~5 epochs), against BN-NAS's 10 ImageNet epochs at batch 512. `--full`: NB201's
 *   own macro-structure for 625 steps (10 epochs of the 4,000 images, BN-NAS's epoch count).
 *   The experiments use the same scale so that they share the original-space BN-only
 *   checkpoint.
 * - Cells: a prefix of the run's seeded sample (itself a uniform sample); the experiments whose
 *   indicators cost about a second per cell (fair-BN's parts) keep a sample under FULL too.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import type { MetricQuery } from '../benchmarks/store.ts';
import { datasetDir, DATASET_SOURCES } from '../datasets/load.ts';
import { parseBackendName } from '../engine/backend.ts';
import { isConvOp, type NB201Op } from '../models/nb201-cell.ts';
import { PublishedTable } from '../report/published.ts';
import { selectNB201Cells, type CellSelection } from '../scoring/cell-selection.ts';
import { archStringFromIndex, cellFromIndex } from '../spaces/nb201-index.ts';
import { NB201_NUM_CELLS } from '../spaces/nb201.ts';
import { DataError } from '../util/errors.ts';
import { nb201ExperimentContext, positive, type ExperimentContext } from './context.ts';
import { openBenchmarkStore } from './data-sources.ts';
import { groundTruth, valuesAt } from './ground-truth.ts';
import type { SupernetCells } from './supernet-runner.ts';

export const BN_NAS_TRUTH: MetricQuery = { dataset: 'cifar10-valid', split: 'x-valid', epochs: 200 };

/** The supernet scale of the default run and of `--full` (see the header). */
export const NB201_SUPERNET_SCALE = Object.freeze({ steps: 300, C: 8, N: 1, batchSize: 64, snapshots: 6, trainSeed: 0 });
export const NB201_SUPERNET_FULL_SCALE = Object.freeze({ steps: 625, C: 16, N: 5, batchSize: 64, snapshots: 10, trainSeed: 0 });

/** CIFAR-10's class count: the supernets' classifier width (part of every checkpoint's identity). */
export const CIFAR10_CLASSES = 10;

/** The first `n` cells of the run's selection (all of it for FULL or a list). */
export function selectionPrefix(ctx: ExperimentContext, n: number | undefined): number[] {
  const cells = selectNB201Cells(ctx.selection);
  return n !== undefined && ctx.selection.kind === 'sample' ? cells.slice(0, Math.min(n, cells.length)) : cells;
}

/**
 * `n` cells for an indicator too slow for every cell: the first `n` of the run's sample (a prefix
 * of a seeded uniform sample is one too, and these cells are among BN-NAS's), or under FULL
 * (selection 'all') a seeded sample of `n` rather than all 15,625. Pass n = 15625 for every cell.
 */
export function sampledCells(ctx: ExperimentContext, n: number): number[] {
  if (ctx.selection.kind === 'all') return selectNB201Cells({ kind: 'sample', size: n, seed: 0 });
  return selectionPrefix(ctx, n);
}

/** The population identity of cells chosen by selectionPrefix / sampledCells. */
function populationOf(ctx: ExperimentContext, indices: readonly number[]): { id: string; description: string } {
  if (ctx.selection.kind === 'all' && indices.length === NB201_NUM_CELLS) return { id: 'nb201:all', description: 'all cells of the space' };
  if (ctx.selection.kind === 'all') return { id: `nb201:sample(${indices.length},seed=0)`, description: `a seeded sample (seed 0), not all ${NB201_NUM_CELLS.toLocaleString('en')}` };
  const whole = ctx.cells.tasks.length;
  return indices.length === whole
    ? { id: ctx.cells.id, description: ctx.cells.description }
    : { id: `${ctx.cells.id}[:${indices.length}]`, description: `the first ${indices.length} of ${ctx.cells.description}` };
}

/** The NB201 cells of a supernet spec: keys (index, arch), their CIFAR-10 accuracy, conv shares. */
export function nb201SupernetCells(ctx: ExperimentContext, indices: readonly number[]): SupernetCells<readonly NB201Op[]> {
  const truth = groundTruth(ctx.store, BN_NAS_TRUTH);
  const cells = indices.map((i) => cellFromIndex(i).ops);
  return {
    cells,
    keys: [
      { name: 'index', values: [...indices] },
      { name: 'arch', values: indices.map((i) => archStringFromIndex(i)) },
    ],
    population: populationOf(ctx, indices),
    truth: 'missing' in truth ? truth : { label: truth.label, y: valuesAt(truth.values, [...indices]) },
    convFraction: Float64Array.from(cells, (c) => c.filter(isConvOp).length / c.length),
  };
}

/** Why the CIFAR-10 images or the ground truth are unavailable, or undefined when both are there. */
export function unavailable(ctx: ExperimentContext): string | undefined {
  const dir = datasetDir(ctx.dataDir, 'cifar10');
  if (!existsSync(dir)) return `data not present: no cifar10 images in ${dir} (${DATASET_SOURCES.cifar10.whereToGetIt})`;
  const truth = groundTruth(ctx.store, BN_NAS_TRUTH);
  if ('missing' in truth) return `ground truth not in store: ${truth.missing}`;
  return undefined;
}

/** The options every NB201 supernet experiment's own entry point takes (reproduceCommand's and its own). */
export interface StandaloneOptions {
  data: string;
  storeDir: string;
  store?: string;
  skipChecksum?: boolean;
  sampleSeed: string;
  backend?: string;
  out: string;
  cacheDir: string;
  full?: boolean;
  steps?: string;
  cells?: string;
}

/** The context the reproduce runner would hand over, for a run of one experiment alone. */
export async function standaloneContext(o: StandaloneOptions, defaultCells: number): Promise<{ ctx: ExperimentContext; cells: number | undefined }> {
  const cells = positive(o.cells, '--cells') ?? defaultCells;
  const selection: CellSelection = o.full ? { kind: 'all' } : { kind: 'sample', size: cells, seed: Number(o.sampleSeed) };
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const ctx: ExperimentContext = nb201ExperimentContext({
    dataDir: o.data,
    store: (await openBenchmarkStore({ benchmark: 'nb201', data: o.data, storeDir: o.storeDir, store: o.store, skipChecksum: o.skipChecksum })).store,
    published: PublishedTable.load(path.join(repo, 'reference', 'published.csv')),
    selection,
    cacheDir: o.cacheDir,
    outDir: o.out,
    backend: parseBackendName(o.backend),
  });
  return { ctx, cells: o.full ? undefined : cells };
}

/** Options left undefined keep their defaults (a spread would overwrite them with undefined). */
export function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Positive numbers from a comma-separated option ('1,2,4'), or undefined when absent. */
export function positiveList(v: string | undefined, flag: string): number[] | undefined {
  if (v === undefined) return undefined;
  const list = v.split(',').map((x) => Number(x));
  if (list.some((m) => !(m > 0))) throw new DataError(`${flag} must be positive numbers, got ${v}`);
  return list;
}

/**
 * Where a space's supernet checkpoints live under the cache. One definition: the experiments
 * share the original-space BN-only checkpoint only because they all look in the same folder.
 */
export function supernetCheckpointDir(cacheDir: string, benchmark: 'nb201' | 'nb101'): string {
  return path.join(cacheDir, benchmark === 'nb201' ? 'supernets' : 'supernets-nb101');
}
