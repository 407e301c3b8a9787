/**
 * Cross-entropy with label smoothing, as the reference's CrossEntropyLabelSmooth computes it:
 * targets t = (1 - eps) · onehot + eps / K, loss = mean over samples of Σ_c -t_c · log_softmax(z)_c.
 */
import * as tf from '@tensorflow/tfjs';

export function labelSmoothedCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, epsilon: number): tf.Scalar {
  const [, numClasses] = logits.shape;
  return tf.tidy(() => {
    const onehot = tf.oneHot(labels, numClasses);
    const targets = tf.add(tf.mul(onehot, 1 - epsilon), epsilon / numClasses);
    const logProbs = tf.logSoftmax(logits);
    return tf.mean(tf.sum(tf.mul(tf.neg(targets), logProbs), 1)) as tf.Scalar;
  });
}
