import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { snip } from '../../src/proxies/snip.ts';
import { crossEntropy } from '../../src/executors/losses.ts';
import { CELL, copyBatch, forwardWith, nb201Variant, randomBatch, relClose, scoreNet } from './zc-helpers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('snip', () => {
  it('uses the reference network variant and batch 64', () => {
    expect(nb201Variant(snip.network, 10)).toMatchObject({ numClasses: 10, bn: 'no-affine' });
    expect(snip.defaults.batchSize).toBe(64);
  });

  it("equals Σ |∂L/∂mask| of a ones mask on every conv/linear weight (the reference's mechanism)", async () => {
    const batch = randomBatch(6, 8, 4);
    const net = buildNB201Network(CELL, { ...nb201Variant(snip.network, 10), C: 4, N: 1, seed: 9 });
    const a = await scoreNet(snip, net, batch);
    expect(Number.isFinite(a)).toBe(true);
    expect(a).toBeGreaterThan(0);
    const twin = buildNB201Network(CELL, { ...nb201Variant(snip.network, 10), C: 4, N: 1, seed: 9 });
    expect(await scoreNet(snip, twin, copyBatch(batch))).toBe(a);
    twin.dispose();

    const weights = net.params.filter((p) => p.kind === 'conv' || p.kind === 'linear-weight');
    const masks = weights.map((p) => tf.onesLike(p.variable));
    const x = tf.tensor4d(batch.x, [6, 8, 8, 3]);
    const grads = tf.grads((...ms: tf.Tensor[]) => {
      const sub = new Map<string, tf.Tensor>();
      weights.forEach((p, i) => sub.set(p.name, tf.mul(p.variable, ms[i]!)));
      return crossEntropy(forwardWith(net, x, sub), batch.labels);
    })(masks);
    let expected = 0;
    for (const g of grads) for (const v of g.dataSync()) expected += Math.abs(v);
    expect(relClose(a, expected, 1e-5)).toBe(true);
    tf.dispose([...grads, ...masks, x]);
    net.dispose();
  });
});
