/**
 * SNIP (Lee et al., ICLR 2019) as the zero-cost reference computes it: the gradient of the loss
 * w.r.t. a multiplicative mask of ones on every conv and linear weight, in absolute value, i.e.
 * Σ |∂L/∂w · w| over those weights; L the mean cross-entropy of one batch (64), train mode, the
 * zero-cost reference's variant.
 */
import type { ProxyDefinition, ProxySettings } from './types.ts';
import { ZERO_COST_PASS } from './zero-cost-pass.ts';

export const snip: ProxyDefinition<ProxySettings> = {
  name: 'snip',
  description: 'snip: Σ |∂L/∂w · w| over conv/linear weights (Lee et al. 2019)',
  reference: 'SamsungLabs/zero-cost-nas foresight/pruners/measures/snip.py',
  version: 2,
  spaces: ['nb201', 'nb101'],
  network: 'zero-cost',
  needs: { images: 'batch', labels: true, gradients: 'first' },
  defaults: { batchSize: 64 },
  async score(ctx) {
    const { weights } = await ctx.grads(ZERO_COST_PASS);
    let total = 0;
    for (const p of ctx.saliencyWeights) {
      const w = await ctx.network.values(p.name);
      const g = weights.get(p.name)!;
      for (let i = 0; i < g.length; i++) total += Math.abs(w[i]! * g[i]!);
    }
    return total;
  },
};
