/**
 * Scores one cell in this process: build the proxy's network variant from the cell, run the
 * proxy, free the tensors. Shared by the worker processes and by single-process runs/tests.
 */
import * as tf from '@tensorflow/tfjs';
import { augmentBatch } from '../datasets/augment.ts';
import { selectBatch } from '../datasets/batch.ts';
import { loadImageSet } from '../datasets/load.ts';
import type { DatasetName, ImageBatch } from '../datasets/types.ts';
import { getProxy } from '../proxies/registry.ts';
import { decodeScore, encodeScore, type ProxyOutcome, type ScoreJob, type ScoreTask } from './score-job.ts';
import { buildNB101Network } from '../models/nb101-network.ts';
import type { CellNetwork } from '../models/network.ts';
import { buildNB201Network, type Network } from '../models/nb201-network.ts';
import { DataError } from '../util/errors.ts';
import type { ProxyDescriptor, ProxySettings } from '../proxies/types.ts';
import { cellFromIndex } from '../spaces/nb201-index.ts';

export interface ScoreContext {
  proxy: ProxyDescriptor<ProxySettings>;
  settings: ProxySettings;
  batch: ImageBatch | null;
  numClasses: number;
  initSeed: number;
  nb101StemChannels: number;
}

/** Builds the cell's network in the variant the proxy scores (NB201 from the index, NB101 from the spec). */
function buildFor(task: ScoreTask, ctx: ScoreContext): CellNetwork {
  if (task.nb101 && !(ctx.proxy.spaces ?? ['nb201']).includes('nb101')) {
    throw new DataError(`proxy '${ctx.proxy.name}' does not support NB101 networks yet`);
  }
  const variant = ctx.proxy.network(ctx.numClasses);
  return task.nb101
    ? buildNB101Network(task.nb101, { stemChannels: ctx.nb101StemChannels, numClasses: variant.numClasses, seed: ctx.initSeed, ...ctx.proxy.nb101Network })
    : buildNB201Network(cellFromIndex(Number(task.key)).ops, { ...variant, seed: ctx.initSeed });
}

/** Scores one cell with one proxy (scoreCellWith for one context); a proxy error is thrown. */
export async function scoreCell(task: ScoreTask, ctx: ScoreContext): Promise<{ score: number; seconds: number }> {
  const outcome = (await scoreCellWith(task, [ctx]))[ctx.proxy.name]!;
  if ('error' in outcome) throw new DataError(outcome.error);
  return { score: decodeScore(outcome.score), seconds: outcome.seconds };
}

/** What makes two proxies' networks identical: the space, the variant and the seed. */
function networkKey(task: ScoreTask, ctx: ScoreContext): string {
  const space = task.nb101 ? ['nb101', ctx.nb101StemChannels, ctx.proxy.nb101Network ?? {}] : ['nb201'];
  return JSON.stringify([...space, ctx.proxy.network(ctx.numClasses), ctx.initSeed]);
}

/**
 * Scores one cell with several proxies. Proxies whose networks are identical (same variant and
 * seed) score the same network object, built once, so those that can share work do (grad_norm,
 * snip and fisher share one gradient pass, see zero-cost-forward.ts); a proxy's seconds are its
 * own call's, so the first proxy of a sharing group carries the shared pass. A proxy that throws
 * gets an error outcome; the others still run.
 */
export async function scoreCellWith(task: ScoreTask, contexts: readonly ScoreContext[]): Promise<Record<string, ProxyOutcome>> {
  const outcomes: Record<string, ProxyOutcome> = {};
  const groups = new Map<string, ScoreContext[]>();
  for (const ctx of contexts) {
    const key = networkKey(task, ctx);
    groups.set(key, [...(groups.get(key) ?? []), ctx]);
  }
  for (const group of groups.values()) {
    let net: CellNetwork | undefined;
    const buildStarted = performance.now();
    try {
      net = buildFor(task, group[0]!);
    } catch (e) {
      for (const ctx of group) outcomes[ctx.proxy.name] = { error: (e as Error).message, seconds: 0 };
      continue;
    }
    let buildSeconds = (performance.now() - buildStarted) / 1000;
    try {
      for (const ctx of group) {
        const started = performance.now();
        try {
          const score = await ctx.proxy.score(net as Network, ctx.batch, ctx.settings, tf);
          outcomes[ctx.proxy.name] = { score: encodeScore(score), seconds: buildSeconds + (performance.now() - started) / 1000 };
        } catch (e) {
          outcomes[ctx.proxy.name] = { error: (e as Error).message, seconds: (performance.now() - started) / 1000 };
        }
        buildSeconds = 0;
      }
    } finally {
      net.dispose();
    }
  }
  return outcomes;
}

/**
 * NB101 stem channels when the job does not say: 16, what the NASWOT code used, because the
 * benchmark's 128-channel network is ~25x slower on a CPU (reports say which was used).
 */
export const NB101_CPU_STEM_CHANNELS = 16;

/** Classes of each dataset: the proxy's network needs it even when it reads no images. */
export const NUM_CLASSES: Readonly<Record<DatasetName, number>> = { cifar10: 10, cifar100: 100, 'ImageNet16-120': 120 };

// One batch object per (data, size, seed) in this process: proxies that share a network and a
// batch share their memoised gradient pass (keyed by the batch object).
const batches = new Map<string, ImageBatch>();

function sharedBatch(job: ScoreJob): ImageBatch {
  const key = JSON.stringify([job.dataDir, job.dataset, job.settings.batchSize, job.batchSeed, job.settings.augment === true]);
  let batch = batches.get(key);
  if (!batch) {
    batch = selectBatch(loadImageSet(job.dataDir, job.dataset, 'train'), job.settings.batchSize, job.batchSeed);
    if (job.settings.augment) batch = augmentBatch(batch, job.batchSeed);
    batches.set(key, batch);
  }
  return batch;
}

/** Everything a worker needs for the job, prepared once: the proxy and its image batch. */
export function contextFor(job: ScoreJob): ScoreContext {
  const proxy = getProxy(job.proxy);
  const batch = proxy.needs.images ? sharedBatch(job) : null;
  return {
    proxy,
    settings: job.settings,
    batch,
    numClasses: NUM_CLASSES[job.dataset],
    initSeed: job.initSeed,
    nb101StemChannels: job.nb101StemChannels ?? NB101_CPU_STEM_CHANNELS,
  };
}
