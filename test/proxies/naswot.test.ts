import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { naswot } from '../../src/proxies/naswot.ts';
import { reluCodeKernelTensor } from '../../src/proxies/context.ts';
import { copyBatch, nb201Variant, scoreNet } from './zc-helpers.ts';
import type { ImageBatch } from '../../src/datasets/types.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function randomBatch(n: number, size: number, seed: number): ImageBatch {
  const x = tf.tidy(() => tf.randomNormal([n, size, size, 3], 0, 1, 'float32', seed).dataSync() as Float32Array);
  return { dataset: 'cifar10', split: 'train', indices: [], n, height: size, width: size, channels: 3, x: Float32Array.from(x), labels: new Int32Array(n) };
}

/** K by the definition: K_ij = sum over ReLUs of (units - Hamming distance of the binary codes). */
function kernelByDefinition(codes: Uint8Array[][], n: number): Float64Array {
  const k = new Float64Array(n * n);
  for (const layer of codes) {
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const a = layer[i]!;
        const b = layer[j]!;
        let same = 0;
        for (let u = 0; u < a.length; u++) if (a[u] === b[u]) same++;
        k[i * n + j] += same;
      }
  }
  return k;
}

describe('NASWOT', () => {
  it('accumulates K = units - Hamming distance over every ReLU input, as the reference does', () => {
    const n = 6;
    const net = buildNB201Network(['nor_conv_3x3', 'skip_connect', 'nor_conv_1x1', 'avg_pool_3x3', 'nor_conv_3x3', 'none'], {
      C: 4, N: 1, numClasses: 1, seed: 3,
    });
    const batch = randomBatch(n, 8, 1);
    const x = tf.tensor4d(batch.x, [n, 8, 8, 3]);
    const codes: Uint8Array[][] = [];
    const kt = reluCodeKernelTensor((hook) => {
      tf.dispose(
        net.apply(x, {
          training: true,
          updateRunningStats: false,
          onReluInput: (t) => {
            const v = t.reshape([n, -1]).arraySync() as number[][];
            codes.push(v.map((row) => Uint8Array.from(row, (z) => (z > 0 ? 1 : 0))));
            hook(t);
          },
        }),
      );
    }, n);
    const k = Float64Array.from(kt.dataSync());
    kt.dispose();
    expect(codes.length).toBe(net.reluNames.length);
    expect(Array.from(k)).toEqual(Array.from(kernelByDefinition(codes, n)));
    // the diagonal is the total number of ReLU units per sample
    const units = codes.reduce((s, layer) => s + layer[0]!.length, 0);
    for (let i = 0; i < n; i++) expect(k[i * n + i]).toBe(units);
    x.dispose();
    net.dispose();
  });

  it('scores log|det K|, is deterministic, and separates a conv cell from an all-skip cell', async () => {
    const batch = randomBatch(8, 8, 2);
    const score = async (ops: string[]) => {
      const net = buildNB201Network(ops, { ...nb201Variant(naswot.network, 1), C: 4, N: 1, seed: 0 });
      try {
        return await scoreNet(naswot, net, copyBatch(batch));
      } finally {
        net.dispose();
      }
    };
    const conv = ['nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3'];
    const a = await score(conv);
    expect(Number.isFinite(a)).toBe(true);
    expect(await score(conv)).toBe(a);
    const skip = await score(['skip_connect', 'skip_connect', 'skip_connect', 'skip_connect', 'skip_connect', 'skip_connect']);
    // more ReLUs with distinct codes -> a larger, better-conditioned K
    expect(a).toBeGreaterThan(skip);
  });
});
