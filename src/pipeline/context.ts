/**
 * What every experiment gets from the runner (`make reproduce-nb201`): where the data, the store,
 * the cache and the results are, which cells to score, and the engine settings.
 */
import type { BenchmarkStore } from '../benchmarks/store.ts';
import type { BackendName } from '../engine/backend.ts';
import type { PublishedTable } from '../report/published.ts';
import { describeSelection, selectNB201Cells, type CellSelection } from '../scoring/cell-selection.ts';
import { nb201Tasks } from '../scoring/score-cells.ts';
import { NB201_NUM_CELLS } from '../spaces/nb201.ts';
import type { ScoreTask } from '../scoring/score-job.ts';
import { DataError } from '../util/errors.ts';
import type { Shard } from '../scoring/shard.ts';

/**
 * What every NB201 experiment gets: the correlation runner's context plus the NB201 cell
 * selection it came from, and the primary seeds (the first of each list) that the supernet
 * experiments use.
 */
export interface ExperimentContext extends CorrelationContext {
  selection: CellSelection;
  /** The first batch seed and the first initialisation seed. */
  batchSeed: number;
  initSeed: number;
}

/** The cells a run scores: score tasks in population order, and how the report names them. */
export interface CellPopulation {
  tasks: ScoreTask[];
  /** e.g. '1000 cells sampled uniformly (seed 0)'. */
  description: string;
  /** The population's identity in check tables, e.g. 'nb201:sample(1000,seed=0)'. */
  id: string;
  /** Every cell of the space. */
  complete: boolean;
  /** The ground-truth row of a task (NB201: the index itself; NB101: the store row of the hash). */
  truthRow(task: ScoreTask): number | undefined;
}

/** What the correlation runner (correlation-runner.ts) needs of a run. */
export interface CorrelationContext {
  space: 'nb201' | 'nb101';
  dataDir: string;
  store: BenchmarkStore;
  published: PublishedTable;
  cells: CellPopulation;
  /** FULL=1: every proxy on the whole population, every seed pair on every cell. */
  full: boolean;
  cacheDir: string;
  outDir: string;
  backend?: BackendName;
  workers?: number;
  /** Seed lists: every initialisation x batch pair is scored; the first pair on all of a proxy's cells. */
  initSeeds: number[];
  batchSeeds: number[];
  /** Cells the extra seed pairs score (a prefix of each proxy's cells). */
  seedCells: number;
  /** Overrides every proxy's reference batch size (quick runs and tests only; reports say so). */
  batchSize?: number;
  nb101StemChannels?: number;
  /** `--shard I/N`: score only this shard's cells into its own cache; no tables (src/scoring/shard.ts). */
  shard?: Shard;
}

/** What an experiment hands back for the summary page. */
export interface ExperimentOutput {
  name: string;
  /** Markdown sections (tables and the settings they came from). */
  markdown: string;
  /** Files written, relative to the results directory. */
  files: string[];
}

/** The population of an NB201 selection, as the correlation runner takes it. */
export function nb201Population(selection: CellSelection): CellPopulation {
  const tasks = nb201Tasks(selectNB201Cells(selection));
  const id = selection.kind === 'all' ? 'nb201:all' : selection.kind === 'sample' ? `nb201:sample(${selection.size},seed=${selection.seed})` : `nb201:list(${selection.cells.length})`;
  return { tasks, description: describeSelection(selection), id, complete: tasks.length === NB201_NUM_CELLS, truthRow: (t) => Number(t.key) };
}

/** Default cells the extra seed pairs score (a prefix of each proxy's cells; FULL=1: all). */
export const DEFAULT_SEED_CELLS = 200;

/** An NB201 experiment context from the run's settings (one seed pair unless lists are given). */
export function nb201ExperimentContext(o: {
  dataDir: string;
  store: BenchmarkStore;
  published: PublishedTable;
  selection: CellSelection;
  cacheDir: string;
  outDir: string;
  backend?: BackendName;
  workers?: number;
  initSeeds?: number[];
  batchSeeds?: number[];
  seedCells?: number;
  batchSize?: number;
}): ExperimentContext {
  const initSeeds = o.initSeeds ?? [0];
  const batchSeeds = o.batchSeeds ?? [0];
  if (initSeeds.length === 0 || batchSeeds.length === 0) throw new RangeError('seed lists must not be empty');
  return {
    space: 'nb201',
    dataDir: o.dataDir,
    store: o.store,
    published: o.published,
    selection: o.selection,
    cells: nb201Population(o.selection),
    full: o.selection.kind === 'all',
    cacheDir: o.cacheDir,
    outDir: o.outDir,
    ...(o.backend ? { backend: o.backend } : {}),
    ...(o.workers ? { workers: o.workers } : {}),
    initSeeds,
    batchSeeds,
    seedCells: o.seedCells ?? DEFAULT_SEED_CELLS,
    ...(o.batchSize ? { batchSize: o.batchSize } : {}),
    batchSeed: batchSeeds[0]!,
    initSeed: initSeeds[0]!,
  };
}

/** A comma-separated seed list from the command line ("0,1,2"). */
export function seedList(v: string | undefined, flag: string): number[] {
  if (v === undefined || v.trim() === '') return [0];
  const seeds = v.split(',').map((x) => Number(x.trim()));
  if (seeds.some((x) => !Number.isSafeInteger(x) || x < 0)) throw new DataError(`${flag} must list non-negative integers, got '${v}'`);
  if (new Set(seeds).size !== seeds.length) throw new DataError(`${flag} lists a seed twice: '${v}'`);
  return seeds;
}

/** A positive integer option, or undefined when absent. */
export function positive(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new DataError(`${flag} must be a positive integer, got '${v}'`);
  return n;
}
