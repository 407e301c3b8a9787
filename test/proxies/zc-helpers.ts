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
