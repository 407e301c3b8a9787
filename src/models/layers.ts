/**
 * Functional building blocks over tf ops, NHWC. They hold no state: parameters are passed in, so
 * the network builder owns every variable and one place lists them (what proxies iterate over).
 *
 * Padding follows PyTorch, not TF: convolutions take an explicit symmetric pad (TF's 'same' pads
 * a stride-2 conv on an even input only at the bottom/right, PyTorch pads 1 on every side).
 */
import * as tf from '@tensorflow/tfjs';

/** PyTorch BatchNorm2d defaults. */
export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

/** Conv without bias (NB201 convs are bias-free; a bias, where there is one, is added with addBias). */
export function conv2d(x: tf.Tensor4D, weight: tf.Tensor4D, stride: number, pad: number): tf.Tensor4D {
  return tf.conv2d(x, weight, stride, pad);
}

/** Adds a per-channel bias (conv bias or linear bias), broadcasting over the leading axes. */
export function addBias<T extends tf.Tensor>(x: T, bias: tf.Tensor1D): T {
  return tf.add(x, bias) as T;
}

/**
 * What a BatchNorm2d holds. gamma/beta are absent for affine=False; runningMean/runningVar are
 * absent for track_running_stats=False (then PyTorch uses batch statistics in eval mode too).
 */
export interface BatchNormState {
  gamma?: tf.Variable<tf.Rank.R1>;
  beta?: tf.Variable<tf.Rank.R1>;
  runningMean?: tf.Variable<tf.Rank.R1>;
  runningVar?: tf.Variable<tf.Rank.R1>;
}

/**
 * BatchNorm2d over NHWC. Train mode normalises with the batch's mean and biased variance over
 * (N, H, W) and, when the layer tracks running statistics and `updateRunningStats` is set, moves
 * them like PyTorch: running = (1 - m) running + m stat, with the unbiased variance n/(n-1).
 * Eval mode uses the running statistics when there are any, else the batch's.
 *
 * Written with broadcasting ops instead of tf.batchNorm: tf.batchNorm's gradient goes through
 * Tile, a third of backward time on wasm (engine.md), and moments-based BN differentiates through
 * the batch statistics as PyTorch's train-mode BN does.
 */
export function batchNorm(
  x: tf.Tensor4D,
  bn: BatchNormState,
  training: boolean,
  updateRunningStats = true,
): tf.Tensor4D {
  const useBatchStats = training || bn.runningMean === undefined || bn.runningVar === undefined;
  let normalised: tf.Tensor4D;
  if (useBatchStats) {
    const mean = tf.mean(x, [0, 1, 2]);
    const centred = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centred), [0, 1, 2]);
    normalised = tf.mul(centred, tf.rsqrt(tf.add(variance, BN_EPS)));
    if (training && updateRunningStats && bn.runningMean && bn.runningVar) {
      updateRunning(bn.runningMean, bn.runningVar, mean, variance, x.shape[0] * x.shape[1] * x.shape[2]);
    }
  } else {
    normalised = tf.mul(tf.sub(x, bn.runningMean!), tf.rsqrt(tf.add(bn.runningVar!, BN_EPS)));
  }
  if (bn.gamma) normalised = tf.mul(normalised, bn.gamma);
  if (bn.beta) normalised = tf.add(normalised, bn.beta);
  return normalised;
}

function updateRunning(
  runningMean: tf.Variable<tf.Rank.R1>,
  runningVar: tf.Variable<tf.Rank.R1>,
  batchMean: tf.Tensor1D,
  batchVar: tf.Tensor1D,
  count: number,
): void {
  // Outside any gradient: the running statistics are buffers, not part of the computed function.
  const mean = tf.tidy(() => tf.stopGradient(batchMean));
  const unbiased = tf.tidy(() => tf.mul(tf.stopGradient(batchVar), count > 1 ? count / (count - 1) : 1));
  const newMean = tf.tidy(() => tf.add(tf.mul(runningMean, 1 - BN_MOMENTUM), tf.mul(mean, BN_MOMENTUM)));
  const newVar = tf.tidy(() => tf.add(tf.mul(runningVar, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)));
  runningMean.assign(newMean as tf.Tensor1D);
  runningVar.assign(newVar as tf.Tensor1D);
  mean.dispose();
  unbiased.dispose();
  newMean.dispose();
  newVar.dispose();
}

/** Receives the INPUT of a ReLU (NASWOT binarises ReLU inputs); `where` names the ReLU module. */
export type ReluHook = (input: tf.Tensor4D, where: string) => void;

/** ReLU that first shows its input to the hook, if any. */
export function relu(x: tf.Tensor4D, where: string, hook?: ReluHook): tf.Tensor4D {
  if (hook) hook(x, where);
  return tf.relu(x);
}

/**
 * 3x3 average pool, stride 1, pad 1, count_include_pad=False (NB201's avg_pool_3x3). tf's 'same'
 * average pool divides each window by the number of in-bounds pixels, which is exactly
 * count_include_pad=False; for a 3x3 stride-1 window 'same' pads 1 on every side (tested by hand).
 */
export function avgPool3x3(x: tf.Tensor4D): tf.Tensor4D {
  return tf.avgPool(x, 3, 1, 'same');
}

/** 2x2 average pool, stride 2, no padding (the reduction block's shortcut). */
export function avgPool2x2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.avgPool(x, 2, 2, 'valid');
}

/** Mean over H and W: [N, H, W, C] -> [N, C] (nn.AdaptiveAvgPool2d(1) then flatten). */
export function globalAvgPool(x: tf.Tensor4D): tf.Tensor2D {
  return tf.mean(x, [1, 2]);
}

/** y = x W + b with W in [in, out] layout. */
export function linear(x: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D {
  const y = tf.matMul(x, weight);
  return bias ? tf.add(y, bias) : y;
}
