import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNB201Network, type Network } from '../../src/models/nb201-network.ts';
import { synflow, synflowLog } from '../../src/proxies/synflow.ts';
import { zcForward } from '../../src/proxies/zero-cost-forward.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// 0->1 conv3x3, 0->2 none, 1->2 conv1x1, 0->3 skip, 1->3 conv3x3, 2->3 avg_pool
const CELL = ['nor_conv_3x3', 'none', 'nor_conv_1x1', 'skip_connect', 'nor_conv_3x3', 'avg_pool_3x3'];
const EDGES = [[0, 1], [0, 2], [1, 2], [0, 3], [1, 3], [2, 3]] as const;

/** One sample, NHWC: value at (y, x, c) is data[(y * w + x) * c + ch]. */
interface Map64 { h: number; w: number; c: number; d: Float64Array }

function conv(x: Map64, wt: Float64Array, k: number, cout: number, stride: number, pad: number, bias?: Float64Array): Map64 {
  const h = Math.floor((x.h + 2 * pad - k) / stride) + 1;
  const w = Math.floor((x.w + 2 * pad - k) / stride) + 1;
  const d = new Float64Array(h * w * cout);
  for (let oy = 0; oy < h; oy++)
    for (let ox = 0; ox < w; ox++)
      for (let co = 0; co < cout; co++) {
        let s = bias ? bias[co]! : 0;
        for (let ky = 0; ky < k; ky++)
          for (let kx = 0; kx < k; kx++) {
            const iy = oy * stride - pad + ky;
            const ix = ox * stride - pad + kx;
            if (iy < 0 || ix < 0 || iy >= x.h || ix >= x.w) continue;
            for (let ci = 0; ci < x.c; ci++) s += x.d[(iy * x.w + ix) * x.c + ci]! * wt[((ky * k + kx) * x.c + ci) * cout + co]!;
          }
        d[(oy * w + ox) * cout + co] = s;
      }
  return { h, w, c: cout, d };
}
const relu = (x: Map64): Map64 => ({ ...x, d: x.d.map((v) => Math.max(v, 0)) });
const add = (a: Map64, b: Map64): Map64 => ({ ...a, d: a.d.map((v, i) => v + b.d[i]!) });
function avgPool(x: Map64, k: number, stride: number, pad: number): Map64 {
  const h = Math.floor((x.h + 2 * pad - k) / stride) + 1;
  const w = Math.floor((x.w + 2 * pad - k) / stride) + 1;
  const d = new Float64Array(h * w * x.c);
  for (let oy = 0; oy < h; oy++)
    for (let ox = 0; ox < w; ox++)
      for (let c = 0; c < x.c; c++) {
        let s = 0;
        let n = 0; // count_include_pad=False
        for (let ky = 0; ky < k; ky++)
          for (let kx = 0; kx < k; kx++) {
            const iy = oy * stride - pad + ky;
            const ix = ox * stride - pad + kx;
            if (iy < 0 || ix < 0 || iy >= x.h || ix >= x.w) continue;
            s += x.d[(iy * x.w + ix) * x.c + c]!;
            n++;
          }
        d[(oy * w + ox) * x.c + c] = s / n;
      }
  return { h, w, c: x.c, d };
}
function bnTrain(x: Map64, gamma: Float64Array, beta: Float64Array): Map64 {
  const m = x.h * x.w;
  const d = new Float64Array(x.d.length);
  for (let c = 0; c < x.c; c++) {
    let mean = 0;
    for (let i = 0; i < m; i++) mean += x.d[i * x.c + c]!;
    mean /= m;
    let v = 0;
    for (let i = 0; i < m; i++) v += (x.d[i * x.c + c]! - mean) ** 2;
    v /= m;
    for (let i = 0; i < m; i++) d[i * x.c + c] = ((x.d[i * x.c + c]! - mean) / Math.sqrt(v + 1e-5)) * gamma[c]! + beta[c]!;
  }
  return { ...x, d };
}

/** R = Σ outputs of the 'none-in-cells' NB201 network on one all-ones sample, in float64. */
function r64(net: Network, P: Map<string, Float64Array>, size: number): number {
  const { C, N } = net.options;
  const p = (n: string): Float64Array => P.get(n)!;
  let h = conv({ h: size, w: size, c: 3, d: new Float64Array(size * size * 3).fill(1) }, p('stem.0.weight'), 3, C, 1, 1);
  let ch = C;
  let idx = 0;
  const cellF = (x: Map64, k: number): Map64 => {
    const nodes = [x];
    for (let j = 1; j <= 3; j++) {
      let acc: Map64 | null = null;
      EDGES.forEach(([from, to], e) => {
        if (to !== j) return;
        const op = CELL[e]!;
        const inp = nodes[from]!;
        const pre = `cells.${k}.layers.${e}.op.1`;
        let y: Map64;
        if (op === 'none') y = { ...inp, d: new Float64Array(inp.d.length) };
        else if (op === 'skip_connect') y = inp;
        else if (op === 'avg_pool_3x3') y = avgPool(inp, 3, 1, 1);
        else {
          const kk = op === 'nor_conv_3x3' ? 3 : 1;
          y = conv(relu(inp), p(`${pre}.weight`), kk, inp.c, 1, (kk - 1) / 2, p(`${pre}.bias`));
        }
        acc = acc ? add(acc, y) : y;
      });
      nodes.push(acc!);
    }
    return nodes[3]!;
  };
  for (let stage = 0; stage < 3; stage++) {
    if (stage > 0) {
      const pre = `cells.${idx}`;
      const a = bnTrain(conv(relu(h), p(`${pre}.conv_a.op.1.weight`), 3, 2 * ch, 2, 1), p(`${pre}.conv_a.op.2.weight`), p(`${pre}.conv_a.op.2.bias`));
      const b = bnTrain(conv(relu(a), p(`${pre}.conv_b.op.1.weight`), 3, 2 * ch, 1, 1), p(`${pre}.conv_b.op.2.weight`), p(`${pre}.conv_b.op.2.bias`));
      h = add(conv(avgPool(h, 2, 2, 0), p(`${pre}.downsample.1.weight`), 1, 2 * ch, 1, 0), b);
      ch *= 2;
      idx++;
    }
    for (let i = 0; i < N; i++) h = cellF(h, idx++);
  }
  h = relu(h);
  const W = p('classifier.weight');
  const bias = p('classifier.bias');
  const k = bias.length;
  let r = 0;
  for (let o = 0; o < k; o++) {
    let s = bias[o]!;
    for (let c = 0; c < h.c; c++) {
      let mean = 0;
      for (let i = 0; i < h.h * h.w; i++) mean += h.d[i * h.c + c]!;
      s += (mean / (h.h * h.w)) * W[c * k + o]!;
    }
    r += s;
  }
  return r;
}

/** Σ |w · ∂R/∂w| over conv/linear weights, by float64 central differences. */
function synflow64(net: Network, size: number): { score: number; r: number } {
  const P = new Map(net.params.map((q) => [q.name, Float64Array.from(q.variable.dataSync(), Math.abs)]));
  let score = 0;
  for (const q of net.params) {
    if (q.kind !== 'conv' && q.kind !== 'linear-weight') continue;
    const w = P.get(q.name)!;
    for (let i = 0; i < w.length; i++) {
      const w0 = w[i]!;
      if (w0 === 0) continue;
      const dh = w0 * 1e-5;
      w[i] = w0 + dh;
      const up = r64(net, P, size);
      w[i] = w0 - dh;
      const down = r64(net, P, size);
      w[i] = w0;
      score += Math.abs(w0 * ((up - down) / (2 * dh)));
    }
  }
  return { score, r: r64(net, P, size) };
}

function build(seed: number, cellScale: number): Network {
  const net = buildNB201Network(CELL, { ...synflow.network(10), C: 2, N: 1, seed });
  for (const q of net.params) {
    if (q.edge && q.kind === 'conv') q.variable.assign(tf.mul(q.variable, cellScale) as tf.Tensor4D);
  }
  return net;
}

describe('synflow', () => {
  it("uses the reference's network copy: no BN in stem, cells, lastact; BN kept in reductions", () => {
    expect(synflow.network(100)).toMatchObject({ bn: 'none-in-cells', numClasses: 100 });
    expect(synflow.needs.images).toBe(false);
    const net = build(0, 1);
    const bnNames = net.params.filter((q) => q.kind === 'bn-gamma').map((q) => q.name);
    expect(bnNames.every((n) => /conv_[ab]\.op\.2\.weight$/.test(n))).toBe(true);
    expect(bnNames.length).toBe(4);
    net.dispose();
  });

  it('matches a float64 evaluation (central differences) on a C=2, N=1 network', async () => {
    const net = build(3, 1);
    const ref = synflow64(net, 8);
    const got = await synflow.score(net, null, { batchSize: 1, inputSize: 8 }, tf);
    expect(Math.abs(got - ref.score) / ref.score).toBeLessThan(1e-4);
    expect(await synflow.score(net, null, { batchSize: 1, inputSize: 8 }, tf)).toBe(got);
    net.dispose();
  });

  it('stays exact where float32 overflows (cell conv weights x1e10, R ~ 1e60)', () => {
    const net = build(3, 1e10);
    const ref = synflow64(net, 8);
    expect(ref.r).toBeGreaterThan(1e45);
    expect(Number.isFinite(ref.score)).toBe(true);
    // a plain float32 pass overflows
    const x = tf.ones([1, 8, 8, 3]) as tf.Tensor4D;
    const abs = new Map(net.params.map((q) => [q.name, tf.abs(q.variable) as tf.Tensor]));
    const plain = tf.tidy(() => tf.sum(zcForward(tf, net, x, (n) => abs.get(n)!).logits).dataSync()[0]!);
    expect(Number.isFinite(plain)).toBe(false);
    // the rescaled pass
    const s = synflowLog(tf, net, 8, 8);
    expect(Math.abs(s.log - Math.log(ref.score))).toBeLessThan(1e-4);
    const rescaled = tf.tidy(() => {
      const out = zcForward(tf, net, x, (n) => abs.get(n)!, { rescale: true });
      return Math.log(tf.sum(out.logits).dataSync()[0]!) + out.logScale;
    });
    expect(Math.abs(rescaled - Math.log(ref.r))).toBeLessThan(1e-5);
    tf.dispose([x, ...abs.values()]);
    net.dispose();
  });

  it('gives 0 for a cell of only none edges (only the classifier bias reaches R)', async () => {
    const net = buildNB201Network(new Array(6).fill('none'), { ...synflow.network(10), C: 2, N: 1, seed: 1 });
    expect(await synflow.score(net, null, { batchSize: 1, inputSize: 8 }, tf)).toBe(0);
    net.dispose();
  });
});
