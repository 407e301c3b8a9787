import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossEntropy } from '../../src/executors/losses.ts';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { scoreNumber } from '../../src/proxies/context.ts';
import { zico, zicoLayerSum } from '../../src/proxies/zico.ts';
import { CELL, forwardWith, nb201Variant, randomBatch, relClose } from './zc-helpers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('zico', () => {
  it('declares two batches of 128, the benchmark network, the reference code\'s accumulation', () => {
    expect(zico.needs).toMatchObject({ batches: 2, labels: true, gradients: 'first' });
    expect(zico.defaults).toMatchObject({ batchSize: 128, accumulate: true });
    expect(nb201Variant(zico.network, 10)).toMatchObject({ bn: 'standard', initScheme: 'torch-default' });
  });

  it('layer statistic by hand: mean|g| / population std, zero-std weights skipped', () => {
    // weight 0: g = 1, 3 -> mean|g| 2, std 1 -> 2; weight 1: g = -1, 1 -> 1 / 1 = 1; weight 2: g = 2, 2 -> std 0, skipped
    expect(zicoLayerSum([[1, -1, 2], [3, 1, 2]])).toBeCloseTo(3, 14);
    // three records: g = 0, 0, 3 -> mean|g| 1, std √2 -> 1/√2
    expect(zicoLayerSum([[0], [0], [3]])).toBeCloseTo(1 / Math.SQRT2, 14);
    expect(zicoLayerSum([[5, 5], [5, 5]])).toBe(0);
  });

  it('equals Σ_layers log of the statistic on tf.grads of each batch (running sums by default, per batch on request)', async () => {
    const batches = [randomBatch(5, 8, 31), randomBatch(5, 8, 32)];
    const net = buildNB201Network(CELL, { ...nb201Variant(zico.network, 10), C: 4, N: 1, seed: 12 });
    const settings = { ...zico.defaults, batchSize: 5 };
    const acc = await scoreNumber(zico, net, batches, { settings });
    const perBatch = await scoreNumber(zico, net, batches, { settings: { ...settings, accumulate: false } });
    expect(Number.isFinite(acc) && Number.isFinite(perBatch)).toBe(true);
    expect(acc).not.toBe(perBatch);

    const weights = net.params.filter((p) => p.kind === 'conv' || p.kind === 'linear-weight');
    const gradsOf = (b: (typeof batches)[number]): Float32Array[] =>
      tf.tidy(() => {
        const x = tf.tensor4d(b.x, [b.n, 8, 8, 3]);
        const gs = tf.grads((...ws: tf.Tensor[]) => {
          const sub = new Map<string, tf.Tensor>();
          weights.forEach((p, i) => sub.set(p.name, ws[i]!));
          return crossEntropy(forwardWith(net, x, sub), b.labels);
        })(weights.map((p) => p.variable));
        return gs.map((g) => g.dataSync() as Float32Array);
      });
    const [g1, g2] = [gradsOf(batches[0]!), gradsOf(batches[1]!)];
    let expectPer = 0;
    let expectAcc = 0;
    weights.forEach((_, k) => {
      const sum12 = g1[k]!.map((v, i) => v + g2[k]![i]!);
      expectPer += Math.log(zicoLayerSum([g1[k]!, g2[k]!]));
      expectAcc += Math.log(zicoLayerSum([g1[k]!, sum12]));
    });
    expect(relClose(perBatch, expectPer, 1e-3)).toBe(true);
    expect(relClose(acc, expectAcc, 1e-3)).toBe(true);
    net.dispose();
  });

  it('with two identical batches every σ is 0 per batch: no layer counts (score 0)', async () => {
    const b = randomBatch(4, 8, 5);
    const net = buildNB201Network(CELL, { ...nb201Variant(zico.network, 10), C: 4, N: 1, seed: 2 });
    expect(await scoreNumber(zico, net, [b, { ...b }], { settings: { ...zico.defaults, batchSize: 4, accumulate: false } })).toBe(0);
    net.dispose();
  });
});
