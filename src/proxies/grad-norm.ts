/**
 * grad_norm (Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS", ICLR 2021; reference
 * SamsungLabs/zero-cost-nas, measures/grad_norm.py): Σ over every conv and linear layer of the
 * L2 norm of ∂L/∂W, L the mean cross-entropy of one batch (64 images for NB201), network in
 * train mode, the reference's NB201 variant (cell BN without affine parameters or running
 * statistics, real class count). Biases and BN parameters do not count.
 */
import type { ProxyDescriptor, ProxySettings } from './types.ts';
import { lossGradients, saliencyWeights } from './zero-cost-forward.ts';

export const gradNorm: ProxyDescriptor<ProxySettings> = {
  name: 'grad_norm',
  description: 'grad_norm: Σ_layers ‖∂L/∂W‖₂ over conv/linear weights (Abdelfattah et al. 2021; SamsungLabs/zero-cost-nas)',
  spaces: ['nb201', 'nb101'],
  needs: { images: true, labels: true, gradients: true },
  defaults: { batchSize: 64 },
  network: (numClasses) => ({ C: 16, N: 5, numClasses, bn: 'no-affine' }),
  score(network, batch, _settings, engine) {
    if (!batch) throw new Error('grad_norm needs a batch of images');
    const { weights } = lossGradients(engine, network, batch);
    let total = 0;
    for (const p of saliencyWeights(network)) {
      let sq = 0;
      for (const g of weights.get(p.name)!) sq += g * g;
      total += Math.sqrt(sq);
    }
    return total;
  },
};
