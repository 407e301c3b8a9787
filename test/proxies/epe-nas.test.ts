import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runGraph } from '../../src/executors/tfjs-forward.ts';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { epeNas, epeNasScore } from '../../src/proxies/epe-nas.ts';
import { jacobCov } from '../../src/proxies/jacob-cov.ts';
import { CELL, nb201Variant, randomBatch, relClose, scoreNet } from './zc-helpers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const k = 1e-5;
const L1 = Math.log(1 + k);
const L0 = Math.log(k);

describe('epe_nas formula', () => {
  // class 0: rows (1,2,3) and (2,4,6): correlation 1 everywhere -> s = 4 log(1 + k)
  // class 1: rows (1,0,-1) and (1,-2,1): correlation 0 off the diagonal -> s = 2 log(1 + k) + 2 log k
  // class 2: one row -> the scalar 1 -> s = log(1 + k)
  const jac = [1, 2, 3, 1, 0, -1, 2, 4, 6, 1, -2, 1, 5, 1, 2];
  const labels = [0, 1, 0, 1, 2];
  const s0 = 4 * L1;
  const s1 = 2 * L1 + 2 * L0;
  const s2 = L1;

  it('≤ 100 classes: Σ_c |Σ log(|corr| + k)|, a single-sample class counts log(1 + k)', () => {
    expect(epeNasScore(jac, labels, 5, 3, 10)).toBeCloseTo(Math.abs(s0) + Math.abs(s1) + Math.abs(s2), 10);
    // anti-correlated rows count as correlated (|corr|)
    expect(epeNasScore([1, 2, 3, -1, -2, -3], [4, 4], 2, 3, 10)).toBeCloseTo(4 * L1, 12);
  });

  it('> 100 classes: pairwise |s_c − s_c\'| of row-normalised s, over the classes seen; single-sample classes skipped', () => {
    const a = s0 / 2;
    const b = s1 / 2;
    expect(epeNasScore(jac, labels, 5, 3, 120)).toBeCloseTo((2 * Math.abs(a - b)) / 2, 10);
  });

  it('a constant row gives NaN, as numpy', () => {
    expect(Number.isNaN(epeNasScore([1, 1, 1, 1, 2, 3], [0, 0], 2, 3, 10))).toBe(true);
  });
});

describe('epe_nas', () => {
  it('is the formula on ∂(Σ outputs)/∂x (independent tf.grad), and shares jacob_cov\'s pass', async () => {
    expect(epeNas.needs).toMatchObject({ images: 'batch', labels: true, gradients: 'first' });
    expect(epeNas.network).toBe(jacobCov.network);
    const n = 8;
    const batch = randomBatch(n, 8, 41, 3); // three classes: several rows each
    const net = buildNB201Network(CELL, { ...nb201Variant(epeNas.network, 10), C: 4, N: 1, seed: 13 });
    const s = await scoreNet(epeNas, net, batch);
    expect(Number.isFinite(s)).toBe(true);
    expect(s).toBeGreaterThan(0);
    const opts = net.runOptions({ training: true });
    const j = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(runGraph(net.graph, t as tf.Tensor4D, opts)))(tf.tensor4d(batch.x, [n, 8, 8, 3])).dataSync());
    expect(relClose(s, epeNasScore(j, batch.labels, n, j.length / n, 10), 1e-4)).toBe(true);
    // the labels matter (they group the rows): another labelling, another score
    const relabelled = { ...batch, labels: Int32Array.from(batch.labels, (_l, i) => (i < n / 2 ? 0 : 1)) };
    expect(await scoreNet(epeNas, net, relabelled)).not.toBeCloseTo(s, 6);
    net.dispose();
  });
});
