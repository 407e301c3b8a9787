import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  avgPool2x2,
  avgPool3x3,
  batchNorm,
  BN_EPS,
  channelMean,
  conv2d,
  globalAvgPool,
  linear,
  relu,
  type BatchNormState,
} from '../../src/executors/tfjs-ops.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
}

/** [1, h, w, 1] tensor from rows. */
function image(rows: number[][]): tf.Tensor4D {
  return tf.tensor4d(rows.flat(), [1, rows.length, rows[0]!.length, 1]);
}

describe('avgPool3x3 (stride 1, pad 1, count_include_pad=False)', () => {
  it('divides each window by its in-bounds pixels only (hand computation)', () => {
    const x = image([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10, 11, 12],
      [13, 14, 15, 16],
    ]);
    const y = avgPool3x3(x);
    expect(y.shape).toEqual([1, 4, 4, 1]);
    const v = y.arraySync()[0]!.map((row) => row.map((c) => c[0]!));
    // Corner: (1 + 2 + 5 + 6) / 4, not / 9 as count_include_pad=True would give.
    expect(v[0]![0]).toBeCloseTo(14 / 4, 6);
    // Edge: (1 + 2 + 3 + 5 + 6 + 7) / 6.
    expect(v[0]![1]).toBeCloseTo(24 / 6, 6);
    // Interior: full 3x3 window around 6.
    expect(v[1]![1]).toBeCloseTo((1 + 2 + 3 + 5 + 6 + 7 + 9 + 10 + 11) / 9, 6);
    // Bottom-right corner: (11 + 12 + 15 + 16) / 4.
    expect(v[3]![3]).toBeCloseTo(54 / 4, 6);
  });

  it('leaves a constant image constant (padding never pulls averages towards 0)', () => {
    const y = avgPool3x3(tf.fill([2, 5, 5, 3], 7) as tf.Tensor4D);
    const values = y.dataSync();
    for (const v of values) expect(v).toBeCloseTo(7, 6);
  });
});

describe('avgPool2x2 and conv2d padding', () => {
  it('avgPool3x3 (count_include_pad=False) has the exact gradient, where tf.avgPool same does not', () => {
    const x = tf.ones([1, 3, 3, 1]) as tf.Tensor4D;
    // d/dx_ij Σ_out mean over the in-bounds window = Σ over windows containing ij of 1/count
    const cnt = (i: number): number => (i === 1 ? 3 : 2);
    const exact: number[] = [];
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) if (Math.abs(a - i) <= 1 && Math.abs(b - j) <= 1) s += 1 / (cnt(a) * cnt(b));
        exact.push(s);
      }
    const ours = tf.grad((t: tf.Tensor) => tf.sum(avgPool3x3(t as tf.Tensor4D)))(x).dataSync();
    ours.forEach((v, i) => expect(v).toBeCloseTo(exact[i]!, 6));
    const stock = tf.grad((t: tf.Tensor) => tf.sum(tf.avgPool(t as tf.Tensor4D, 3, 1, 'same')))(x).dataSync();
    expect(Math.abs(stock[0]! - exact[0]!)).toBeGreaterThan(0.1); // the tfjs bug this works around
    tf.dispose(x);
  });

  it('avgPool2x2 halves the size with non-overlapping windows', () => {
    const y = avgPool2x2(image([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10, 11, 12],
      [13, 14, 15, 16],
    ]));
    expect(Array.from(y.dataSync())).toEqual([3.5, 5.5, 11.5, 13.5]);
  });

  it('conv2d stride 2 pads 1 on every side like PyTorch (not TF-same, which pads bottom/right only)', () => {
    const x = image([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10, 11, 12],
      [13, 14, 15, 16],
    ]);
    const ones = tf.ones([3, 3, 1, 1]) as tf.Tensor4D;
    const y = conv2d(x, ones, 2, 1);
    expect(y.shape).toEqual([1, 2, 2, 1]);
    // Output (0,0) sees rows/cols -1..1 (in bounds: 0..1); TF-same would see rows/cols 0..2 (sum 54).
    expect(Array.from(y.dataSync())).toEqual([
      1 + 2 + 5 + 6,
      2 + 3 + 4 + 6 + 7 + 8,
      5 + 6 + 9 + 10 + 13 + 14,
      6 + 7 + 8 + 10 + 11 + 12 + 14 + 15 + 16,
    ]);
  });
});

describe('batchNorm', () => {
  const x = tf.tidy(() => tf.add(tf.mul(tf.randomNormal([4, 5, 5, 3], 0, 1, 'float32', 1), tf.tensor1d([1, 3, 0.5])), tf.tensor1d([2, -1, 10])) as tf.Tensor4D);

  it('in train mode normalises every channel to mean 0, variance 1 (batch statistics)', () => {
    const y = batchNorm(x, {}, true);
    const { mean, variance } = tf.moments(y, [0, 1, 2]);
    for (const m of mean.dataSync()) expect(Math.abs(m)).toBeLessThan(1e-5);
    for (const v of variance.dataSync()) expect(v).toBeCloseTo(1, 3);
  });

  it('applies gamma and beta per channel', () => {
    const bn: BatchNormState = {
      gamma: tf.variable(tf.tensor1d([2, 1, 0.5])) as tf.Variable<tf.Rank.R1>,
      beta: tf.variable(tf.tensor1d([1, 0, -3])) as tf.Variable<tf.Rank.R1>,
    };
    const { mean, variance } = tf.moments(batchNorm(x, bn, true), [0, 1, 2]);
    const m = mean.dataSync();
    const v = variance.dataSync();
    expect(m[0]).toBeCloseTo(1, 4);
    expect(m[1]).toBeCloseTo(0, 4);
    expect(m[2]).toBeCloseTo(-3, 4);
    expect(v[0]).toBeCloseTo(4, 2);
    expect(v[2]).toBeCloseTo(0.25, 3);
  });

  it('moves running statistics like PyTorch (momentum 0.1, unbiased variance) and uses them in eval mode', () => {
    const bn: BatchNormState = {
      runningMean: tf.variable(tf.zeros([3])) as tf.Variable<tf.Rank.R1>,
      runningVar: tf.variable(tf.ones([3])) as tf.Variable<tf.Rank.R1>,
    };
    batchNorm(x, bn, true);
    const n = 4 * 5 * 5;
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const bm = mean.dataSync();
    const bv = variance.dataSync();
    const rm = bn.runningMean!.dataSync();
    const rv = bn.runningVar!.dataSync();
    for (let c = 0; c < 3; c++) {
      expect(rm[c]).toBeCloseTo(0.1 * bm[c]!, 5);
      expect(rv[c]).toBeCloseTo(0.9 + 0.1 * bv[c]! * (n / (n - 1)), 5);
    }
    // Eval mode: (x - running_mean) / sqrt(running_var + eps), not batch statistics.
    const y = batchNorm(x, bn, false);
    const expected = tf.div(tf.sub(x, bn.runningMean!), tf.sqrt(tf.add(bn.runningVar!, BN_EPS)));
    expect(tf.max(tf.abs(tf.sub(y, expected))).dataSync()[0]).toBeLessThan(1e-5);
    // And eval mode does not move them.
    batchNorm(x, bn, false);
    expect(bn.runningMean!.dataSync()[0]).toBeCloseTo(rm[0]!, 7);
  });

  it('channelMean equals tf.mean over (N, H, W), value and gradient', () => {
    expect(maxDiff(channelMean(x), tf.mean(x, [0, 1, 2]))).toBeLessThan(1e-5);
    const w = tf.randomNormal([3], 0, 1, 'float32', 3);
    const viaProduct = tf.grad((t) => tf.sum(tf.mul(channelMean(t as tf.Tensor4D), w)))(x);
    const viaMean = tf.grad((t) => tf.sum(tf.mul(tf.mean(t, [0, 1, 2]), w)))(x);
    expect(maxDiff(viaProduct, viaMean)).toBeLessThan(1e-7);
  });

  it('differentiates through the batch statistics like a textbook train-mode BN', () => {
    const bn: BatchNormState = {
      gamma: tf.variable(tf.tensor1d([2, 1, 0.5])) as tf.Variable<tf.Rank.R1>,
      beta: tf.variable(tf.tensor1d([1, 0, -3])) as tf.Variable<tf.Rank.R1>,
    };
    const w = tf.randomNormal(x.shape, 0, 1, 'float32', 4);
    const textbook = (t: tf.Tensor4D) => {
      const { mean, variance } = tf.moments(t, [0, 1, 2]);
      return tf.add(tf.mul(tf.div(tf.sub(t, mean), tf.sqrt(tf.add(variance, BN_EPS))), bn.gamma!), bn.beta!);
    };
    const ours = tf.grad((t) => tf.sum(tf.mul(batchNorm(t as tf.Tensor4D, bn, true), w)))(x);
    const ref = tf.grad((t) => tf.sum(tf.mul(textbook(t as tf.Tensor4D), w)))(x);
    expect(maxDiff(ours, ref)).toBeLessThan(1e-4);
  });

  it('without running statistics uses batch statistics in eval mode too (track_running_stats=False)', () => {
    const a = batchNorm(x, {}, false);
    const b = batchNorm(x, {}, true);
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
  });
});

describe('relu, globalAvgPool, linear', () => {
  it('relu shows its input (not its output) to the hook', () => {
    const x = image([[-1, 2], [3, -4]]);
    const seen: number[][] = [];
    const y = relu(x, 'r', (t, where) => {
      expect(where).toBe('r');
      seen.push(Array.from(t.dataSync()));
    });
    expect(seen).toEqual([[-1, 2, 3, -4]]);
    expect(Array.from(y.dataSync())).toEqual([0, 2, 3, 0]);
  });

  it('globalAvgPool averages over H and W per channel; linear is x W + b', () => {
    const x = tf.tensor4d([1, 10, 2, 20, 3, 30, 4, 40], [1, 2, 2, 2]);
    const g = globalAvgPool(x);
    expect(Array.from(g.dataSync())).toEqual([2.5, 25]);
    const y = linear(g, tf.tensor2d([[1, 0, 2], [0, 1, 1]]), tf.tensor1d([0.5, 0, -1]));
    expect(Array.from(y.dataSync())).toEqual([3, 25, 29]);
  });
});
