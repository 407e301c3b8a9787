/**
 * fisher (Theis et al. 2018, Turner et al. 2020) as the zero-cost reference computes it
 * (SamsungLabs/zero-cost-nas, measures/fisher.py, mode 'channel'): for every conv and linear
 * layer, with a its output (bias included, before BN) and g = ∂L/∂a on one batch,
 *   fisher_c = 0.5 · mean over samples n of (Σ over positions of a[n,·,c] · g[n,·,c])²,
 * then each channel's value is copied to every weight of that output channel (reshape_elements
 * broadcasts it to weight.shape[1:]), so a layer contributes Σ_c fisher_c · (in · kh · kw).
 * The score is the sum over layers. L = mean cross-entropy, train mode, cell BN without
 * affine/running stats, real class count, batch 64.
 *
 * Σ_positions a · g per sample and channel is the gradient of L w.r.t. a mask m[n, c] of ones
 * multiplying the output (d/dm of L(a · m) at m = 1): lossGradients (zero-cost-forward.ts) takes
 * it in the same backward pass as grad_norm's and snip's weight gradients.
 */
import type { ProxyDescriptor, ProxySettings } from './types.ts';
import { fanInPerOutput, lossGradients, saliencyWeights } from './zero-cost-forward.ts';

export const fisher: ProxyDescriptor<ProxySettings> = {
  name: 'fisher',
  description: 'fisher: Σ over conv/linear channels of 0.5·mean_n(Σ_pos a·∂L/∂a)² × fan-in (SamsungLabs/zero-cost-nas, channel mode)',
  spaces: ['nb201', 'nb101'],
  needs: { images: true, labels: true, gradients: true },
  defaults: { batchSize: 64 },
  network: (numClasses) => ({ C: 16, N: 5, numClasses, bn: 'no-affine' }),
  score(network, batch, _settings, engine) {
    if (!batch) throw new Error('fisher needs a batch of images');
    const ag = lossGradients(engine, network, batch).activations;
    let total = 0;
    for (const p of saliencyWeights(network)) {
      const { n, c, v } = ag.get(p.name)!;
      const fanIn = fanInPerOutput(p.variable.shape);
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += v[i * c + ch]! ** 2;
        total += 0.5 * (s / n) * fanIn;
      }
    }
    return total;
  },
};
