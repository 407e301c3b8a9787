/**
 * Jacobian conditioning at initialisation: how far a network's input-output Jacobian J is from
 * an isometry (dynamical isometry, Pennington et al. 2017; the training-free side of the
 * reconstruction of Luo et al. 2023, experiments/nb201-isometry.ts). Higher = better conditioned.
 *
 * Estimate with probes: k probe directions u_1..u_k in output space, orthonormal (Gaussian draws
 * orthonormalised; or the fixed directions the proxy contract offers, below). Each costs one
 * vector-Jacobian product g_i = Jᵀ u_i. The k x k Gram matrix G = (g_i · g_j) = Uᵀ J Jᵀ U has as
 * eigenvalues the squared singular values of J restricted to span(U): when the probes span the
 * whole output space (k = output size) they are exactly J's squared singular values (tested on a
 * linear network with a known spectrum); fewer probes give a subsample of the spectrum.
 *
 * Score: -std(ln σ) over the estimated singular values σ > 1e-12 · max σ (the spread of the
 * log-spectrum; 0 for an exact isometry up to scale). Parts: mean σ² (the mean squared singular
 * value, 1 at criticality) and ln(σ_max / σ_min).
 *
 * As a proxy (`jacobian_isometry`, registry): the contract offers per-sample input gradients of
 * the summed logits (GradRequest `sample`), i.e. the probes u_i = (sample i's ten logits) / √10,
 * which are orthonormal; so the spectrum is J's on the B-dimensional span of those directions,
 * with train-mode BN coupling the batch as in jacob_cov. The isometry experiment uses random
 * probes through tfjs directly (jacobianSpectrumTfjs) on the supernet's paths.
 */
import * as tf from '@tensorflow/tfjs';
import { streamFor } from '../models/rng.ts';
import { orthogonalMatrix } from '../models/init.ts';
import { symmetricEigenvalues } from '../util/eigen.ts';
import type { ProxyDefinition, ProxySettings } from './types.ts';

export interface SpectrumSummary {
  /** Estimated singular values, descending. */
  singularValues: Float64Array;
  score: number;
  meanSquared: number;
  logCondition: number;
}

/** Singular-value estimates from the probe gradients g_i = Jᵀu_i (orthonormal u_i). */
export function spectrumFromProbeGradients(grads: readonly ArrayLike<number>[]): SpectrumSummary {
  const k = grads.length;
  if (k === 0) throw new RangeError('spectrumFromProbeGradients: no probes');
  const g = new Float64Array(k * k);
  for (let i = 0; i < k; i++)
    for (let j = 0; j <= i; j++) {
      const a = grads[i]!;
      const b = grads[j]!;
      let dot = 0;
      for (let t = 0; t < a.length; t++) dot += a[t]! * b[t]!;
      g[i * k + j] = dot;
      g[j * k + i] = dot;
    }
  const eig = symmetricEigenvalues(g, k);
  const singularValues = Float64Array.from(eig, (e) => Math.sqrt(Math.max(0, e))).sort().reverse();
  return summarise(singularValues);
}

export function summarise(singularValues: Float64Array): SpectrumSummary {
  if (singularValues.some((v) => !Number.isFinite(v))) return { singularValues, score: NaN, meanSquared: NaN, logCondition: NaN };
  const max = singularValues[0] ?? 0;
  const kept = Array.from(singularValues).filter((v) => v > 1e-12 * max && v > 0);
  let meanSquared = 0;
  for (const v of singularValues) meanSquared += v * v;
  meanSquared /= singularValues.length;
  if (kept.length === 0) return { singularValues, score: NaN, meanSquared, logCondition: NaN };
  const logs = kept.map(Math.log);
  const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
  const std = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / logs.length);
  return { singularValues, score: -std, meanSquared, logCondition: Math.log(kept[0]! / kept[kept.length - 1]!) };
}

/** k orthonormal random probes in R^outDim (k <= outDim), seeded. */
export function randomProbes(outDim: number, k: number, seed: number): Float32Array[] {
  if (!Number.isInteger(k) || k < 1 || k > outDim) throw new RangeError(`probes must be 1..${outDim}, got ${k}`);
  const rng = streamFor(seed, 'jacobian-probes');
  const normal = () => {
    const r = Math.sqrt(-2 * Math.log(1 - rng.uniform()));
    return r * Math.cos(2 * Math.PI * rng.uniform());
  };
  const u = orthogonalMatrix(k, outDim, 1, normal);
  return Array.from({ length: k }, (_, i) => Float32Array.from(u.subarray(i * outDim, (i + 1) * outDim)));
}

/**
 * The spectrum of x -> f(x) at x (the whole batch as one input, the flattened logits as one
 * output, so train-mode BN's coupling is part of J), from `k` random orthonormal probes.
 */
export function jacobianSpectrumTfjs(f: (x: tf.Tensor4D) => tf.Tensor, x: tf.Tensor4D, k: number, seed: number): SpectrumSummary {
  const outShape = tf.tidy(() => f(x).shape);
  const outDim = outShape.reduce((a, b) => a * b, 1);
  const probes = randomProbes(outDim, Math.min(k, outDim), seed);
  const grads = probes.map((u) =>
    tf.tidy(() => {
      const ut = tf.tensor(u, outShape);
      const g = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(f(xx as tf.Tensor4D), ut)))(x);
      return g.dataSync() as Float32Array;
    }),
  );
  return spectrumFromProbeGradients(grads);
}

export const jacobianIsometry: ProxyDefinition<ProxySettings> = {
  name: 'jacobian_isometry',
  description: 'jacobian_isometry: -std(ln σ) of the input-output Jacobian singular values on the per-sample logit-sum probes (dynamical isometry)',
  reference: 'ours (Pennington et al. 2017 dynamical isometry; Luo et al. 2023 reconstruction): src/proxies/jacobian-isometry.ts',
  version: 1,
  spaces: ['nb201'],
  network: 'zero-cost',
  needs: { images: 'batch', labels: false, gradients: 'first' },
  defaults: { batchSize: 16 },
  parts: ['mean_sq_singular', 'log_condition'],
  async score(ctx) {
    const n = ctx.batches[0]!.n;
    const probeNorm = 1 / Math.sqrt(ctx.numClasses);
    const grads: Float32Array[] = [];
    for (let i = 0; i < n; i++) {
      const { input } = await ctx.grads({ loss: 'sum-logits', sample: i, input: true });
      grads.push(Float32Array.from(input!, (v) => v * probeNorm));
    }
    const s = spectrumFromProbeGradients(grads);
    return { score: s.score, parts: { mean_sq_singular: s.meanSquared, log_condition: s.logCondition } };
  },
};
