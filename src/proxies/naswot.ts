/**
 * NASWOT (Mellor et al., "Neural Architecture Search without Training", ICML 2021), as the
 * reference code (BayesWatch/nas-without-training) computes it:
 * - one batch of 128 training images, no augmentation, network in TRAIN mode (BN on batch
 *   statistics; eval mode changes the scores, a known user complaint);
 * - for every ReLU module, its INPUT x flattened per sample and binarised c = (x > 0);
 *   K += c cᵀ + (1 - c)(1 - c)ᵀ, i.e. K_ij = units - Hamming(c_i, c_j), summed over all ReLUs;
 * - score = log|det K| (numpy slogdet's second value; the sign is ignored).
 * The NB201 network is C=16, N=5 with a single output, as in the reference (the classifier does
 * not affect K). Weights come from our seeded PyTorch-default initialisation.
 *
 * Exactness: c cᵀ and the row sums are integer counts below 2^24 (the largest NB201 network has
 * 757,760 ReLU units per sample), so accumulating K in float32 tensors is exact; only the
 * log-determinant needs float64, which tfjs lacks, so it is taken in JS (LU with pivoting).
 */
import type * as tf from '@tensorflow/tfjs';
import { logAbsDet } from '../util/linalg.ts';
import type { ProxyDescriptor, ProxySettings } from './types.ts';

export const naswot: ProxyDescriptor<ProxySettings> = {
  name: 'naswot',
  description: 'NASWOT log|det K| of binary ReLU-input codes (Mellor et al. 2021; BayesWatch/nas-without-training)',
  needs: { images: true, labels: false, gradients: false },
  spaces: ['nb201', 'nb101'],
  defaults: { batchSize: 128 },
  network: () => ({ C: 16, N: 5, numClasses: 1, bn: 'standard' }),
  score(network, batch, _settings, engine) {
    if (!batch) throw new Error('naswot needs a batch of images');
    const K = naswotKernel(engine, (onReluInput) => {
      const x = engine.tensor4d(batch.x, [batch.n, batch.height, batch.width, batch.channels]);
      try {
        engine.dispose(network.apply(x, { training: true, onReluInput, updateRunningStats: false, releaseIntermediates: true }));
      } finally {
        x.dispose();
      }
    }, batch.n);
    return logAbsDet(K, batch.n);
  },
};

/**
 * Runs `forward` with a ReLU-input hook and returns K (n x n, row-major float64).
 * Exposed for tests, which check K against a direct Hamming-distance computation.
 */
export function naswotKernel(
  engine: typeof tf,
  forward: (onReluInput: (x: tf.Tensor) => void) => void,
  n: number,
): Float64Array {
  let acc: tf.Tensor2D = engine.zeros([n, n]);
  forward((x) => {
    // keep(): the hook runs inside the network's own tidy scope, which would dispose the sum.
    const next = engine.keep(
      engine.tidy(() => {
        // s = 2c - 1 in {-1, +1}: s_i . s_j = units - 2 Hamming(c_i, c_j), so
        // K = c cᵀ + (1 - c)(1 - c)ᵀ = units - Hamming = (s sᵀ + units) / 2. One matmul.
        const s = engine.sub(engine.mul(engine.cast(engine.greater(engine.reshape(x, [n, -1]), 0), 'float32'), 2), 1) as tf.Tensor2D;
        const units = s.shape[1];
        // An explicit transpose: matMul(s, s, false, true) is ~10x slower on the wasm backend.
        const k = engine.div(engine.add(engine.matMul(s, engine.transpose(s)), units), 2);
        return engine.add(acc, k) as tf.Tensor2D;
      }),
    );
    acc.dispose();
    acc = next;
  });
  const out = Float64Array.from(acc.dataSync());
  acc.dispose();
  return out;
}
