/**
 * Scores one cell in this process: build the proxy's network variant from the cell, run the
 * proxy, free the tensors. Shared by the worker processes and by single-process runs/tests.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBatch } from '../datasets/batch.ts';
import { loadImageSet } from '../datasets/load.ts';
import type { DatasetName, ImageBatch } from '../datasets/types.ts';
import { getProxy } from '../proxies/registry.ts';
import type { ScoreJob, ScoreTask } from './score-job.ts';
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

/** Scores one cell of either space; the proxy's network variant decides the class count. */
export async function scoreCell(task: ScoreTask, ctx: ScoreContext): Promise<{ score: number; seconds: number }> {
  const started = performance.now();
  const variant = ctx.proxy.network(ctx.numClasses);
  if (task.nb101 && !(ctx.proxy.spaces ?? ['nb201']).includes('nb101')) {
    throw new DataError(`proxy '${ctx.proxy.name}' does not support NB101 networks yet`);
  }
  const net: CellNetwork = task.nb101
    ? buildNB101Network(task.nb101, { stemChannels: ctx.nb101StemChannels, numClasses: variant.numClasses, seed: ctx.initSeed })
    : buildNB201Network(cellFromIndex(Number(task.key)).ops, { ...variant, seed: ctx.initSeed });
  try {
    // Proxies that declare 'nb101' use only the CellNetwork part of the NB201 type (checked above).
    const score = await ctx.proxy.score(net as Network, ctx.batch, ctx.settings, tf);
    return { score, seconds: (performance.now() - started) / 1000 };
  } finally {
    net.dispose();
  }
}

/**
 * NB101 stem channels when the job does not say: 16, what the NASWOT code used, because the
 * benchmark's 128-channel network is ~25x slower on a CPU (reports say which was used).
 */
export const NB101_CPU_STEM_CHANNELS = 16;

/** Classes of each dataset: the proxy's network needs it even when it reads no images. */
export const NUM_CLASSES: Readonly<Record<DatasetName, number>> = { cifar10: 10, cifar100: 100, 'ImageNet16-120': 120 };

/** Everything a worker needs for the job, prepared once: the proxy and its image batch. */
export function contextFor(job: ScoreJob): ScoreContext {
  const proxy = getProxy(job.proxy);
  const batch = proxy.needs.images
    ? selectBatch(loadImageSet(job.dataDir, job.dataset, 'train'), job.settings.batchSize, job.batchSeed)
    : null;
  return {
    proxy,
    settings: job.settings,
    batch,
    numClasses: NUM_CLASSES[job.dataset],
    initSeed: job.initSeed,
    nb101StemChannels: job.nb101StemChannels ?? NB101_CPU_STEM_CHANNELS,
  };
}
