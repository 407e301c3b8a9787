/**
 * The context every NB101 experiment gets from `make reproduce-nb101` (experiments/
 * reproduce-nb101.ts), and what the NB101 experiments derive from it: their cells (the NB101
 * candidates: a finite 108-epoch validation accuracy and a known matrix, src/pipeline/
 * nb101-population.ts), the correlation runner's context, the CIFAR-10 dataset plan with the
 * merged validation accuracy; and the supernet experiments' cells, scale, supernet and BN-NAS
 * indicator.
 */
import type { BenchmarkStore } from '../benchmarks/store.ts';
import type { BackendName } from '../engine/backend.ts';
import type { PublishedTable } from '../report/published.ts';
import type { CorrelationContext } from './context.ts';
import type { DatasetPlan } from './correlation-runner.ts';
import { originWithFiles } from './ground-truth.ts';
import { nb101BnNasScoresAt, nb101CellOps, type NB101CellOp } from '../proxies/bn-nas-nb101.ts';
import { validateSpec, type ModelSpec } from '../spaces/nb101.ts';
import type { NB101Supernet, NB101SupernetOptions } from '../supernet/nb101-supernet.ts';
import type { SnapshotIndicator, SupernetCells } from './supernet-runner.ts';
import { nb101Candidates, nb101Population, nb101ValidationTruth, sampleNB101, type NB101Candidate } from './nb101-population.ts';

export interface NB101ExperimentContext {
  dataDir: string;
  store: BenchmarkStore;
  /** The enumerated space, to give hash-only rows their matrices (optional). */
  space?: BenchmarkStore;
  published: PublishedTable;
  /** Cells to score: a sample size, or undefined for all cells with ground truth. */
  sample?: number;
  sampleSeed: number;
  stemChannels: number;
  batchSize?: number;
  cacheDir: string;
  outDir: string;
  backend?: BackendName;
  workers?: number;
  /** Seed lists (default [0]): correlation rows show mean ± std over every init x batch pair. */
  initSeeds?: number[];
  batchSeeds?: number[];
  /** Cells the extra seed pairs score (a prefix of each proxy's cells). */
  seedCells?: number;
}

export type Candidate = NB101Candidate;

/** Cells with a finite 108-epoch validation accuracy and a known matrix; counts the join. */
export function candidates(ctx: NB101ExperimentContext): ReturnType<typeof nb101Candidates> {
  return nb101Candidates(ctx.store, ctx.space);
}

/** The supernet experiments' cells: all candidates, or a seeded sample of `ctx.sample` in store order. */
export function chosenCells(ctx: NB101ExperimentContext, all: Candidate[] = candidates(ctx).cells): Candidate[] {
  return sampleNB101(all, ctx.sample, ctx.sampleSeed).sort((a, b) => a.row - b.row);
}

/** The correlation runner's context: the seeded sample in sample order (every prefix uniform). */
export function nb101CorrelationContext(ctx: NB101ExperimentContext, all: NB101Candidate[] = candidates(ctx).cells): CorrelationContext {
  const cells = sampleNB101(all, ctx.sample, ctx.sampleSeed);
  return {
    space: 'nb101',
    dataDir: ctx.dataDir,
    store: ctx.store,
    published: ctx.published,
    cells: nb101Population(ctx.store, cells, all.length, { size: ctx.sample, seed: ctx.sampleSeed }),
    full: ctx.sample === undefined,
    cacheDir: ctx.cacheDir,
    outDir: ctx.outDir,
    ...(ctx.backend ? { backend: ctx.backend } : {}),
    ...(ctx.workers ? { workers: ctx.workers } : {}),
    initSeeds: ctx.initSeeds ?? [0],
    batchSeeds: ctx.batchSeeds ?? [0],
    seedCells: ctx.seedCells ?? cells.length,
    ...(ctx.batchSize ? { batchSize: ctx.batchSize } : {}),
    nb101StemChannels: ctx.stemChannels,
  };
}

/** CIFAR-10 with the merged validation accuracy, as every NB101 correlation experiment uses it. */
export function nb101Cifar10(published: string, note = 'validation (not test) accuracy of a single run'): DatasetPlan {
  return {
    images: 'cifar10',
    reportName: 'cifar10',
    truths: [{ query: { dataset: 'cifar10', split: 'valid', epochs: 108 }, published, note, resolve: nb101ValidationTruth }],
  };
}

/**
 * The NB101 cells of a supernet spec (src/pipeline/supernet-runner.ts): the candidates' pruned
 * specs as the supernet's paths, keyed by hash, with their merged validation accuracy and the
 * share of convolutions among their interior vertices (max-pool is the one non-conv op).
 * `population`: their identity and description (chosenCells' sample, or a sample of it).
 */
export function nb101SupernetCells(ctx: NB101ExperimentContext, cells: readonly Candidate[], population: { id: string; description: string }): SupernetCells<ModelSpec> {
  const specs = cells.map((c) => validateSpec(c.spec));
  const origins = [...new Set(cells.map((c) => c.origin))].map((o) => originWithFiles(ctx.store, o)).join(' / ');
  return {
    cells: specs,
    keys: [{ name: 'hash', values: cells.map((c) => c.hash) }],
    population,
    truth: { label: `cifar10 valid 108ep, one training run (${origins})`, y: Float64Array.from(cells, (c) => c.accuracy) },
    convFraction: Float64Array.from(specs, (s) => {
      const interior = s.ops.slice(1, -1);
      return interior.length === 0 ? 0 : interior.filter((o) => o !== 'maxpool3x3').length / interior.length;
    }),
  };
}

/** The population of chosenCells(ctx), as the correlation runner names the same cells. */
export function chosenPopulation(ctx: NB101ExperimentContext, chosen: readonly Candidate[], total: number): { id: string; description: string } {
  return chosen.length < total
    ? { id: `nb101:sample(${chosen.length},seed=${ctx.sampleSeed})`, description: `${chosen.length} of the ${total} NB101 cells with ground truth and a matrix, sampled uniformly (seed ${ctx.sampleSeed})` }
    : { id: `nb101:all(${chosen.length})`, description: `all ${chosen.length} NB101 cells with ground truth and a matrix` };
}

// What the NB101 supernet experiments (nb101-bn-nas.ts, nb101-fair-bn.ts) share: the scale, the
// supernet (the same options give the same checkpoint) and the BN-NAS indicator.

export const NB101_SUPERNET_NOTE = 'NB101 supernet: our construction, channel-sliced weight sharing (src/supernet/nb101-supernet.ts)';

/** The default scale (our choice for a CPU; every row says so): 1 module per stack, 300 BN-only steps at batch 64 (~5 epochs of the 4,000 images), a 1x/2x ladder. */
export const NB101_BN_DEFAULTS = Object.freeze({ steps: 300, cellsPerStack: 1, batchSize: 64, ladder: [1, 2], snapshots: 6, trainSeed: 0 });
/** FULL=1: NB101's 3 modules per stack, 10 epochs of the 4,000 images, a 1x/2x/4x ladder. */
export const NB101_BN_FULL = Object.freeze({ steps: 625, cellsPerStack: 3, batchSize: 64, ladder: [1, 2, 4], snapshots: 10, trainSeed: 0 });

/** The supernet of both NB101 BN experiments (the same options give the same checkpoint; 10 classes: CIFAR-10). */
export function nb101SupernetOptions(ctx: NB101ExperimentContext, cellsPerStack: number, fair: boolean): NB101SupernetOptions {
  return { stemChannels: ctx.stemChannels, cellsPerStack, numClasses: 10, seed: 0, fair };
}

/**
 * The BN-NAS indicator of NB101 cells at a snapshot. The cells' vertex ops and widths depend
 * only on the supernet's module shapes, the same for every training of these options (fair or
 * not), so they are computed once per supernet shape, not per snapshot.
 */
export function nb101BnNas(training: string, row: SnapshotIndicator<ModelSpec, NB101Supernet>['row'], snapshot: 'final' | 'initial' = 'final', curve = false): SnapshotIndicator<ModelSpec, NB101Supernet> {
  let ops: { shape: string; cells: readonly ModelSpec[]; ops: NB101CellOp[][] } | undefined;
  return {
    training,
    snapshot,
    row,
    curve,
    scoreAt: (s, run, cells) => {
      const shape = JSON.stringify(run.supernet.modules);
      if (ops?.shape !== shape || ops.cells !== cells) ops = { shape, cells, ops: cells.map((c) => nb101CellOps(run.supernet.modules, c)) };
      return nb101BnNasScoresAt(run.supernet, s, ops.ops);
    },
  };
}
