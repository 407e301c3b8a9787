/**
 * jacob_cov (Mellor et al. 2020 v1, "Neural Architecture Search without Training", as the
 * zero-cost reference computes it):
 * - J = ∂(Σ of all outputs)/∂x for the batch (train mode, so BN couples the samples as in the
 *   reference's y.backward(ones)), one row per sample (flattened; the reference flattens NCHW,
 *   we NHWC: a permutation of the columns, which corrcoef does not see);
 * - C = corrcoef(J) (float64), v = its eigenvalues;
 * - score = -Σ (log(v + 1e-5) + 1/(v + 1e-5)).
 * A slightly negative eigenvalue (below -1e-5) gives NaN, as numpy's log does; it is returned.
 * Network: the zero-cost reference's variant, batch 64.
 */
import { corrcoef, symmetricEigenvalues } from '../util/eigen.ts';
import type { ProxyDefinition, ProxySettings } from './types.ts';

/** The reference's eval_score on a correlation matrix's eigenvalues. */
export function jacobCovFromEigenvalues(v: ArrayLike<number>): number {
  const k = 1e-5;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Math.log(v[i]! + k) + 1 / (v[i]! + k);
  return -s;
}

export const jacobCov: ProxyDefinition<ProxySettings> = {
  name: 'jacob_cov',
  description: 'jacob_cov: -Σ(log(v+k)+1/(v+k)) over eigenvalues of corrcoef of input Jacobians (Mellor et al. 2020 v1)',
  reference: 'SamsungLabs/zero-cost-nas foresight/pruners/measures/jacob_cov.py',
  version: 2,
  spaces: ['nb201', 'nb101'],
  network: 'zero-cost',
  needs: { images: 'batch', labels: false, gradients: 'first' },
  defaults: { batchSize: 64 },
  async score(ctx) {
    const { input } = await ctx.grads({ loss: 'sum-logits', input: true });
    const n = ctx.batches[0]!.n;
    return jacobCovFromEigenvalues(symmetricEigenvalues(corrcoef(input!, n, input!.length / n), n));
  },
};
