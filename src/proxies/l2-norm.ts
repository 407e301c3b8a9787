/**
 * l2_norm (NAS-Bench-Suite-Zero, Krishnakumar et al. 2022): Σ over every conv and linear layer of
 * ‖W‖₂, the Frobenius norm of the layer's weight at initialisation. No data, no gradients.
 *
 * Reference: automl/NASLib (zerocost branch) naslib/predictors/pruners/measures/l2_norm.py
 * (`get_layer_metric_array(net, lambda l: l.weight.norm())`, summed over layers by the caller).
 * Choices the reference leaves open:
 * - the network: the zero-cost reference's variant ('zero-cost', as grad_norm and the other
 *   NBSZ measures here), so the weights are PyTorch's default initialisation on NB201 and the
 *   zero-cost NB101 port's `_initialize_weights` on NB101. BN does not matter: only conv and linear
 *   weights are read (biases and BN parameters excluded, as `l.weight` of Conv2d/Linear only);
 * - no image is read, so the batch and augmentation settings change nothing (batchSize 1).
 */
import type { ProxyDefinition, ProxySettings } from './types.ts';

export const l2Norm: ProxyDefinition<ProxySettings> = {
  name: 'l2_norm',
  description: 'l2_norm: Σ over conv/linear layers of ‖W‖₂ at initialisation (NAS-Bench-Suite-Zero)',
  reference: 'automl/NASLib naslib/predictors/pruners/measures/l2_norm.py',
  version: 1,
  spaces: ['nb201', 'nb101'],
  network: 'zero-cost',
  needs: { images: 'none', labels: false, gradients: 'none' },
  defaults: { batchSize: 1 },
  async score(ctx) {
    let total = 0;
    for (const p of ctx.saliencyWeights) {
      const w = await ctx.network.values(p.name);
      let sq = 0;
      for (const v of w) sq += v * v;
      total += Math.sqrt(sq);
    }
    return total;
  },
};
