/**
 * Scores one cell in this process: build the proxies' network variants from the cell, run the
 * proxies on their contexts, free the tensors. Shared by the worker processes and by
 * single-process runs and tests.
 */
import { augmentBatch } from '../datasets/augment.ts';
import { normalizeBatch } from '../datasets/normalize.ts';
import { selectIndices } from '../datasets/batch.ts';
import { loadImageSet } from '../datasets/load.ts';
import type { DatasetName, ImageBatch, ImageSet } from '../datasets/types.ts';
import type { InitScheme } from '../models/init.ts';
import { CellSession, type FastExecutor } from '../proxies/context.ts';
import { getProxy } from '../proxies/registry.ts';
import type { ProxyDefinition, ProxySettings } from '../proxies/types.ts';
import { buildVariant, variantOptions, type CellRef } from '../proxies/variants.ts';
import { cellFromIndex } from '../spaces/nb201-index.ts';
import { DataError } from '../util/errors.ts';
import { cellBatchSeed, encodeScore, initSeedOf, type ProxyOutcome, type ScoreJob, type ScoreTask } from './score-job.ts';

export interface ScoreContext {
  proxy: ProxyDefinition<ProxySettings>;
  settings: ProxySettings;
  /** needs.batches batches (empty for data-free proxies). */
  batches: readonly ImageBatch[];
  /** With batchPerCell: the cell's own batches (instead of `batches`). */
  batchesFor?: (key: string) => ImageBatch[];
  numClasses: number;
  imageSize: { height: number; width: number };
  initSeed: number;
  initScheme?: InitScheme;
  nb101StemChannels: number;
  /** ONNX Runtime (or another fast executor), when the job uses one. */
  fast?: FastExecutor;
}

/**
 * NB101 stem channels when the job does not say: 16, what the NASWOT code used, because the
 * benchmark's 128-channel network is ~25x slower on a CPU (reports say which was used).
 */
export const NB101_CPU_STEM_CHANNELS = 16;

/** Classes of each dataset: the proxy's network needs it even when it reads no images. */
export const NUM_CLASSES: Readonly<Record<DatasetName, number>> = { cifar10: 10, cifar100: 100, 'ImageNet16-120': 120 };

/** Image size of each dataset: what data-free proxies feed (the reference takes it from the data). */
export const IMAGE_SIZE: Readonly<Record<DatasetName, number>> = { cifar10: 32, cifar100: 32, 'ImageNet16-120': 16 };

function cellOf(task: ScoreTask): CellRef {
  return task.nb101 ? { space: 'nb101', spec: task.nb101 } : { space: 'nb201', ops: cellFromIndex(Number(task.key)).ops };
}

// Batch objects are shared per process (trainingBatches), so identity says "the same images".
const batchIds = new WeakMap<ImageBatch, number>();
function batchIdentity(b: ImageBatch): number {
  let id = batchIds.get(b);
  if (id === undefined) {
    id = nextBatchId++;
    batchIds.set(b, id);
  }
  return id;
}
let nextBatchId = 0;

/** What makes two proxies' networks and inputs identical: variant, seeds, initialisation, batches. */
function sessionKey(space: string, ctx: ScoreContext): string {
  const variant = variantOptions(space as 'nb201' | 'nb101', { variant: ctx.proxy.network, numClasses: ctx.numClasses, nb101StemChannels: ctx.nb101StemChannels, ...(ctx.initScheme ? { initScheme: ctx.initScheme } : {}) });
  return JSON.stringify([space, ctx.proxy.network, variant, ctx.initSeed, ctx.batches.map(batchIdentity), ctx.imageSize, ctx.fast?.identity ?? null]);
}

/**
 * Scores one cell with several proxies. Proxies whose networks and batches are identical share
 * one CellSession (networks built once, passes memoised: grad_norm, snip and fisher share one
 * gradient pass); a proxy's seconds are its own call's, so the first proxy of a sharing group
 * carries the shared pass. A proxy that throws gets an error outcome; the others still run.
 */
export async function scoreCellWith(task: ScoreTask, contexts: readonly ScoreContext[]): Promise<Record<string, ProxyOutcome>> {
  const cell = cellOf(task);
  const outcomes: Record<string, ProxyOutcome> = {};
  const groups = new Map<string, ScoreContext[]>();
  // Per-cell batches are drawn once per cell and shared by the proxies that ask for the same ones.
  const cellBatches = new Map<(key: string) => ImageBatch[], ImageBatch[]>();
  contexts = contexts.map((ctx) => {
    if (!ctx.batchesFor) return ctx;
    let b = cellBatches.get(ctx.batchesFor);
    if (!b) {
      b = ctx.batchesFor(task.key);
      cellBatches.set(ctx.batchesFor, b);
    }
    return { ...ctx, batches: b };
  });
  for (const ctx of contexts) {
    if (!ctx.proxy.spaces.includes(cell.space)) {
      outcomes[ctx.proxy.name] = { error: `proxy '${ctx.proxy.name}' is not defined on ${cell.space} (defined on: ${ctx.proxy.spaces.join(', ')})`, seconds: 0 };
      continue;
    }
    const key = sessionKey(cell.space, ctx);
    groups.set(key, [...(groups.get(key) ?? []), ctx]);
  }
  for (const group of groups.values()) {
    const first = group[0]!;
    const session = new CellSession(
      cell.space,
      (i) =>
        buildVariant(cell, {
          variant: first.proxy.network,
          numClasses: first.numClasses,
          seed: initSeedOf(first.initSeed, i),
          nb101StemChannels: first.nb101StemChannels,
          ...(first.initScheme ? { initScheme: first.initScheme } : {}),
        }),
      first.batches,
      first.numClasses,
      first.imageSize,
      first.fast,
    );
    try {
      for (const ctx of group) {
        const started = performance.now();
        try {
          const result = await ctx.proxy.score(session.contextFor(ctx.settings));
          const seconds = (performance.now() - started) / 1000;
          outcomes[ctx.proxy.name] =
            typeof result === 'number'
              ? { score: encodeScore(result), seconds }
              : { score: encodeScore(result.score), parts: Object.fromEntries(Object.entries(result.parts).map(([k, v]) => [k, encodeScore(v)])), seconds };
        } catch (e) {
          outcomes[ctx.proxy.name] = { error: (e as Error).message, seconds: (performance.now() - started) / 1000 };
        }
      }
    } finally {
      session.dispose();
    }
  }
  return outcomes;
}

/** Scores one cell with one proxy (scoreCellWith for one context); a proxy error is thrown. */
export async function scoreCell(task: ScoreTask, ctx: ScoreContext): Promise<{ score: number; parts?: Record<string, number>; seconds: number }> {
  const outcome = (await scoreCellWith(task, [ctx]))[ctx.proxy.name]!;
  if ('error' in outcome) throw new DataError(outcome.error);
  const parts = outcome.parts ? Object.fromEntries(Object.entries(outcome.parts).map(([k, v]) => [k, Number(v)])) : undefined;
  return { score: Number(outcome.score), ...(parts ? { parts } : {}), seconds: outcome.seconds };
}

// One set of batches per (data, size, count, seed, augment) in this process: proxies that share
// a network and batches share their memoised passes (the session key compares batch indices).
const batchCache = new Map<string, ImageBatch[]>();

/**
 * `count` disjoint batches of `size` training images: the first size·count entries of the seeded
 * shuffle (src/datasets/batch.ts), cut in order. Batch 0 is exactly selectBatch(size, seed): a
 * partial Fisher-Yates shuffle's first entries do not depend on how far it runs.
 */
export function trainingBatches(dataDir: string, dataset: DatasetName, size: number, count: number, seed: number, augment: boolean): ImageBatch[] {
  const key = JSON.stringify([dataDir, dataset, size, count, seed, augment]);
  let batches = batchCache.get(key);
  if (!batches) {
    batches = drawBatches(dataDir, dataset, size, count, seed, augment);
    batchCache.set(key, batches);
  }
  return batches;
}

// The training set is read once per process (per-cell batches draw from it for every cell).
const trainingSets = new Map<string, ImageSet>();
function trainingSet(dataDir: string, dataset: DatasetName): ImageSet {
  const key = JSON.stringify([dataDir, dataset]);
  let set = trainingSets.get(key);
  if (!set) {
    set = loadImageSet(dataDir, dataset, 'train');
    trainingSets.set(key, set);
  }
  return set;
}

function drawBatches(dataDir: string, dataset: DatasetName, size: number, count: number, seed: number, augment: boolean): ImageBatch[] {
  const set = trainingSet(dataDir, dataset);
  if (size * count > set.size) {
    throw new DataError(`cannot select ${count} batches of ${size} distinct images from the ${dataset} training set of ${set.size} images (${set.files.join(', ')})`);
  }
  const order = selectIndices(set.size, size * count, seed);
  return Array.from({ length: count }, (_, i) => {
    const b = normalizeBatch(set, order.slice(i * size, (i + 1) * size));
    // batch i > 0 is augmented with its own stream (seed·1000 + i), batch 0 as before
    return augment ? augmentBatch(b, i === 0 ? seed : seed * 1000 + i) : b;
  });
}

// One per-cell batch source per (data, size, count, seed, augment): proxies of a job group that
// read the same images get the same function, so scoreCellWith draws their batches once per cell.
const perCellSources = new Map<string, (key: string) => ImageBatch[]>();

function perCellBatches(dataDir: string, dataset: DatasetName, size: number, count: number, seed: number, augment: boolean): (key: string) => ImageBatch[] {
  const id = JSON.stringify([dataDir, dataset, size, count, seed, augment]);
  let source = perCellSources.get(id);
  if (!source) {
    source = (key) => drawBatches(dataDir, dataset, size, count, cellBatchSeed(seed, key), augment);
    perCellSources.set(id, source);
  }
  return source;
}

/** Everything a worker needs for the job, prepared once: the proxy and its image batches. */
export function contextFor(job: ScoreJob, fast?: FastExecutor): ScoreContext {
  const proxy = getProxy(job.proxy);
  const count = proxy.needs.batches ?? 1;
  const images = proxy.needs.images === 'batch';
  const augment = job.settings.augment === true;
  const batchesFor = images && job.batchPerCell ? perCellBatches(job.dataDir, job.dataset, job.settings.batchSize, count, job.batchSeed, augment) : undefined;
  const batches = images && !batchesFor ? trainingBatches(job.dataDir, job.dataset, job.settings.batchSize, count, job.batchSeed, augment) : [];
  // the image size without loading a batch (per-cell batches are drawn later)
  if (batchesFor) trainingSet(job.dataDir, job.dataset);
  const size = IMAGE_SIZE[job.dataset];
  return {
    proxy,
    settings: job.settings,
    batches,
    numClasses: NUM_CLASSES[job.dataset],
    ...(batchesFor ? { batchesFor } : {}),
    imageSize: batches[0] ? { height: batches[0].height, width: batches[0].width } : { height: size, width: size },
    initSeed: job.initSeed,
    ...(job.initScheme ? { initScheme: job.initScheme } : {}),
    nb101StemChannels: job.nb101StemChannels ?? NB101_CPU_STEM_CHANNELS,
    ...(fast ? { fast } : {}),
  };
}
