import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImageBatch } from '../../src/datasets/types.ts';
import { graphParams } from '../../src/graph/cost.ts';
import type { CellNetwork } from '../../src/models/instantiate.ts';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { scoreNumber } from '../../src/proxies/context.ts';
import { regSwap, regularFactor } from '../../src/proxies/reg-swap.ts';
import { swap } from '../../src/proxies/swap.ts';
import { CELL, forwardWith, randomBatch } from './zc-helpers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const net = (seed: number): CellNetwork => buildNB201Network(CELL, { C: 4, N: 1, numClasses: 10, bn: 'standard', initScheme: 'gaussian', seed });

/** SWAP by the definition: per neuron, its string of signs over the samples; count the distinct strings. */
function swapByDefinition(network: CellNetwork, batch: ImageBatch): number {
  const patterns = new Set<string>();
  tf.tidy(() => {
    const x = tf.tensor4d(batch.x, [batch.n, batch.height, batch.width, 3]);
    forwardWith(network, x, new Map(), {
      onReluInput: (input) => {
        const v = input.dataSync();
        const units = v.length / batch.n;
        for (let u = 0; u < units; u++) {
          let s = '';
          for (let j = 0; j < batch.n; j++) s += v[j * units + u]! > 0 ? '1' : '0';
          patterns.add(s);
        }
      },
    });
  });
  return patterns.size;
}

function permuted(b: ImageBatch, perm: readonly number[]): ImageBatch {
  const per = b.height * b.width * b.channels;
  const x = new Float32Array(b.x.length);
  perm.forEach((src, dst) => x.set(b.x.subarray(src * per, (src + 1) * per), dst * per));
  return { ...b, x, labels: Int32Array.from(perm, (i) => b.labels[i]!) };
}

describe('swap', () => {
  it('is the mean over initialisations of the distinct per-neuron sign patterns', async () => {
    const batch = randomBatch(6, 8, 2);
    const nets = [net(1), net(2), net(3)];
    const expected = (swapByDefinition(nets[0]!, batch) + swapByDefinition(nets[1]!, batch) + swapByDefinition(nets[2]!, batch)) / 3;
    const got = await scoreNumber(swap, nets[0]!, [batch], { settings: { ...swap.defaults, batchSize: 6, repeats: 3 }, more: (i) => nets[i]! });
    expect(got).toBe(expected);
    // a real count: below both the neuron count and 2^n, and above 1
    expect(swapByDefinition(nets[0]!, batch)).toBeGreaterThan(1);
    expect(swapByDefinition(nets[0]!, batch)).toBeLessThanOrEqual(2 ** 6);
    nets.forEach((n) => n.dispose());
  });

  it('joins 24-sample chunks for larger batches (30 samples) without losing patterns', async () => {
    const batch = randomBatch(30, 8, 5);
    const n = net(4);
    const got = await scoreNumber(swap, n, [batch], { settings: { ...swap.defaults, batchSize: 30, repeats: 1 } });
    expect(got).toBe(swapByDefinition(n, batch));
    n.dispose();
  });

  it('does not depend on the order of the samples (train-mode BN is permutation-equivariant)', async () => {
    const batch = randomBatch(8, 8, 7);
    const n = net(9);
    const s = { ...swap.defaults, batchSize: 8, repeats: 1 };
    const a = await scoreNumber(swap, n, [batch], { settings: s });
    const b = await scoreNumber(swap, n, [permuted(batch, [7, 3, 1, 0, 5, 6, 2, 4])], { settings: s });
    expect(b).toBe(a);
    n.dispose();
  });
});

describe('reg_swap', () => {
  it('closed form of the regular factor: 1 at P = mu, exp(-1) at (P - mu)^2 = sigma', () => {
    expect(regularFactor(1500, 1500, 1e6)).toBe(1);
    expect(regularFactor(500, 1500, 1e6)).toBeCloseTo(Math.exp(-1), 15);
    expect(() => regularFactor(1, 1, 0)).toThrow(/sigma/);
  });

  it('is swap times exp(-(P - mu)^2 / sigma) with P the network parameters in thousands', async () => {
    const batch = randomBatch(6, 8, 3);
    const n = net(11);
    const settings = { ...regSwap.defaults, batchSize: 6, repeats: 1, mu: 10, sigma: 50 };
    const p = graphParams(n.graph) / 1e3;
    const got = await scoreNumber(regSwap, n, [batch], { settings });
    expect(got).toBeCloseTo(swapByDefinition(n, batch) * Math.exp(-((p - 10) ** 2) / 50), 10);
    expect(got).toBeLessThan(swapByDefinition(n, batch));
    n.dispose();
  });
});
