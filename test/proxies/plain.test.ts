import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossEntropy } from '../../src/executors/losses.ts';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { plain } from '../../src/proxies/plain.ts';
import { snip } from '../../src/proxies/snip.ts';
import { CELL, copyBatch, forwardWith, nb201Variant, randomBatch, relClose, scoreNet } from './zc-helpers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('plain', () => {
  it('uses the zero-cost variant, a labelled batch of 64 and first-order gradients', () => {
    expect(plain.network).toBe('zero-cost');
    expect(plain.needs).toMatchObject({ images: 'batch', labels: true, gradients: 'first' });
    expect(plain.defaults.batchSize).toBe(64);
  });

  it('is Σ W·∂L/∂W: the ones-mask gradient, and the derivative of L((1+t)W) at t = 0', async () => {
    const batch = randomBatch(6, 8, 21);
    const net = buildNB201Network(CELL, { ...nb201Variant(plain.network, 10), C: 4, N: 1, seed: 4 });
    const s = await scoreNet(plain, net, batch);
    expect(Number.isFinite(s)).toBe(true);
    const twin = buildNB201Network(CELL, { ...nb201Variant(plain.network, 10), C: 4, N: 1, seed: 4 });
    expect(await scoreNet(plain, twin, copyBatch(batch))).toBe(s);
    twin.dispose();

    const weights = net.params.filter((p) => p.kind === 'conv' || p.kind === 'linear-weight');
    const x = tf.tensor4d(batch.x, [6, 8, 8, 3]);
    // (1) Σ ∂L/∂m of a ones mask m on every weight (signed: snip's sum without the |·|)
    const masks = weights.map((p) => tf.onesLike(p.variable));
    const grads = tf.grads((...ms: tf.Tensor[]) => {
      const sub = new Map<string, tf.Tensor>();
      weights.forEach((p, i) => sub.set(p.name, tf.mul(p.variable, ms[i]!)));
      return crossEntropy(forwardWith(net, x, sub), batch.labels);
    })(masks);
    let viaMask = 0;
    for (const g of grads) for (const v of g.dataSync()) viaMask += v;
    expect(relClose(s, viaMask, 1e-4)).toBe(true);

    // (2) central difference of L along the ray (1 + t) W (every conv/linear weight scaled)
    const lossAt = (t: number): number =>
      tf.tidy(() => {
        const sub = new Map<string, tf.Tensor>();
        for (const p of weights) sub.set(p.name, tf.mul(p.variable, 1 + t));
        return crossEntropy(forwardWith(net, x, sub), batch.labels).dataSync()[0]!;
      });
    // h small: larger steps cross ReLU kinks (the unscaled biases move the sign patterns)
    const h = 1e-3;
    const fd = (lossAt(h) - lossAt(-h)) / (2 * h);
    expect(Math.abs(fd - s)).toBeLessThan(2e-2 * Math.abs(s) + 2e-4);

    // (3) |plain| ≤ snip on the same pass (triangle inequality), and they differ: signs cancel
    const sn = await scoreNet(snip, net, batch);
    expect(Math.abs(s)).toBeLessThan(sn);
    tf.dispose([...grads, ...masks, x]);
    net.dispose();
  });
});
