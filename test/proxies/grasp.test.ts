import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { grasp, lossGradAndHvp } from '../../src/proxies/grasp.ts';
import { CELL, randomBatch, relClose } from './zc-helpers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('grasp', () => {
  it('uses the reference network variant and batch 64', () => {
    expect(grasp.network(10)).toMatchObject({ numClasses: 10, bn: 'no-affine' });
    expect(grasp.defaults.batchSize).toBe(64);
  });

  it('computes H v by nested gradients, matching central differences of the gradient', () => {
    const batch = randomBatch(4, 8, 21);
    const net = buildNB201Network(CELL, { ...grasp.network(10), C: 4, N: 1, seed: 8 });
    const weights = net.params.filter((p) => p.kind === 'conv' || p.kind === 'linear-weight');
    // v moves only the classifier: g then changes smoothly (nothing but softmax-CE lies after the
    // classifier, no ReLU kink to cross), while H v still holds the cross terms ∂²L/∂W_l∂W_classifier
    // of every layer, i.e. second derivatives through the whole backward graph (conv, BN, pools)
    const v = weights.map((p, i) =>
      p.name === 'classifier.weight' ? tf.randomNormal(p.variable.shape, 0, 1, 'float32', 100 + i) : tf.zerosLike(p.variable),
    );
    const { g, hv } = lossGradAndHvp(tf, net, batch, v);
    // central difference of g along v: (g(w + εv) - g(w - εv)) / 2ε
    const original = weights.map((p) => p.variable.clone());
    const gradAt = (eps: number): Float32Array[] => {
      weights.forEach((p, i) => p.variable.assign(tf.tidy(() => tf.add(original[i]!, tf.mul(v[i]!, eps)))));
      const r = lossGradAndHvp(tf, net, batch, v);
      const out = r.g.map((t) => t.dataSync() as Float32Array);
      tf.dispose([...r.g, ...r.hv]);
      return out;
    };
    const eps = 1e-2;
    const up = gradAt(eps);
    const down = gradAt(-eps);
    weights.forEach((p, i) => p.variable.assign(original[i]!));
    let diff = 0;
    let norm = 0;
    hv.forEach((t, i) => {
      const a = t.dataSync();
      for (let k = 0; k < a.length; k++) {
        const fd = (up[i]![k]! - down[i]![k]!) / (2 * eps);
        diff += (a[k]! - fd) ** 2;
        norm += a[k]! ** 2;
      }
    });
    expect(norm).toBeGreaterThan(0);
    expect(Math.sqrt(diff / norm)).toBeLessThan(2e-2);
    // and the cross terms are really there: the stem's block of H v is not zero
    expect(tf.norm(hv[0]!).dataSync()[0]!).toBeGreaterThan(1e-3 * Math.sqrt(norm));
    tf.dispose([...g, ...hv, ...v, ...original]);
    net.dispose();
  });

  it('gives a symmetric Hessian: u·(H v) = v·(H u) for directions over every layer', () => {
    const batch = randomBatch(4, 8, 23);
    const net = buildNB201Network(CELL, { ...grasp.network(10), C: 4, N: 1, seed: 10 });
    const weights = net.params.filter((p) => p.kind === 'conv' || p.kind === 'linear-weight');
    const u = weights.map((p, i) => tf.randomNormal(p.variable.shape, 0, 1, 'float32', 200 + i));
    const v = weights.map((p, i) => tf.randomNormal(p.variable.shape, 0, 1, 'float32', 300 + i));
    const hv = lossGradAndHvp(tf, net, batch, v);
    const hu = lossGradAndHvp(tf, net, batch, u);
    const dot = (a: tf.Tensor[], b: tf.Tensor[]): number => a.reduce((s, t, i) => s + tf.tidy(() => tf.sum(tf.mul(t, b[i]!)).dataSync()[0]!), 0);
    const uHv = dot(u, hv.hv);
    const vHu = dot(v, hu.hv);
    expect(Math.abs(uHv)).toBeGreaterThan(1e-3);
    expect(relClose(uHv, vHu, 1e-3)).toBe(true);
    tf.dispose([...u, ...v, ...hv.g, ...hv.hv, ...hu.g, ...hu.hv]);
    net.dispose();
  });

  it('scores -Σ w·(Hg), finite and deterministic', async () => {
    const batch = randomBatch(4, 8, 22);
    const net = buildNB201Network(CELL, { ...grasp.network(10), C: 4, N: 1, seed: 9 });
    const s = await grasp.score(net, batch, { batchSize: 4 }, tf);
    expect(Number.isFinite(s)).toBe(true);
    expect(s).not.toBe(0);
    expect(await grasp.score(net, batch, { batchSize: 4 }, tf)).toBe(s);
    const { g, hv } = lossGradAndHvp(tf, net, batch);
    const weights = net.params.filter((p) => p.kind === 'conv' || p.kind === 'linear-weight');
    let expected = 0;
    weights.forEach((p, i) => {
      const w = p.variable.dataSync();
      const h = hv[i]!.dataSync();
      for (let k = 0; k < w.length; k++) expected -= w[k]! * h[k]!;
    });
    expect(relClose(s, expected, 1e-4)).toBe(true);
    tf.dispose([...g, ...hv]);
    net.dispose();
  });
});
