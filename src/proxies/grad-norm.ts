/**
 * grad_norm (Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS", ICLR 2021): Σ over
 * every conv and linear layer of the L2 norm of ∂L/∂W, L the mean cross-entropy of one batch (64
 * images), network in train mode, the zero-cost reference's variant. Biases and BN parameters do
 * not count.
 */
import type { ProxyDefinition, ProxySettings } from './types.ts';
import { ZERO_COST_PASS } from './zero-cost-pass.ts';

export const gradNorm: ProxyDefinition<ProxySettings> = {
  name: 'grad_norm',
  description: 'grad_norm: Σ_layers ‖∂L/∂W‖₂ over conv/linear weights (Abdelfattah et al. 2021)',
  reference: 'SamsungLabs/zero-cost-nas foresight/pruners/measures/grad_norm.py',
  version: 2,
  spaces: ['nb201', 'nb101'],
  network: 'zero-cost',
  needs: { images: 'batch', labels: true, gradients: 'first' },
  defaults: { batchSize: 64 },
  async score(ctx) {
    const { weights } = await ctx.grads(ZERO_COST_PASS);
    let total = 0;
    for (const p of ctx.saliencyWeights) {
      let sq = 0;
      for (const g of weights.get(p.name)!) sq += g * g;
      total += Math.sqrt(sq);
    }
    return total;
  },
};
