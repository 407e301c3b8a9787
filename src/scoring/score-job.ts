/**
 * A scoring job: which proxy, on which cells, with which images, seeds and engine. The same
 * description keys the score cache (scoreCacheKeyOf in score-cells.ts), so two runs share cached
 * scores exactly when they would compute the same numbers.
 */
import type { DatasetName } from '../datasets/types.ts';
import type { InitScheme } from '../models/init.ts';
import type { ProxySettings } from '../proxies/types.ts';
import type { ModelSpec } from '../spaces/nb101.ts';

/** Which executor serves forward-only and first-order work: ONNX Runtime where available ('auto'), or always tfjs. */
export type ExecutorChoice = 'auto' | 'tfjs' | 'onnx';

export interface ScoreJob {
  space: 'nb201' | 'nb101';
  /** NB101 stem channels (128 = the benchmark's network; 16 = the NASWOT code's, the CPU default). */
  nb101StemChannels?: number;
  proxy: string;
  settings: ProxySettings;
  /** Images the proxy sees (data-free proxies: the dataset still sets classes and image size). */
  dataset: DatasetName;
  /** Seed of the image batch selection (src/datasets/batch.ts). */
  batchSeed: number;
  /** Seed of the network weights (src/models/init.ts). */
  initSeed: number;
  /** Overrides the proxy's network variant's initialisation (src/proxies/variants.ts). */
  initScheme?: InitScheme;
  /**
   * A fresh batch for every cell (NAS-Bench-Suite-Zero's protocol: one augmented batch drawn per
   * architecture), seeded by cellBatchSeed(batchSeed, cell); default one batch for all cells (the
   * zero-cost and NASWOT references' protocol, and common random numbers across cells).
   */
  batchPerCell?: boolean;
  /** The data directory (DATA). */
  dataDir: string;
}

/**
 * What a worker gets once, at start-up: one job per proxy, all on the same space, images and
 * seeds (experiments that score several proxies per cell send them together, so each cell's
 * network is built once per variant and proxies share passes), and the engine the parent chose.
 */
export interface WorkerSetup {
  jobs: ScoreJob[];
  /** Whether the worker uses the ONNX Runtime executor where it supports the work. */
  onnx: boolean;
}

/**
 * One cell to score: its cache key (the NB201 index as a string, or the NB101 module hash) and,
 * for NB101, its spec (the worker has no store to look it up in).
 */
export interface ScoreTask {
  key: string;
  nb101?: ModelSpec;
  /** Proxies (names from the setup's jobs) to score this cell with; default all of them. */
  proxies?: string[];
}

/** JSON cannot carry NaN or Infinity, so non-finite scores travel as strings. */
export type EncodedScore = number | 'NaN' | 'Infinity' | '-Infinity';

/** One proxy's outcome on one cell: a score (possibly non-finite, with parts) or the error it threw. */
export type ProxyOutcome = { score: EncodedScore; parts?: Record<string, EncodedScore>; seconds: number } | { error: string; seconds: number };

/** A cell's outcomes by proxy name. */
export interface ScoreTaskResult {
  outcomes: Record<string, ProxyOutcome>;
}

/** Deterministic seed of initialisation i > 0 of a job with seed `initSeed` (i = 0 is the seed itself). */
export function initSeedOf(initSeed: number, i: number): number {
  return i === 0 ? initSeed : initSeed * 1009 + 7919 * i;
}

export function batchId(job: ScoreJob, needsImages: boolean, batches = 1): string {
  if (!needsImages) return 'data-free';
  return `${job.dataset}-train-b${job.settings.batchSize}${batches > 1 ? `x${batches}` : ''}-s${job.batchSeed}${job.batchPerCell ? '-per-cell' : ''}${job.settings.augment ? '-aug' : ''}`;
}

/**
 * The batch seed of one cell under `batchPerCell`: a fixed function of the job's batch seed and
 * the cell's key (the NB201 index, or the first 32 bits of the NB101 hash), so a cell gets the
 * same images in every run, trial and shard.
 */
export function cellBatchSeed(batchSeed: number, key: string): number {
  const id = /^\d+$/.test(key) ? Number(key) : Number.parseInt(key.slice(0, 8), 16);
  if (!Number.isSafeInteger(id)) throw new RangeError(`cell key '${key}' is neither an NB201 index nor an NB101 hash`);
  return batchSeed * 4294967311 + id;
}

export function decodeScore(s: EncodedScore): number {
  return typeof s === 'number' ? s : Number(s);
}

export function encodeScore(x: number): EncodedScore {
  if (Number.isFinite(x)) return x;
  return String(x) as 'NaN' | 'Infinity' | '-Infinity';
}
