/**
 * fisher (Theis et al. 2018, Turner et al. 2020) as the zero-cost reference computes it (mode
 * 'channel'): for every conv and linear layer, with a its output (bias included, before BN) and
 * g = ∂L/∂a on one batch,
 *   fisher_c = 0.5 · mean over samples n of (Σ over positions of a[n,·,c] · g[n,·,c])²,
 * then each channel's value is copied to every weight of that output channel (reshape_elements
 * broadcasts it to weight.shape[1:]), so a layer contributes Σ_c fisher_c · (in · kh · kw).
 * The score is the sum over layers. L = mean cross-entropy, train mode, batch 64, the zero-cost
 * reference's variant. Σ_positions a · g is the shared pass's `layerOutputs` (zero-cost-pass.ts).
 */
import type { ProxyDefinition, ProxySettings } from './types.ts';
import { fanInPerOutput, ZERO_COST_PASS } from './zero-cost-pass.ts';

export const fisher: ProxyDefinition<ProxySettings> = {
  name: 'fisher',
  description: 'fisher: Σ over conv/linear channels of 0.5·mean_n(Σ_pos a·∂L/∂a)² × fan-in (channel mode)',
  reference: 'SamsungLabs/zero-cost-nas foresight/pruners/measures/fisher.py',
  version: 2,
  spaces: ['nb201', 'nb101'],
  network: 'zero-cost',
  needs: { images: 'batch', labels: true, gradients: 'first' },
  defaults: { batchSize: 64 },
  async score(ctx) {
    const { layerOutputs } = await ctx.grads(ZERO_COST_PASS);
    let total = 0;
    for (const p of ctx.saliencyWeights) {
      const { n, c, v } = layerOutputs.get(p.name)!;
      const fanIn = fanInPerOutput(p.shape);
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += v[i * c + ch]! ** 2;
        total += 0.5 * (s / n) * fanIn;
      }
    }
    return total;
  },
};
