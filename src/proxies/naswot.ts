/**
 * NASWOT (Mellor et al., "Neural Architecture Search without Training", ICML 2021), as the
 * reference code computes it (BayesWatch/nas-without-training, `score_networks.py` with
 * `hooklogdet`):
 * - one batch of 128 training images, no augmentation, network in TRAIN mode (BN on batch
 *   statistics; eval mode changes the scores, a known user complaint);
 * - for every ReLU module, its INPUT x flattened per sample and binarised c = (x > 0);
 *   K += c cᵀ + (1 - c)(1 - c)ᵀ, i.e. K_ij = units - Hamming(c_i, c_j), summed over all ReLUs;
 * - score = log|det K| (numpy slogdet's second value; the sign is ignored).
 * Network: the 'naswot' variant (variants.ts: NB201 C=16, N=5 with a single output, as the
 * reference; the classifier does not affect K). K is the context's ReLU-code kernel (computed
 * inside the ONNX graph where ONNX Runtime runs, else by a tfjs hook): its entries are integer
 * counts below 2^24, exact in float32; only the log-determinant needs float64 (LU in JS).
 */
import { logAbsDet } from '../util/linalg.ts';
import type { ProxyDefinition, ProxySettings } from './types.ts';

export const naswot: ProxyDefinition<ProxySettings> = {
  name: 'naswot',
  description: 'NASWOT log|det K| of binary ReLU-input codes (Mellor et al. 2021)',
  reference: 'BayesWatch/nas-without-training score_networks.py (hooklogdet)',
  version: 2,
  spaces: ['nb201', 'nb101'],
  network: 'naswot',
  needs: { images: 'batch', labels: false, gradients: 'none' },
  defaults: { batchSize: 128 },
  async score(ctx) {
    const K = await ctx.reluKernel();
    return logAbsDet(K, ctx.batches[0]!.n);
  },
};
