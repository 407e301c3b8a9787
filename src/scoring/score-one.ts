/**
 * Scores one NB201 cell in this process: build the proxy's network variant from the cell, run the
 * proxy, free the tensors. Shared by the worker processes and by single-process runs/tests.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBatch } from '../datasets/batch.ts';
import { loadImageSet } from '../datasets/load.ts';
import type { DatasetName, ImageBatch } from '../datasets/types.ts';
import { getProxy } from '../proxies/registry.ts';
import type { ScoreJob } from './score-job.ts';
import { buildNB201Network } from '../models/nb201-network.ts';
import type { ProxyDescriptor, ProxySettings } from '../proxies/types.ts';
import { cellFromIndex } from '../spaces/nb201-index.ts';

export interface ScoreContext {
  proxy: ProxyDescriptor<ProxySettings>;
  settings: ProxySettings;
  batch: ImageBatch | null;
  numClasses: number;
  initSeed: number;
}

export async function scoreNB201Cell(index: number, ctx: ScoreContext): Promise<{ score: number; seconds: number }> {
  const started = performance.now();
  const cell = cellFromIndex(index);
  const net = buildNB201Network(cell.ops, { ...ctx.proxy.network(ctx.numClasses), seed: ctx.initSeed });
  try {
    const score = await ctx.proxy.score(net, ctx.batch, ctx.settings, tf);
    return { score, seconds: (performance.now() - started) / 1000 };
  } finally {
    net.dispose();
  }
}

/** Classes of each dataset: the proxy's network needs it even when it reads no images. */
export const NUM_CLASSES: Readonly<Record<DatasetName, number>> = { cifar10: 10, cifar100: 100, 'ImageNet16-120': 120 };

/** Everything a worker needs for the job, prepared once: the proxy and its image batch. */
export function contextFor(job: ScoreJob): ScoreContext {
  const proxy = getProxy(job.proxy);
  const batch = proxy.needs.images
    ? selectBatch(loadImageSet(job.dataDir, job.dataset, 'train'), job.settings.batchSize, job.batchSeed)
    : null;
  return { proxy, settings: job.settings, batch, numClasses: NUM_CLASSES[job.dataset], initSeed: job.initSeed };
}
