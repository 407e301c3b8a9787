import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { jacobCov, jacobCovFromEigenvalues } from '../../src/proxies/jacob-cov.ts';
import { corrcoef, symmetricEigenvalues } from '../../src/util/eigen.ts';
import { runGraph } from '../../src/executors/tfjs-forward.ts';
import { logAbsDet } from '../../src/util/linalg.ts';
import { CELL, copyBatch, nb201Variant, randomBatch, scoreNet } from './zc-helpers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('corrcoef', () => {
  it('matches hand-computed correlations', () => {
    const c = corrcoef([1, 2, 3, 2, 4, 6, 3, 2, 1], 3, 3);
    expect(Array.from(c)).toEqual([1, 1, -1, 1, 1, -1, -1, -1, 1]);
    // a = 1,2,3,4; b = 1,3,2,4: cov 4 / sqrt(5 * 5) = 0.8
    const d = corrcoef([1, 2, 3, 4, 1, 3, 2, 4], 2, 4);
    expect(d[1]).toBeCloseTo(0.8, 14);
    expect(d[2]).toBeCloseTo(0.8, 14);
    expect(d[0]).toBe(1);
    // a constant row has no correlation: NaN, as numpy
    expect(Number.isNaN(corrcoef([1, 1, 1, 1, 2, 3], 2, 3)[1])).toBe(true);
  });
});

describe('symmetricEigenvalues (Jacobi)', () => {
  it('solves hand cases', () => {
    expect(Array.from(symmetricEigenvalues([3, 0, 0, 0, -1, 0, 0, 0, 2], 3))).toEqual([-1, 2, 3]);
    const two = symmetricEigenvalues([2, 1, 1, 2], 2);
    expect(two[0]).toBeCloseTo(1, 14);
    expect(two[1]).toBeCloseTo(3, 14);
    const tri = symmetricEigenvalues([2, -1, 0, -1, 2, -1, 0, -1, 2], 3);
    [2 - Math.SQRT2, 2, 2 + Math.SQRT2].forEach((v, i) => expect(tri[i]).toBeCloseTo(v, 13));
  });

  it('keeps trace, Frobenius norm and determinant of a random symmetric matrix', () => {
    const n = 7;
    const a = new Float64Array(n * n);
    let seed = 12345;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rnd();
    const v = symmetricEigenvalues(a, n);
    let trace = 0;
    let frob = 0;
    for (let i = 0; i < n; i++) trace += a[i * n + i]!;
    for (const x of a) frob += x * x;
    expect(v.reduce((s, x) => s + x, 0)).toBeCloseTo(trace, 12);
    expect(v.reduce((s, x) => s + x * x, 0)).toBeCloseTo(frob, 12);
    expect(v.reduce((s, x) => s + Math.log(Math.abs(x)), 0)).toBeCloseTo(logAbsDet(a, n), 10);
    for (let i = 1; i < n; i++) expect(v[i]).toBeGreaterThanOrEqual(v[i - 1]!);
  });

  it('rejects non-symmetric input', () => {
    expect(() => symmetricEigenvalues([1, 2, 3, 4], 2)).toThrow(/symmetric/);
  });
});

describe('jacob_cov', () => {
  it('scores the reference formula on eigenvalues', () => {
    // identity correlation (n uncorrelated rows): -n (log(1 + k) + 1/(1 + k))
    const k = 1e-5;
    expect(jacobCovFromEigenvalues([1, 1, 1])).toBeCloseTo(-3 * (Math.log(1 + k) + 1 / (1 + k)), 14);
    expect(Number.isNaN(jacobCovFromEigenvalues([1, -0.1]))).toBe(true);
  });

  it('is finite, deterministic, and uses ∂(Σ outputs)/∂x (checked by finite differences)', async () => {
    const n = 4;
    const batch = randomBatch(n, 8, 11);
    const net = buildNB201Network(CELL, { ...nb201Variant(jacobCov.network, 10), C: 4, N: 1, seed: 6 });
    const s = await scoreNet(jacobCov, net, batch);
    expect(Number.isFinite(s)).toBe(true);
    const twin = buildNB201Network(CELL, { ...nb201Variant(jacobCov.network, 10), C: 4, N: 1, seed: 6 });
    expect(await scoreNet(jacobCov, twin, copyBatch(batch))).toBe(s);
    twin.dispose();
    // the Jacobian the proxy correlates, against central differences of Σ outputs at a few pixels
    // (a border pixel included: avg_pool's border gradient is where tfjs's own is wrong)
    const opts = net.runOptions({ training: true });
    const total = (xs: Float32Array): number => tf.tidy(() => tf.sum(runGraph(net.graph, tf.tensor4d(xs, [n, 8, 8, 3]), opts)).dataSync()[0]!);
    const j = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(runGraph(net.graph, t as tf.Tensor4D, opts)))(tf.tensor4d(batch.x, [n, 8, 8, 3])).dataSync());
    for (const idx of [0, 100, 300, 700]) {
      const h = 1e-2;
      const up = Float32Array.from(batch.x);
      up[idx]! += h;
      const down = Float32Array.from(batch.x);
      down[idx]! -= h;
      const fd = (total(up) - total(down)) / (2 * h);
      expect(Math.abs(fd - j[idx]!)).toBeLessThan(2e-2 * Math.max(Math.abs(j[idx]!), 0.1));
    }
    // and the score is the formula on that Jacobian
    const v = symmetricEigenvalues(corrcoef(j, n, j.length / n), n);
    expect(jacobCovFromEigenvalues(v)).toBe(s);
    net.dispose();
  });
});
