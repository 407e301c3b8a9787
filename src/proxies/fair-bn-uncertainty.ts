/**
 * Fair-BN indicator, part 3 of 3: UNCERTAINTY. A reconstruction: Zhu et al. (arXiv 2112.00265)
 * name the part but do not publish its formula; this is our definition (see fair-bn.ts).
 *
 * Definition (Monte-Carlo Batch Normalization, Teye et al., ICML 2018): a train-mode BN
 * normalises each image with the statistics of whatever batch it arrives in, so the batch acts as
 * a random variable and the spread of a network's prediction over batches is a predictive
 * uncertainty that BatchNorm itself provides. For the candidate's path on the BN-only-trained
 * fair supernet: fixed probe images P (m images) are run T times, each time together with a
 * different random batch of training images, in train mode (no running-statistics update); with
 * p_t the softmax of the probes' logits in draw t,
 *     U = mean over probes of Σ_classes Var_t(p_t),
 * and the indicator part is -U (less uncertainty = better). The context batches are several
 * times larger than the probe set, so the statistics are mostly the context's, as in MCBN.
 *
 * The a-priori direction (confident = good) is a choice, not fitted: the report gives each part's
 * signed correlation, so the data show whether it holds. A path whose output ignores its input
 * has U = 0 (a constant prediction is never uncertain); expressivity ranks such paths last.
 */
import * as tf from '@tensorflow/tfjs';
import type { PathForward } from '../supernet/supernet-space.ts';

/** -U for the path (see the file comment); `contexts` are the T random training batches. */
export function fairBnUncertainty<P>(supernet: PathForward<P>, path: P, probes: tf.Tensor4D, contexts: readonly tf.Tensor4D[]): number {
  if (contexts.length < 2) throw new RangeError(`uncertainty needs at least 2 context batches, got ${contexts.length}`);
  const m = probes.shape[0];
  const variance = tf.tidy(() => {
    const draws = contexts.map((context) => {
      const logits = supernet.apply(tf.concat([probes, context]), { training: true, path, updateRunningStats: false, releaseIntermediates: true });
      return tf.softmax(tf.slice(logits, [0, 0], [m, -1]));
    });
    const stacked = tf.stack(draws); // [T, m, classes]
    const { variance: v } = tf.moments(stacked, 0); // population variance over the draws
    return tf.mean(tf.sum(v, 1));
  });
  const u = variance.dataSync()[0]!;
  variance.dispose();
  return -u;
}
