/**
 * SNIP (Lee et al., ICLR 2019) as the zero-cost reference computes it (SamsungLabs/zero-cost-nas,
 * measures/snip.py): the gradient of the loss w.r.t. a multiplicative mask of ones on every conv
 * and linear weight, in absolute value, i.e. Σ |∂L/∂w · w| over those weights; L the mean
 * cross-entropy of one batch (64 for NB201), train mode, cell BN without affine/running stats.
 */
import type { ProxyDescriptor, ProxySettings } from './types.ts';
import { lossGradients, saliencyWeights } from './zero-cost-forward.ts';

export const snip: ProxyDescriptor<ProxySettings> = {
  name: 'snip',
  description: 'snip: Σ |∂L/∂w · w| over conv/linear weights (Lee et al. 2019, as in SamsungLabs/zero-cost-nas)',
  spaces: ['nb201', 'nb101'],
  needs: { images: true, labels: true, gradients: true },
  defaults: { batchSize: 64 },
  network: (numClasses) => ({ C: 16, N: 5, numClasses, bn: 'no-affine' }),
  score(network, batch, _settings, engine) {
    if (!batch) throw new Error('snip needs a batch of images');
    const { weights } = lossGradients(engine, network, batch);
    let total = 0;
    for (const p of saliencyWeights(network)) {
      const w = p.variable.dataSync();
      const g = weights.get(p.name)!;
      for (let i = 0; i < g.length; i++) total += Math.abs(w[i]! * g[i]!);
    }
    return total;
  },
};
