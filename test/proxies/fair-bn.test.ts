import * as tf from '@tensorflow/tfjs';
import { scoreNumber } from '../../src/proxies/context.ts';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ImageBatch } from '../../src/datasets/types.ts';
import type { NB201Op } from '../../src/models/nb201-cell.ts';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { fairBnExpressivity } from '../../src/proxies/fair-bn-expressivity.ts';
import { fairBnTrainability, pathBnParams } from '../../src/proxies/fair-bn-trainability.ts';
import { fairBnUncertainty } from '../../src/proxies/fair-bn-uncertainty.ts';
import { FAIR_BN_PARTS, fairBnComposite, fairBnPartScores, type FairBnInputs } from '../../src/proxies/fair-bn.ts';
import { naswot } from '../../src/proxies/naswot.ts';
import { convShareTopK } from '../../src/proxies/fair-bn-unfairness.ts';
import { buildNB201Supernet, type NB201Supernet } from '../../src/supernet/nb201-supernet.ts';
import type { PathForward } from '../../src/supernet/supernet-space.ts';

const owned: NB201Supernet[] = [];
function fairSupernet(fair = true): NB201Supernet {
  const s = buildNB201Supernet({ C: 3, N: 1, numClasses: 10, seed: 4, fair });
  owned.push(s);
  return s;
}
const images = (n: number, seed: number) => tf.randomNormal([n, 8, 8, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
function inputs(): FairBnInputs {
  return { expressivity: images(8, 1), ntk: images(4, 2), probes: images(3, 3), contexts: [images(9, 4), images(9, 5), images(9, 6)] };
}

const CONV: NB201Op[] = ['nor_conv_3x3', 'nor_conv_1x1', 'skip_connect', 'nor_conv_3x3', 'avg_pool_3x3', 'nor_conv_1x1'];
const NO_CONV: NB201Op[] = ['skip_connect', 'avg_pool_3x3', 'none', 'skip_connect', 'none', 'avg_pool_3x3'];
const ALL_NONE: NB201Op[] = ['none', 'none', 'none', 'none', 'none', 'none'];

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => {
  while (owned.length > 0) owned.pop()!.dispose();
});

describe('fair-BN composite indicator (reconstruction)', () => {

  it('gives finite parts for conv and conv-free paths, and is deterministic', () => {
    const s = fairSupernet();
    const inp = inputs();
    for (const path of [CONV, NO_CONV]) {
      const parts = fairBnPartScores(s, path, inp);
      for (const part of FAIR_BN_PARTS) expect(Number.isFinite(parts[part]), `${part} of ${path.join(',')}`).toBe(true);
      expect(parts.uncertainty).toBeLessThanOrEqual(0);
      expect(fairBnPartScores(s, path, inp)).toEqual(parts);
    }
  });

  it('expressivity at initialisation is NASWOT\'s log|det K| of the stand-alone fair network', async () => {
    const s = fairSupernet();
    const x = images(8, 7);
    const net = buildNB201Network(CONV, { C: 3, N: 1, numClasses: 10, seed: 4, fair: true });
    const batch: ImageBatch = { dataset: 'cifar10', split: 'train', indices: [], n: 8, height: 8, width: 8, channels: 3, x: x.dataSync() as Float32Array, labels: new Int32Array(8) };
    const reference = await scoreNumber(naswot, net, [batch]);
    net.dispose();
    expect(fairBnExpressivity(s, CONV, x)).toBeCloseTo(reference, 6);
  });

  it('trainability uses the BN of every path op in the fair space (skip and pool included), none of the others', () => {
    const s = fairSupernet();
    const names = pathBnParams(s, NO_CONV).map((p) => p.name);
    // 4 non-none edges x 3 cells x (gamma, beta)
    expect(names).toHaveLength(24);
    expect(names.every((n) => /\.(skip_connect|avg_pool_3x3)\.bn\.(weight|bias)$/.test(n))).toBe(true);
    const r = fairBnTrainability(s, CONV, images(4, 8), pathBnParams(s, CONV));
    expect(r.eigenvalues).toHaveLength(4);
    expect(r.eigenvalues[0]).toBeGreaterThan(0);
    expect(r.value).toBeCloseTo(-Math.log(r.eigenvalues[3]! / r.eigenvalues[0]!), 12);
    expect(r.value).toBeLessThanOrEqual(0);
  });

  it('treats the degenerate all-none path exactly: no BN to train, no uncertainty, no expressivity', () => {
    const s = fairSupernet();
    const inp = inputs();
    expect(fairBnTrainability(s, ALL_NONE, inp.ntk, pathBnParams(s, ALL_NONE)).value).toBe(-Infinity);
    expect(fairBnUncertainty(s, ALL_NONE, inp.probes, inp.contexts)).toBeCloseTo(0, 12);
    expect(fairBnExpressivity(s, ALL_NONE, inp.expressivity)).toBe(-Infinity);
  });

  it('refuses the original (unfair) space', () => {
    expect(() => fairBnPartScores(fairSupernet(false), CONV, inputs())).toThrow(/fair supernet/);
  });

  it('combines the parts as the mean of their average ranks, leaving NaN cells out of the pool', () => {
    const composite = fairBnComposite([
      { expressivity: 10, trainability: -3, uncertainty: -0.1 },
      { expressivity: 20, trainability: -5, uncertainty: -0.2 },
      { expressivity: -Infinity, trainability: -Infinity, uncertainty: 0 },
      { expressivity: 5, trainability: NaN, uncertainty: -0.3 },
    ]);
    // the NaN cell is excluded, then over the 3 others: E ranks [2, 3, 1]; T [3, 2, 1]; U [2, 1, 3]
    expect(Array.from(composite.subarray(0, 3))).toEqual([7 / 3, 2, 5 / 3]);
    expect(composite[3]).toBeNaN();
    // the NaN cell does not tie with the -Infinity cell: the 3 others rank as if it were absent
    const without = fairBnComposite([
      { expressivity: 10, trainability: -3, uncertainty: -0.1 },
      { expressivity: 20, trainability: -5, uncertainty: -0.2 },
      { expressivity: -Infinity, trainability: -Infinity, uncertainty: 0 },
    ]);
    expect(Array.from(composite.subarray(0, 3))).toEqual(Array.from(without));
  });

  it('gives NaN trainability (not -Infinity) for a non-finite input, and a NaN composite', () => {
    const s = fairSupernet();
    const x = tf.tidy(() => images(4, 8).mul(tf.tensor([1, NaN, 1, 1]).reshape([4, 1, 1, 1]))) as tf.Tensor4D;
    const r = fairBnTrainability(s, CONV, x, pathBnParams(s, CONV));
    x.dispose();
    expect(r.value).toBeNaN();
    const composite = fairBnComposite([
      { expressivity: 1, trainability: -2, uncertainty: -0.1 },
      { expressivity: 2, trainability: r.value, uncertainty: -0.1 },
    ]);
    expect(composite[0]).toBe(1);
    expect(composite[1]).toBeNaN();
  });
});

/**
 * A toy "supernet" small enough to differentiate by hand: each image is a d-vector, h = x W,
 * z = train-mode BN(h) with learnable gamma/beta (batch statistics, eps 1e-5, population
 * variance), logits = relu(z) V. The path is ignored. `reference` is the same function in float64.
 */
const D = 3;
const C = 4;
const K = 2;
const W = [0.9, -0.4, 0.3, 0.2, 0.7, -0.8, -0.5, 0.1, 0.6, 0.4, -0.3, 0.5]; // D x C
const V = [0.8, -0.6, 0.3, 0.5, -0.7, 0.2, 0.4, 0.9]; // C x K
const GAMMA = [1.1, 0.8, 1.3, 0.9];
const BETA = [1.9, 2.1, 0.1, 1.7]; // channels 0, 1, 3 stay on for every image (no zero NTK row); channel 2 switches
const EPS = 1e-5;
function toyReference(x: readonly number[], n: number, gamma: readonly number[], beta: readonly number[]): number[] {
  const h = Array.from({ length: n * C }, (_, idx) => {
    const [i, c] = [Math.floor(idx / C), idx % C];
    let s = 0;
    for (let d = 0; d < D; d++) s += x[i * D + d]! * W[d * C + c]!;
    return s;
  });
  const logits: number[] = new Array(n * K).fill(0);
  for (let c = 0; c < C; c++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += h[i * C + c]!;
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (h[i * C + c]! - mean) ** 2;
    v /= n;
    for (let i = 0; i < n; i++) {
      const a = Math.max(0, gamma[c]! * ((h[i * C + c]! - mean) / Math.sqrt(v + EPS)) + beta[c]!);
      for (let k = 0; k < K; k++) logits[i * K + k]! += a * V[c * K + k]!;
    }
  }
  return logits;
}
function toySupernet(): PathForward<null> & { gamma: tf.Variable; beta: tf.Variable; dispose(): void } {
  const gamma = tf.variable(tf.tensor1d(GAMMA));
  const beta = tf.variable(tf.tensor1d(BETA));
  const w = tf.tensor2d(W, [D, C]);
  const v = tf.tensor2d(V, [C, K]);
  return {
    gamma,
    beta,
    apply: (x, opts) =>
      tf.tidy(() => {
        if (!opts.training) throw new Error('the fair-BN parts run in train mode');
        const h = tf.matMul(tf.reshape(x, [x.shape[0], D]), w);
        const { mean, variance } = tf.moments(h, 0);
        const z = tf.add(tf.mul(gamma, tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, EPS)))), beta);
        return tf.matMul(tf.relu(z), v) as tf.Tensor2D;
      }),
    dispose: () => tf.dispose([gamma, beta, w, v]),
  };
}
// deterministic, float32-exact inputs (so tfjs and the float64 reference see the same numbers)
const toyImages = (n: number, seed: number): number[] => Array.from({ length: n * D }, (_, i) => Math.fround(Math.sin(seed * 12.9898 + i * 78.233) * 1.7));
const det3 = (m: Float64Array) =>
  m[0]! * (m[4]! * m[8]! - m[5]! * m[7]!) - m[1]! * (m[3]! * m[8]! - m[5]! * m[6]!) + m[2]! * (m[3]! * m[7]! - m[4]! * m[6]!);

describe('fair-BN parts against a direct computation on a toy network', () => {
  it('trainability: the NTK eigenvalues match a finite-difference NTK over gamma/beta (trace, det, condition)', () => {
    const n = 3;
    const x = toyImages(n, 11);
    const net = toySupernet();
    const xt = tf.tensor4d(x, [n, 1, 1, D]);
    const r = fairBnTrainability(net, null, xt, [{ variable: net.gamma }, { variable: net.beta }]);
    xt.dispose();
    net.dispose();
    // J[i][p] = d f_i / d theta_p by central differences in float64, f_i = sum of image i's logits
    const theta = [...GAMMA, ...BETA];
    const f = (t: number[]) => {
      const logits = toyReference(x, n, t.slice(0, C), t.slice(C));
      return Array.from({ length: n }, (_, i) => logits.slice(i * K, (i + 1) * K).reduce((a, b) => a + b, 0));
    };
    const step = 1e-6;
    const J = theta.map((_, p) => {
      const up = theta.slice();
      const down = theta.slice();
      up[p]! += step;
      down[p]! -= step;
      const [fu, fd] = [f(up), f(down)];
      return fu.map((u, i) => (u - fd[i]!) / (2 * step));
    }); // [param][image]
    const ntk = new Float64Array(n * n);
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) ntk[a * n + b] = J.reduce((s, col) => s + col[a]! * col[b]!, 0);
    const trace = ntk[0]! + ntk[4]! + ntk[8]!;
    const ev = r.eigenvalues;
    expect(ev[0]).toBeGreaterThan(0);
    expect(ev[0]! + ev[1]! + ev[2]!).toBeCloseTo(trace, 3);
    expect((ev[0]! * ev[1]! * ev[2]!) / det3(ntk)).toBeCloseTo(1, 3);
    // the sum of the pairwise eigenvalue products: the 2x2 principal minors of the NTK
    const minors = ntk[0]! * ntk[4]! - ntk[1]! ** 2 + ntk[0]! * ntk[8]! - ntk[2]! ** 2 + ntk[4]! * ntk[8]! - ntk[5]! ** 2;
    expect((ev[0]! * ev[1]! + ev[0]! * ev[2]! + ev[1]! * ev[2]!) / minors).toBeCloseTo(1, 3);
    expect(r.value).toBeCloseTo(-Math.log(ev[2]! / ev[0]!), 12);
  });

  it('uncertainty: minus the mean over probes of the summed softmax variance over the context draws', () => {
    const m = 2;
    const probes = toyImages(m, 21);
    const contexts = [toyImages(5, 22), toyImages(5, 23), toyImages(5, 24)];
    // by hand, float64: each draw normalises probes + context together; softmax of the probe rows
    const draws = contexts.map((ctx) => {
      const logits = toyReference([...probes, ...ctx], m + 5, GAMMA, BETA);
      return Array.from({ length: m }, (_, i) => {
        const row = logits.slice(i * K, (i + 1) * K);
        const top = Math.max(...row);
        const e = row.map((l) => Math.exp(l - top));
        const z = e.reduce((a, b) => a + b, 0);
        return e.map((v) => v / z);
      });
    });
    let u = 0;
    for (let i = 0; i < m; i++)
      for (let k = 0; k < K; k++) {
        const ps = draws.map((d) => d[i]![k]!);
        const mean = ps.reduce((a, b) => a + b, 0) / ps.length;
        u += ps.reduce((s, p) => s + (p - mean) ** 2, 0) / ps.length;
      }
    u /= m;
    expect(u).toBeGreaterThan(1e-6); // the draws do differ, so the check is not 0 = 0
    const net = toySupernet();
    const pt = tf.tensor4d(probes, [m, 1, 1, D]);
    const ct = contexts.map((c) => tf.tensor4d(c, [5, 1, 1, D]));
    const got = fairBnUncertainty(net, null, pt, ct);
    tf.dispose([pt, ...ct]);
    net.dispose();
    expect(got / -u).toBeCloseTo(1, 4);
  });
});

describe('conv share in the top k (Finding 1 of Zhu et al.)', () => {
  const cells: NB201Op[][] = [CONV, NO_CONV, ALL_NONE, ['nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3']];
  // conv fractions: 4/6, 0, 0, 1

  it('compares the indicator\'s top k with the true top k and the pool', () => {
    const s = convShareTopK(cells, [1, 4, 0, 3], [90, 80, 10, 95], 2);
    expect(s.indicator).toBeCloseTo((0 + 1) / 2, 12); // indicator picks NO_CONV and all-conv
    expect(s.truth).toBeCloseTo((1 + 4 / 6) / 2, 12); // truth picks all-conv and CONV
    expect(s.pool).toBeCloseTo((4 / 6 + 1) / 4, 12);
    expect(s).toMatchObject({ k: 2, n: 4 });
  });

  it('counts boundary ties by their chance of being picked and drops non-finite scores', () => {
    // ranks by indicator: all-conv first, then a tie of CONV / NO_CONV for the last place
    const s = convShareTopK(cells, [2, 2, -Infinity, 5], [1, 2, 3, 4], 2);
    expect(s.n).toBe(3);
    expect(s.indicator).toBeCloseTo((1 + 0.5 * (4 / 6) + 0.5 * 0) / 2, 12);
  });
});
