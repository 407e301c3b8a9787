import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { orthogonalMatrix } from '../../src/models/init.ts';
import { streamFor } from '../../src/models/rng.ts';
import { jacobianSpectrumTfjs, randomProbes, spectrumFromProbeGradients, summarise } from '../../src/proxies/jacobian-isometry.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const normal = (seed: number) => {
  const rng = streamFor(seed, 'test-normal');
  return () => Math.sqrt(-2 * Math.log(1 - rng.uniform())) * Math.cos(2 * Math.PI * rng.uniform());
};

/** W = A diag(s) Bᵀ (d x o, A d x o with orthonormal columns, B o x o orthogonal): J = Wᵀ has singular values s. */
function linearWithSpectrum(d: number, s: number[]): Float32Array {
  const o = s.length;
  const a = orthogonalMatrix(d, o, 1, normal(1));
  const b = orthogonalMatrix(o, o, 1, normal(2));
  const w = new Float32Array(d * o);
  for (let i = 0; i < d; i++) for (let j = 0; j < o; j++) {
    let v = 0;
    for (let k = 0; k < o; k++) v += a[i * o + k]! * s[k]! * b[j * o + k]!;
    w[i * o + j] = v;
  }
  return w;
}

describe('Jacobian singular values from probes', () => {
  const s = [3, 2, 1.5, 1, 0.5, 0.25];
  const d = 12;
  const w = linearWithSpectrum(d, s);
  const f = (x: tf.Tensor4D) => tf.matMul(tf.reshape(x, [1, d]), tf.tensor2d(w, [d, s.length]));
  const x = tf.zeros([1, 1, 1, d]) as tf.Tensor4D;

  it('recovers the exact singular values of a linear network with a full set of probes', () => {
    const est = jacobianSpectrumTfjs(f, x, s.length, 7);
    Array.from(est.singularValues).forEach((v, i) => expect(v).toBeCloseTo(s[i]!, 4));
    const logs = s.map(Math.log);
    const mean = logs.reduce((a, b) => a + b) / logs.length;
    const std = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / logs.length);
    expect(est.score).toBeCloseTo(-std, 4);
    expect(est.logCondition).toBeCloseTo(Math.log(12), 4);
    expect(est.meanSquared).toBeCloseTo(s.reduce((a, b) => a + b * b, 0) / s.length, 4);
  });

  it('with fewer probes gives values inside the true range (interlacing), a subsample of the spectrum', () => {
    const est = jacobianSpectrumTfjs(f, x, 3, 11);
    expect(est.singularValues).toHaveLength(3);
    for (const v of est.singularValues) {
      expect(v).toBeLessThanOrEqual(3 + 1e-4);
      expect(v).toBeGreaterThanOrEqual(0.25 - 1e-4);
    }
    // the largest of 3 probes' values is at least the 4th largest true one (Cauchy interlacing)
    expect(est.singularValues[0]).toBeGreaterThanOrEqual(1 - 1e-4);
  });

  it('scores an isometry 0 and probes are orthonormal', () => {
    expect(summarise(Float64Array.from([2, 2, 2])).score).toBeCloseTo(0, 12);
    const u = randomProbes(8, 5, 0);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) {
      const dot = u[i]!.reduce((a, v, k) => a + v * u[j]![k]!, 0);
      expect(dot).toBeCloseTo(i === j ? 1 : 0, 5);
    }
    expect(spectrumFromProbeGradients([[3, 4]]).singularValues[0]).toBeCloseTo(5, 12);
  });
});
