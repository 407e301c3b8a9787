import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNB201Network, type BnVariant } from '../../src/models/nb201-network.ts';
import { avgPool3x3Exclusive, zcForward } from '../../src/proxies/zero-cost-forward.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const CELL = ['nor_conv_3x3', 'skip_connect', 'nor_conv_1x1', 'avg_pool_3x3', 'none', 'nor_conv_3x3'];

function maxRelDiff(a: Float32Array | number[], b: Float32Array | number[]): number {
  let m = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m / scale;
}

describe('zcForward (functional NB201 forward for the zero-cost proxies)', () => {
  for (const bn of ['no-affine', 'standard', 'none-in-cells'] as BnVariant[]) {
    it(`equals Network.apply in train mode (bn ${bn}), also when rescaled`, () => {
      const net = buildNB201Network(CELL, { C: 4, N: 1, numClasses: 10, bn, seed: 5 });
      const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
      const byName = new Map(net.params.map((p) => [p.name, p.variable as tf.Tensor]));
      const ref = tf.tidy(() => net.apply(x, { training: true, updateRunningStats: false }).dataSync() as Float32Array);
      const plain = tf.tidy(() => zcForward(tf, net, x, (n) => byName.get(n)!).logits.dataSync() as Float32Array);
      expect(maxRelDiff(plain, ref)).toBeLessThan(1e-6);
      // rescaled: logits · exp(logScale) is the same function (bias and eps re-expressed)
      const scaled = tf.tidy(() => {
        const out = zcForward(tf, net, x, (n) => byName.get(n)!, { rescale: true });
        return { v: out.logits.dataSync() as Float32Array, s: out.logScale };
      });
      expect(scaled.s).not.toBe(0);
      expect(maxRelDiff(Array.from(scaled.v, (v) => v * Math.exp(scaled.s)), ref)).toBeLessThan(1e-5);
      x.dispose();
      net.dispose();
    });
  }

  it('shows every conv and linear output to the hook, once, and uses what it returns', () => {
    const net = buildNB201Network(CELL, { C: 4, N: 1, numClasses: 10, bn: 'no-affine', seed: 1 });
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const byName = new Map(net.params.map((p) => [p.name, p.variable as tf.Tensor]));
    const seen: string[] = [];
    const zeroed = tf.tidy(() =>
      zcForward(tf, net, x, (n) => byName.get(n)!, {
        onLayerOutput: (y, name) => {
          seen.push(name);
          return name === 'classifier.weight' ? tf.zerosLike(y) : y;
        },
      }).logits.dataSync(),
    );
    const expected = net.params.filter((p) => p.kind === 'conv' || p.kind === 'linear-weight').map((p) => p.name);
    expect([...seen].sort()).toEqual([...expected].sort());
    expect(Array.from(zeroed)).toEqual(new Array(20).fill(0));
    x.dispose();
    net.dispose();
  });

  it('avg_pool_3x3 (count_include_pad=False) has the exact gradient, where tf.avgPool same does not', () => {
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
    const ours = tf.grad((t: tf.Tensor) => tf.sum(avgPool3x3Exclusive(tf, t as tf.Tensor4D)))(x).dataSync();
    ours.forEach((v, i) => expect(v).toBeCloseTo(exact[i]!, 6));
    const stock = tf.grad((t: tf.Tensor) => tf.sum(tf.avgPool(t as tf.Tensor4D, 3, 1, "same")))(x).dataSync();
    expect(Math.abs(stock[0]! - exact[0]!)).toBeGreaterThan(0.1); // the tfjs bug this works around
    // same forward values as tf.avgPool 'same' on a random map
    const r = tf.randomNormal([2, 5, 4, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    expect(maxRelDiff(avgPool3x3Exclusive(tf, r).dataSync() as Float32Array, tf.avgPool(r, 3, 1, 'same').dataSync() as Float32Array)).toBeLessThan(1e-6);
    tf.dispose([x, r]);
  });
});
