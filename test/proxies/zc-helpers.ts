import * as tf from '@tensorflow/tfjs';
import type { ImageBatch } from '../../src/datasets/types.ts';

/** A reproducible random batch with labels in [0, classes). */
export function randomBatch(n: number, size: number, seed: number, classes = 10): ImageBatch {
  const x = tf.tidy(() => tf.randomNormal([n, size, size, 3], 0, 1, 'float32', seed).dataSync() as Float32Array);
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 7 + seed) % classes);
  return { dataset: 'cifar10', split: 'train', indices: [], n, height: size, width: size, channels: 3, x: Float32Array.from(x), labels };
}

export const CELL = ['nor_conv_3x3', 'skip_connect', 'nor_conv_1x1', 'avg_pool_3x3', 'none', 'nor_conv_3x3'];

export function relClose(a: number, b: number, tol: number): boolean {
  return Math.abs(a - b) <= tol * Math.max(Math.abs(a), Math.abs(b));
}

import type { GraphHooks } from '../../src/executors/tfjs-forward.ts';
import { runGraph } from '../../src/executors/tfjs-forward.ts';
import type { CellNetwork } from '../../src/models/instantiate.ts';
import { scoreNumber } from '../../src/proxies/context.ts';
import type { ProxyDefinition, ProxySettings } from '../../src/proxies/types.ts';
import { NETWORK_VARIANTS, type NetworkVariantName } from '../../src/proxies/variants.ts';

/** A proxy's NB201 network variant options (variants.ts) for `classes` outputs. */
export function nb201Variant(name: NetworkVariantName, classes: number) {
  return NETWORK_VARIANTS[name].nb201(classes);
}

/** The network's train-mode forward on x with some parameters substituted (the graph's own executor). */
export function forwardWith(net: CellNetwork, x: tf.Tensor4D, sub: ReadonlyMap<string, tf.Tensor> = new Map(), hooks?: GraphHooks): tf.Tensor2D {
  const base = net.runOptions({ training: true });
  return runGraph(net.graph, x, { ...base, param: (n) => sub.get(n) ?? base.param(n), ...(hooks ? { hooks } : {}) });
}

/** Scores `net` with `proxy` on `batch` (a one-off context). */
export function scoreNet<S extends ProxySettings>(proxy: ProxyDefinition<S>, net: CellNetwork, batch: ImageBatch | null): Promise<number> {
  return scoreNumber(proxy, net, batch ? [batch] : []);
}

/** A copy of a batch that shares no arrays with it (determinism checks must not hit a memo). */
export function copyBatch(b: ImageBatch): ImageBatch {
  return { ...b, indices: [...b.indices], x: Float32Array.from(b.x), labels: Int32Array.from(b.labels) };
}
