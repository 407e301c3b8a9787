/**
 * The losses the gradient executors differentiate, on tfjs.
 *
 * `crossEntropy`: PyTorch's nn.CrossEntropyLoss() (mean over the batch) on logits [n, k] and
 * 0-based labels, through tf.logSoftmax. First-order use.
 *
 * `crossEntropySecondOrder`: the same value, differentiable twice in tfjs 4.22. tfjs's gradients
 * of kernels that save their OUTPUT (Exp, LogSoftmax, Softmax, ...) use a copy detached from the
 * outer tape, so their second derivative comes out wrong (Exp's HVP is half the true one); this
 * loss uses an exp whose gradient recomputes exp from its input, and a per-row shift given as a
 * constant (cross-entropy does not depend on it; it only keeps exp in range). The shift is read
 * from values BEFORE the gradient pass (`logitShift`), because a gradient pass must not read
 * values (tf.grads is synchronous; the webgpu backend reads asynchronously only).
 */
import * as tf from '@tensorflow/tfjs';

export function crossEntropy(logits: tf.Tensor2D, labels: Int32Array): tf.Scalar {
  return tf.tidy(() => {
    const k = logits.shape[1];
    const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), k);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  });
}

/** The sum of every logit (jacob_cov's and TE-NAS's output). */
export function sumLogits(logits: tf.Tensor2D): tf.Scalar {
  return tf.sum(logits) as tf.Scalar;
}

/** exp whose gradient is dy · exp(x) computed from x (correct under nested gradients). */
const expTwice = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return { value: tf.exp(x), gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => tf.mul(dy as tf.Tensor, tf.exp(saved[0]!)) };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;

/** Per-row maxima of logits, as a constant [n, 1] tensor (caller disposes). */
export async function logitShift(logits: tf.Tensor2D): Promise<tf.Tensor2D> {
  const m = tf.max(logits, 1);
  const values = (await m.data()) as Float32Array;
  m.dispose();
  return tf.tensor2d(Float32Array.from(values), [values.length, 1]);
}

/** Mean cross-entropy, differentiable twice (see the file comment); `shift` from logitShift. */
export function crossEntropySecondOrder(logits: tf.Tensor2D, labels: Int32Array, shift: tf.Tensor2D): tf.Scalar {
  const k = logits.shape[1];
  const z = tf.sub(logits, shift);
  const lse = tf.log(tf.sum(expTwice(z), 1));
  const picked = tf.sum(tf.mul(tf.oneHot(tf.tensor1d(labels, 'int32'), k), z), 1);
  return tf.mean(tf.sub(lse, picked)) as tf.Scalar;
}
