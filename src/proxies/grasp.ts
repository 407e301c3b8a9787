/**
 * GraSP (Wang et al., ICLR 2020) as the zero-cost reference computes it (T = 1, one iteration):
 * with W the conv and linear weights, L the mean cross-entropy of one batch (train mode, batch
 * 64, the zero-cost reference's variant),
 *   g = ∂L/∂W (a constant), Hg = ∂/∂W (g · ∂L/∂W) (a Hessian-vector product),
 *   score = Σ over those weights of -w · (Hg)_w.
 * g is the shared first-order pass (zero-cost-pass.ts); H g comes from the context's
 * Hessian-vector product (stage by stage within wasm's heap, src/executors/tfjs-hvp.ts).
 */
import type { ProxyDefinition, ProxySettings } from './types.ts';
import { ZERO_COST_PASS } from './zero-cost-pass.ts';

export const grasp: ProxyDefinition<ProxySettings> = {
  name: 'grasp',
  description: 'grasp: Σ -w·(Hg) over conv/linear weights, g = ∂L/∂w (Wang et al. 2020)',
  reference: 'SamsungLabs/zero-cost-nas foresight/pruners/measures/grasp.py',
  version: 2,
  spaces: ['nb201', 'nb101'],
  network: 'zero-cost',
  needs: { images: 'batch', labels: true, gradients: 'second' },
  defaults: { batchSize: 64 },
  async score(ctx) {
    const g = (await ctx.grads(ZERO_COST_PASS)).weights;
    const hg = await ctx.hvp(new Map(ctx.saliencyWeights.map((p) => [p.name, g.get(p.name)!])));
    let total = 0;
    for (const p of ctx.saliencyWeights) {
      const w = await ctx.network.values(p.name);
      const h = hg.get(p.name)!;
      for (let k = 0; k < w.length; k++) total -= w[k]! * h[k]!;
    }
    return total;
  },
};
