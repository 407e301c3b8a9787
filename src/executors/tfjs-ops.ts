/**
 * The tfjs executor's op kernels (tfjs-forward.ts runs a description's nodes with them), NHWC.
 * They hold no state: parameters are passed in, so the network description owns every variable
 * and one place lists them (what proxies iterate over).
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
  let centred: tf.Tensor4D;
  let invStd: tf.Tensor1D;
  if (useBatchStats) {
    const mean = channelMean(x);
    centred = tf.sub(x, mean);
    const variance = channelMean(tf.square(centred));
    invStd = tf.rsqrt(tf.add(variance, BN_EPS)) as tf.Tensor1D;
    if (training && updateRunningStats && bn.runningMean && bn.runningVar) {
      updateRunning(bn.runningMean, bn.runningVar, mean, variance, x.shape[0] * x.shape[1] * x.shape[2]);
    }
  } else {
    centred = tf.sub(x, bn.runningMean!);
    invStd = tf.rsqrt(tf.add(bn.runningVar!, BN_EPS)) as tf.Tensor1D;
  }
  // Fold gamma into the per-channel scale: one full-size multiply instead of two.
  const scale = bn.gamma ? tf.mul(invStd, bn.gamma) : invStd;
  const scaled = tf.mul(centred, scale) as tf.Tensor4D;
  return bn.beta ? (tf.add(scaled, bn.beta) as tf.Tensor4D) : scaled;
}

/**
 * Per-channel mean over (N, H, W) of an NHWC tensor, as a [1, M] x [M, C] matrix product with
 * weights 1/M. Why not tf.mean(x, [0, 1, 2]): tfjs reduces the innermost axis, so it first
 * transposes C to the front; on the cpu backend that made BN's two means a third of a forward
 * pass, the product is ~7x faster (and differentiates just as well).
 */
export function channelMean(x: tf.Tensor4D): tf.Tensor1D {
  const [n, h, w, c] = x.shape;
  const rows = n * h * w;
  const flat = tf.reshape(x, [rows, c]) as tf.Tensor2D;
  return tf.reshape(tf.matMul(tf.fill([1, rows], 1 / rows), flat), [c]) as tf.Tensor1D;
}

/**
 * Train-mode BatchNorm (batch statistics) as ONE differentiable op: y = (x - μ)·γ/√(σ² + eps) + β
 * with μ, σ² the biased per-channel statistics over (N, H, W). Its gradient is the closed form
 *   dx = invStd · (g - mean(g) - x̂ · mean(g · x̂)),  g = dy · γ,  dγ = Σ dy · x̂,  dβ = Σ dy,
 * recomputed from the saved input. Why: composed of elementary ops, the tape keeps x - μ, its
 * square and the scaled product alive until the backward pass (three activation-sized tensors per
 * BN); this op keeps only x. That halves the peak memory of a backward pass through the NB201
 * network at batch 64 (wasm's heap is capped at 4 GB and never shrinks). `eps` is a number so
 * that callers can scale it (the log-scaled executor, tfjs-scaled.ts). First-order use only:
 * tfjs tapes the gradient's ops, but its second derivative through this op is not tested (grasp
 * uses the elementary form).
 */
export function batchNormTrainFused(x: tf.Tensor4D, eps: number, gamma?: tf.Tensor1D, beta?: tf.Tensor1D): tf.Tensor4D {
  const [n, h, w] = x.shape;
  const stats = (t: tf.Tensor4D): { xhat: tf.Tensor4D; invStd: tf.Tensor1D } => {
    const centred = tf.sub(t, channelMean(t));
    const invStd = tf.rsqrt(tf.add(channelMean(tf.square(centred) as tf.Tensor4D), eps)) as tf.Tensor1D;
    return { xhat: tf.mul(centred, invStd) as tf.Tensor4D, invStd };
  };
  const inputs: tf.Tensor[] = [x];
  if (gamma) inputs.push(gamma);
  if (beta) inputs.push(beta);
  const op = tf.customGrad(((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [xi, g, b] = [args[0] as tf.Tensor4D, gamma ? (args[1] as tf.Tensor1D) : undefined, beta ? (args[gamma ? 2 : 1] as tf.Tensor1D) : undefined];
    save(g ? [xi, g] : [xi]);
    // tidy: the statistics' intermediates die here instead of living until the caller's scope ends
    const y = tf.tidy(() => {
      const { xhat } = stats(xi);
      const scaled: tf.Tensor4D = g ? (tf.mul(xhat, g) as tf.Tensor4D) : xhat;
      return b ? (tf.add(scaled, b) as tf.Tensor4D) : scaled;
    });
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const d = dy as tf.Tensor4D;
        const [xs, gs] = saved as [tf.Tensor4D, tf.Tensor1D | undefined];
        const { xhat: xh, invStd } = stats(xs);
        const gdy = gs ? (tf.mul(d, gs) as tf.Tensor4D) : d;
        const rows = n * h * w;
        const sumRows = (t: tf.Tensor4D): tf.Tensor1D => tf.mul(channelMean(t), rows) as tf.Tensor1D;
        const dx = tf.mul(
          tf.sub(tf.sub(gdy, channelMean(gdy)), tf.mul(xh, channelMean(tf.mul(gdy, xh) as tf.Tensor4D))),
          invStd,
        );
        const grads: tf.Tensor[] = [dx];
        if (gs) grads.push(sumRows(tf.mul(d, xh) as tf.Tensor4D));
        if (beta) grads.push(sumRows(d));
        return grads;
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (op as (...t: tf.Tensor[]) => tf.Tensor4D)(...inputs);
}

function updateRunning(
  runningMean: tf.Variable<tf.Rank.R1>,
  runningVar: tf.Variable<tf.Rank.R1>,
  batchMean: tf.Tensor1D,
  batchVar: tf.Tensor1D,
  count: number,
): void {
  // The running statistics are buffers: nothing differentiates through them (tfjs has no
  // stopGradient; the update is simply never part of a function whose gradient is taken).
  const newMean = tf.tidy(() => tf.add(tf.mul(runningMean, 1 - BN_MOMENTUM), tf.mul(batchMean, BN_MOMENTUM)));
  const unbiasedScale = count > 1 ? count / (count - 1) : 1;
  const newVar = tf.tidy(() =>
    tf.add(tf.mul(runningVar, 1 - BN_MOMENTUM), tf.mul(batchVar, BN_MOMENTUM * unbiasedScale)),
  );
  runningMean.assign(newMean as tf.Tensor1D);
  runningVar.assign(newVar as tf.Tensor1D);
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
 * 3x3 average pool, stride 1, pad 1, count_include_pad=False (NB201's avg_pool_3x3).
 *
 * Not tf.avgPool(x, 3, 1, 'same'): its forward pass divides each window by the in-bounds count
 * (count_include_pad=False), but its gradient divides by the full 9, so every gradient through it
 * is wrong next to the borders (tfjs 4.22; shown in test/executors/tfjs-ops.test.ts).
 * Zero-padding, a 'valid' pool and a constant 9/count map give the same values and a correct
 * gradient through ops tfjs differentiates properly.
 */
export function avgPool3x3(x: tf.Tensor4D): tf.Tensor4D {
  const [, h, w] = x.shape;
  const factor = new Float32Array(h * w);
  for (let y = 0; y < h; y++) {
    const rows = (y > 0 ? 1 : 0) + 1 + (y < h - 1 ? 1 : 0);
    for (let z = 0; z < w; z++) factor[y * w + z] = 9 / (rows * ((z > 0 ? 1 : 0) + 1 + (z < w - 1 ? 1 : 0)));
  }
  const padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  return tf.mul(tf.avgPool(padded, 3, 1, 'valid'), tf.tensor4d(factor, [1, h, w, 1])) as tf.Tensor4D;
}

/** 2x2 average pool, stride 2, no padding (the reduction block's shortcut). */
export function avgPool2x2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.avgPool(x, 2, 2, 'valid');
}

/** Mean over H and W: [N, H, W, C] -> [N, C] (nn.AdaptiveAvgPool2d(1) then flatten). */
export function globalAvgPool(x: tf.Tensor4D): tf.Tensor2D {
  return tf.mean(x, [1, 2]) as tf.Tensor2D;
}

/** y = x W + b with W in [in, out] layout. */
export function linear(x: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D {
  const y = tf.matMul(x, weight) as tf.Tensor2D;
  return bias ? (tf.add(y, bias) as tf.Tensor2D) : y;
}
