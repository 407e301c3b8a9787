/**
 * plain (NAS-Bench-Suite-Zero, Krishnakumar et al. 2022; the "plain" saliency of the pruning
 * literature, Mozer & Smolensky 1989): Σ over every conv and linear weight of W · ∂L/∂W, signed
 * (snip is the same sum with |·|). L = mean cross-entropy of one labelled batch, network in train
 * mode with BN (the measure is registered with `bn=True`).
 *
 * Reference: automl/NASLib (zerocost branch) naslib/predictors/pruners/measures/plain.py
 * (`layer.weight.grad * layer.weight` per conv/linear layer, summed over layers and elements by
 * the caller). Choices the reference leaves open:
 * - the network: the zero-cost reference's variant, batch 64 (as grad_norm, snip, fisher: the
 *   gradient pass is the shared ZERO_COST_PASS, so scoring plain beside them costs no backward);
 * - split_data 1 (one backward over the whole batch);
 * - W · ∂L/∂W is the derivative of L along the ray t ↦ L((1 + t) W) at t = 0 (the test checks
 *   that by a finite difference).
 */
import type { ProxyDefinition, ProxySettings } from './types.ts';
import { ZERO_COST_PASS } from './zero-cost-pass.ts';

export const plain: ProxyDefinition<ProxySettings> = {
  name: 'plain',
  description: 'plain: Σ over conv/linear weights of W·∂L/∂W, signed (NAS-Bench-Suite-Zero)',
  reference: 'automl/NASLib naslib/predictors/pruners/measures/plain.py',
  version: 1,
  spaces: ['nb201', 'nb101'],
  network: 'zero-cost',
  needs: { images: 'batch', labels: true, gradients: 'first' },
  defaults: { batchSize: 64 },
  async score(ctx) {
    const { weights } = await ctx.grads(ZERO_COST_PASS);
    let total = 0;
    for (const p of ctx.saliencyWeights) {
      const g = weights.get(p.name)!;
      const w = await ctx.network.values(p.name);
      for (let i = 0; i < g.length; i++) total += w[i]! * g[i]!;
    }
    return total;
  },
};
