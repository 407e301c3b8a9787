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
 * multiplying the output (d/dm of L(a · m) at m = 1); the network has no hook at conv outputs, so
 * this runs zcForward (zero-cost-forward.ts), which does, with the mask inserted.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ImageBatch } from '../datasets/types.ts';
import type { Network } from '../models/nb201-network.ts';
import type { ProxyDescriptor, ProxySettings } from './types.ts';
import { batchTensor, crossEntropy, fanInPerOutput, saliencyWeights, zcForward } from './zero-cost-forward.ts';

/**
 * Per layer (weight name), Σ_positions a · g for every sample and output channel, as [n, C]
 * row-major float64 (what the reference's hook computes before squaring).
 */
export function fisherActGrads(engine: typeof tf, network: Network, batch: ImageBatch): Map<string, { n: number; c: number; v: Float64Array }> {
  const weights = saliencyWeights(network);
  const byName = new Map(network.params.map((p) => [p.name, p.variable as tf.Tensor]));
  const x = batchTensor(engine, batch);
  const n = batch.n;
  const masks = weights.map((p) => engine.ones([n, p.variable.shape[p.variable.shape.length - 1]!]) as tf.Tensor2D);
  const maskIndex = new Map(weights.map((p, i) => [p.name, i]));
  try {
    const f = (...ms: tf.Tensor[]): tf.Scalar => {
      const out = zcForward(engine, network, x, (name) => byName.get(name)!, {
        onLayerOutput: (y, name) => {
          const m = ms[maskIndex.get(name)!]!;
          const shape = y.rank === 4 ? [n, 1, 1, m.shape[1]!] : [n, m.shape[1]!];
          return engine.mul(y, engine.reshape(m, shape));
        },
      });
      return crossEntropy(engine, out.logits, batch.labels);
    };
    const grads = engine.tidy(() => engine.grads(f)(masks));
    const result = new Map<string, { n: number; c: number; v: Float64Array }>();
    weights.forEach((p, i) => {
      const g = grads[i]!;
      result.set(p.name, { n, c: g.shape[1]!, v: Float64Array.from(g.dataSync()) });
    });
    engine.dispose(grads);
    return result;
  } finally {
    x.dispose();
    engine.dispose(masks);
  }
}

export const fisher: ProxyDescriptor<ProxySettings> = {
  name: 'fisher',
  description: 'fisher: Σ over conv/linear channels of 0.5·mean_n(Σ_pos a·∂L/∂a)² × fan-in (SamsungLabs/zero-cost-nas, channel mode)',
  needs: { images: true, labels: true, gradients: true },
  defaults: { batchSize: 64 },
  network: (numClasses) => ({ C: 16, N: 5, numClasses, bn: 'no-affine' }),
  score(network, batch, _settings, engine) {
    if (!batch) throw new Error('fisher needs a batch of images');
    const ag = fisherActGrads(engine, network, batch);
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
