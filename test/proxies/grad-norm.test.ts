import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { gradNorm } from '../../src/proxies/grad-norm.ts';
import { crossEntropy } from '../../src/executors/losses.ts';
import { CELL, copyBatch, forwardWith, nb201Variant, randomBatch, relClose, scoreNet } from './zc-helpers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('grad_norm', () => {
  it('uses the reference network variant: no-affine cell BN, real class count, batch 64', () => {
    expect(gradNorm.network).toBe('zero-cost');
    expect(nb201Variant(gradNorm.network, 100)).toMatchObject({ numClasses: 100, bn: 'no-affine', C: 16, N: 5 });
    expect(gradNorm.defaults.batchSize).toBe(64);
  });

  it('is Σ over conv/linear weights of ‖∂L/∂W‖₂, finite and deterministic', async () => {
    const batch = randomBatch(6, 8, 1);
    const net = buildNB201Network(CELL, { ...nb201Variant(gradNorm.network, 10), C: 4, N: 1, seed: 2 });
    const a = await scoreNet(gradNorm, net, batch);
    expect(Number.isFinite(a)).toBe(true);
    expect(a).toBeGreaterThan(0);
    // determinism: a second network from the same seed and a copied batch (no shared memo)
    const twin = buildNB201Network(CELL, { ...nb201Variant(gradNorm.network, 10), C: 4, N: 1, seed: 2 });
    expect(await scoreNet(gradNorm, twin, copyBatch(batch))).toBe(a);
    twin.dispose();

    // independent route: Network.apply's own graph and tf.variableGrads, on a cell without
    // avg_pool_3x3 (whose tfjs gradient is wrong at the borders, see avgPool3x3Exclusive)
    const noPool = buildNB201Network(['nor_conv_3x3', 'skip_connect', 'nor_conv_1x1', 'none', 'nor_conv_3x3', 'nor_conv_1x1'], {
      ...nb201Variant(gradNorm.network, 10), C: 4, N: 1, seed: 2,
    });
    const viaApply = tf.variableGrads(
      () => crossEntropy(noPool.apply(tf.tensor4d(batch.x, [6, 8, 8, 3]), { training: true, updateRunningStats: false }), batch.labels),
      noPool.params.filter((p) => p.kind === 'conv' || p.kind === 'linear-weight').map((p) => p.variable),
    );
    let expectedNoPool = 0;
    for (const g of Object.values(viaApply.grads)) expectedNoPool += Math.sqrt(Array.from(g.dataSync()).reduce((s, v) => s + v * v, 0));
    expect(relClose(await scoreNet(gradNorm, noPool, batch), expectedNoPool, 1e-5)).toBe(true);
    tf.dispose([viaApply.value, ...Object.values(viaApply.grads)]);
    noPool.dispose();

    const weights = net.params.filter((p) => p.kind === 'conv' || p.kind === 'linear-weight');
    const copies = weights.map((p) => p.variable.clone());
    const x = tf.tensor4d(batch.x, [6, 8, 8, 3]);
    const grads = tf.grads((...ws: tf.Tensor[]) => {
      const sub = new Map<string, tf.Tensor>();
      weights.forEach((p, i) => sub.set(p.name, ws[i]!));
      return crossEntropy(forwardWith(net, x, sub), batch.labels);
    })(copies);
    let expected = 0;
    for (const g of grads) expected += Math.sqrt(Array.from(g.dataSync()).reduce((s, v) => s + v * v, 0));
    expect(relClose(a, expected, 1e-5)).toBe(true);

    // the classifier's gradient is (softmax - onehot)/n ⊗ pooled features: check one entry by
    // a central finite difference of the loss
    const w = net.params.find((p) => p.name === 'classifier.weight')!.variable;
    const idx = weights.findIndex((p) => p.name === 'classifier.weight');
    const gEntry = grads[idx]!.dataSync()[3]!;
    const lossAt = (delta: number): number =>
      tf.tidy(() => {
        const dw = tf.buffer(w.shape, 'float32');
        dw.values[3] = delta;
        const sub = new Map<string, tf.Tensor>();
        sub.set('classifier.weight', tf.add(w, dw.toTensor()));
        return crossEntropy(forwardWith(net, x, sub), batch.labels).dataSync()[0]!;
      });
    const h = 1e-2;
    expect(Math.abs((lossAt(h) - lossAt(-h)) / (2 * h) - gEntry)).toBeLessThan(2e-3 * Math.max(1, Math.abs(gEntry)) + 1e-4);
    tf.dispose([...grads, ...copies, x]);
    net.dispose();
  });

  it('differs between architectures', async () => {
    const batch = randomBatch(4, 8, 3);
    const score = async (ops: string[]) => {
      const net = buildNB201Network(ops, { ...nb201Variant(gradNorm.network, 10), C: 4, N: 1, seed: 0 });
      try {
        return await scoreNet(gradNorm, net, batch);
      } finally {
        net.dispose();
      }
    };
    expect(await score(CELL)).not.toBe(await score(new Array(6).fill('skip_connect')));
  });
});
