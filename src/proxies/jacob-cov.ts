/**
 * jacob_cov (Mellor et al. 2020 v1, "Neural Architecture Search without Training", as the
 * zero-cost reference computes it: SamsungLabs/zero-cost-nas, measures/jacob_cov.py):
 * - J = ∂(Σ of all outputs)/∂x for the batch (train mode, so BN couples the samples as in the
 *   reference's y.backward(ones)), one row per sample (flattened; the reference flattens NCHW,
 *   we NHWC: a permutation of the columns, which corrcoef does not see);
 * - C = corrcoef(J) (float64), v = its eigenvalues;
 * - score = -Σ (log(v + 1e-5) + 1/(v + 1e-5)).
 * A slightly negative eigenvalue (below -1e-5) gives NaN, as numpy's log does; it is returned.
 * Network: the reference's NB201 variant (cell BN without affine/running stats), real class
 * count, batch 64. The forward is zcStages (correct avg_pool_3x3 input gradients), differentiated
 * stage by stage (chained-gradients.ts) to bound memory.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ProxyDescriptor, ProxySettings } from './types.ts';
import { chainedGradients } from './chained-gradients.ts';
import { batchTensor } from './zero-cost-forward.ts';
import { stagesOf } from './zero-cost-stages.ts';
import { corrcoef, symmetricEigenvalues } from './zero-cost-linalg.ts';

/** The reference's eval_score on a correlation matrix's eigenvalues. */
export function jacobCovFromEigenvalues(v: ArrayLike<number>): number {
  const k = 1e-5;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Math.log(v[i]! + k) + 1 / (v[i]! + k);
  return -s;
}

export const jacobCov: ProxyDescriptor<ProxySettings> = {
  name: 'jacob_cov',
  description: 'jacob_cov: -Σ(log(v+k)+1/(v+k)) over eigenvalues of corrcoef of input Jacobians (Mellor et al. 2020 v1; SamsungLabs/zero-cost-nas)',
  spaces: ['nb201', 'nb101'],
  needs: { images: true, labels: false, gradients: true },
  defaults: { batchSize: 64 },
  network: (numClasses) => ({ C: 16, N: 5, numClasses, bn: 'no-affine' }),
  score(network, batch, _settings, engine) {
    if (!batch) throw new Error('jacob_cov needs a batch of images');
    const byName = new Map(network.params.map((p) => [p.name, p.variable as tf.Tensor]));
    const x = batchTensor(engine, batch);
    try {
      const { dx } = chainedGradients(engine, stagesOf(engine, network), x, (name) => byName.get(name)!, (y) => engine.sum(y), [], {
        inputGradient: true,
      });
      const values = dx!.dataSync();
      dx!.dispose();
      const n = batch.n;
      return jacobCovFromEigenvalues(symmetricEigenvalues(corrcoef(values, n, values.length / n), n));
    } finally {
      x.dispose();
    }
  },
};
