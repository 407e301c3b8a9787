/**
 * Fair-BN indicator, part 1 of 3: EXPRESSIVITY. A reconstruction: Zhu et al. (arXiv 2112.00265)
 * name the part but do not publish its formula; this is our definition (see fair-bn.ts).
 *
 * Definition: on the BN-only-trained fair supernet, run the candidate's path in train mode (BN on
 * batch statistics) over a batch of n training images, binarise the input of every ReLU on the
 * path (c = x > 0 per unit and image), and take
 *     E = log |det K|,  K_ij = Σ over ReLU units of [c_i = c_j]   (n x n),
 * i.e. NASWOT's activation-pattern kernel (src/proxies/naswot.ts) on the trained path.
 *
 * Why this measures expressivity, and where BatchNorm enters: a ReLU network is piecewise linear
 * and its expressive power is the number of linear regions it can carve (Montúfar et al. 2014;
 * Hanin & Rolnick 2019); two images in the same region share the whole activation pattern.
 * K's log-determinant is large when the n images fall into many, well-separated patterns. Every
 * ReLU of an NB201 path reads a sum of BN outputs γ·x̂ + β: with x̂ standardised per channel by the
 * batch, the trained γ/β alone decide where each channel is cut (x̂ > -β/γ) and so which patterns
 * exist; training only BN moves exactly these thresholds. Running statistics are not touched
 * (train-mode batch statistics, no update), so scoring never changes the supernet.
 *
 * A path whose every ReLU sees the same pattern for all images (e.g. its cell output is cut off
 * by `none` edges) has a singular K: E = -Infinity, exact, and ranked last.
 */
import * as tf from '@tensorflow/tfjs';
import type { PathForward } from '../supernet/supernet-space.ts';
import { logAbsDet } from '../util/linalg.ts';
import { reluCodeKernelTensor } from './context.ts';

export function fairBnExpressivity<P>(supernet: PathForward<P>, path: P, x: tf.Tensor4D): number {
  const n = x.shape[0];
  const K = reluCodeKernelTensor((onReluInput) => {
    tf.dispose(supernet.apply(x, { training: true, path, onReluInput, updateRunningStats: false, releaseIntermediates: true }));
  }, n);
  const values = Float64Array.from(K.dataSync());
  K.dispose();
  return logAbsDet(values, n);
}
