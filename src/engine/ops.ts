/**
 * Batch normalisation written with broadcasting ops.
 *
 * tf.batchNorm's gradient goes through Tile, which was 34% of backward time on wasm (engine.md).
 * Written as (x - mean) * rsqrt(var + eps) * gamma + beta with [C]-shaped parameters broadcast
 * over N,H,W, the gradient only uses broadcasting multiplies and sum reductions.
 *
 * Conventions follow PyTorch's BatchNorm2d in training mode: statistics over N,H,W and the
 * biased variance (divide by N*H*W) for normalising. A caller that keeps running statistics the
 * PyTorch way must convert the returned variance to the unbiased one itself (times m/(m-1)).
 */
import * as tf from '@tensorflow/tfjs';

/** Default epsilon of PyTorch's BatchNorm2d, which NAS-Bench-201 and -101 networks use. */
export const BN_EPS = 1e-5;

export interface BatchNormTrainResult {
  /** Normalised (and, if given, scaled and shifted) output, same shape as x. */
  y: tf.Tensor4D;
  /** Per-channel batch mean, shape [C]. */
  mean: tf.Tensor1D;
  /** Per-channel biased batch variance, shape [C]. */
  variance: tf.Tensor1D;
}

/**
 * Training-mode batch norm of an NHWC tensor: normalises with the batch's own statistics.
 * gamma and beta are [C]; omit them for a non-affine batch norm.
 */
export function batchNormTrain(x: tf.Tensor4D, gamma?: tf.Tensor1D, beta?: tf.Tensor1D, eps: number = BN_EPS): tf.Tensor4D {
  return tf.tidy(() => batchNormTrainWithStats(x, gamma, beta, eps).y);
}

/** batchNormTrain that also returns the batch statistics (e.g. to update running averages). */
export function batchNormTrainWithStats(
  x: tf.Tensor4D,
  gamma?: tf.Tensor1D,
  beta?: tf.Tensor1D,
  eps: number = BN_EPS,
): BatchNormTrainResult {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const y = normalise(x, mean as tf.Tensor1D, variance as tf.Tensor1D, gamma, beta, eps);
    return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  });
}

/** Evaluation-mode batch norm: normalises with given (running) per-channel mean and variance. */
export function batchNormEval(
  x: tf.Tensor4D,
  mean: tf.Tensor1D,
  variance: tf.Tensor1D,
  gamma?: tf.Tensor1D,
  beta?: tf.Tensor1D,
  eps: number = BN_EPS,
): tf.Tensor4D {
  return tf.tidy(() => normalise(x, mean, variance, gamma, beta, eps));
}

function normalise(
  x: tf.Tensor4D,
  mean: tf.Tensor1D,
  variance: tf.Tensor1D,
  gamma: tf.Tensor1D | undefined,
  beta: tf.Tensor1D | undefined,
  eps: number,
): tf.Tensor4D {
  // Fold gamma into the [C]-sized scale so that only one full-size multiply is needed.
  let scale = tf.rsqrt<tf.Tensor1D>(tf.add<tf.Tensor1D>(variance, eps));
  if (gamma !== undefined) scale = tf.mul<tf.Tensor1D>(scale, gamma);
  let y = tf.mul<tf.Tensor4D>(tf.sub(x, mean), scale);
  if (beta !== undefined) y = tf.add<tf.Tensor4D>(y, beta);
  return y;
}
