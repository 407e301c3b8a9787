/**
 * The tfjs executors against independent computations, on the same weights and batch, for every
 * space: the forward pass against a float64 interpreter of the description; the staged gradient
 * pass against one whole-graph tf.grads; the staged Hessian-vector product against whole-graph
 * nested gradients and central differences; the log-scaled pass against the plain one.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { crossEntropy, crossEntropySecondOrder, logitShift } from '../../src/executors/losses.ts';
import { runGraph, type TfjsRunOptions } from '../../src/executors/tfjs-forward.ts';
import { chainedGradients } from '../../src/executors/tfjs-gradients.ts';
import { stagedHvp } from '../../src/executors/tfjs-hvp.ts';
import { measureScales, runScaled } from '../../src/executors/tfjs-scaled.ts';
import type { NetworkGraph } from '../../src/graph/network-graph.ts';
import type { CellNetwork } from '../../src/models/instantiate.ts';
import { buildNB101Network } from '../../src/models/nb101-network.ts';
import { buildNB201Network, type BnVariant } from '../../src/models/nb201-network.ts';
import { buildNB101Supernet } from '../../src/supernet/nb101-supernet.ts';
import { buildNB201Supernet } from '../../src/supernet/nb201-supernet.ts';
import { validateSpec } from '../../src/spaces/nb101.ts';
import { f64, runFloat64 } from '../helpers/float64-graph.ts';
import { wholeHvp } from '../proxies/zero-cost-reference.ts';
import { CHAIN, PROJECTION_ONLY, RESIDUAL_POOL, TRUNCATING } from '../helpers/nb101-specs.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const owned: { dispose(): void }[] = [];
afterEach(() => {
  while (owned.length > 0) owned.pop()!.dispose();
});
function own<T extends { dispose(): void }>(t: T): T {
  owned.push(t);
  return t;
}

const CELL = ['nor_conv_3x3', 'skip_connect', 'nor_conv_1x1', 'avg_pool_3x3', 'none', 'nor_conv_3x3'];
const CELL2 = ['avg_pool_3x3', 'nor_conv_3x3', 'skip_connect', 'nor_conv_1x1', 'none', 'avg_pool_3x3'];

function input(n: number, size: number, seed: number): tf.Tensor4D {
  return own(tf.randomNormal([n, size, size, 3], 0, 1, 'float32', seed) as tf.Tensor4D);
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return d / s;
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    e += (a[i]! - b[i]!) ** 2;
    n += b[i]! ** 2;
  }
  return Math.sqrt(e / n);
}

/** The float64 interpreter on the network's own values (alpha for mixed graphs). */
function float64Logits(graph: NetworkGraph, x: tf.Tensor4D, lookup: (name: string) => tf.Tensor): Float64Array {
  const [n, h, w, c] = x.shape;
  return runFloat64(graph, f64(n, h, w, c, x.dataSync()), (name) => {
    const t = lookup(name);
    return { shape: t.shape, v: t.dataSync() };
  }).v;
}

interface Case {
  name: string;
  graph: NetworkGraph;
  opts: TfjsRunOptions;
  size: number;
}

/** Small networks of every kind the harness builds, with their tfjs run options (train mode). */
function cases(): Case[] {
  const out: Case[] = [];
  const cell = (net: CellNetwork, name: string, size = 8): void => {
    own(net);
    out.push({ name, graph: net.graph, opts: net.runOptions({ training: true, updateRunningStats: false }), size });
  };
  for (const bn of ['standard', 'no-affine', 'none-in-cells'] as BnVariant[]) {
    cell(buildNB201Network(CELL, { C: 4, N: 1, numClasses: 5, bn, seed: 1 }), `NB201 bn ${bn}`);
  }
  cell(buildNB201Network(CELL2, { C: 3, N: 2, numClasses: 5, bn: 'standard', fair: true, seed: 2 }), 'NB201 fair N=2');
  for (const [name, spec] of Object.entries({ RESIDUAL_POOL, CHAIN, PROJECTION_ONLY, TRUNCATING })) {
    cell(buildNB101Network(spec, { stemChannels: 8, numStacks: 2, cellsPerStack: 1, numClasses: 5, seed: 3 }), `NB101 ${name}`);
  }
  cell(buildNB101Network(TRUNCATING, { stemChannels: 8, numStacks: 2, cellsPerStack: 1, numClasses: 5, seed: 3, bn: false }), 'NB101 BN-free');
  const sn = own(buildNB201Supernet({ C: 3, N: 1, numClasses: 5, seed: 4 }));
  const lookup = (name: string) => sn.store.variable(name);
  out.push({ name: 'NB201 supernet path', graph: sn.graphFor({ path: CELL2 as never }), opts: { param: lookup, training: true }, size: 8 });
  const alpha = own(tf.randomUniform([6, 5], 0.1, 1, 'float32', 5));
  out.push({ name: 'NB201 supernet mixed', graph: sn.graphFor({}), opts: { param: (n) => (n === 'alpha' ? alpha : lookup(n)), training: true }, size: 8 });
  const s101 = own(buildNB101Supernet({ stemChannels: 8, numStacks: 2, cellsPerStack: 1, numClasses: 5, seed: 6, fair: true }));
  out.push({ name: 'NB101 supernet path (sliced)', graph: s101.graphFor(validateSpec(TRUNCATING)), opts: { param: (n) => s101.store.variable(n), training: true }, size: 8 });
  return out;
}

describe('tfjs forward executor', () => {
  it('equals a float64 interpreter of the description, for every kind of network', () => {
    for (const c of cases()) {
      const x = input(3, c.size, 11);
      const ours = tf.tidy(() => runGraph(c.graph, x, c.opts).dataSync());
      const ref = float64Logits(c.graph, x, c.opts.param);
      expect(maxRelDiff(ours, ref), c.name).toBeLessThan(2e-4);
    }
  });

  it('releasing intermediates gives the same logits and leaves no tensor behind', () => {
    for (const c of cases()) {
      const x = input(2, c.size, 12);
      const plain = tf.tidy(() => runGraph(c.graph, x, c.opts).dataSync());
      const before = tf.memory().numTensors;
      const logits = runGraph(c.graph, x, { ...c.opts, release: true });
      expect(tf.memory().numTensors - before, c.name).toBe(1);
      expect(Array.from(logits.dataSync()), c.name).toEqual(Array.from(plain));
      logits.dispose();
    }
  });

  it('calls the ReLU hook in the order of reluNames, and uses what onNodeOutput returns', () => {
    const net = own(buildNB201Network(CELL, { C: 4, N: 1, numClasses: 5, bn: 'standard', seed: 1 }));
    const x = input(2, 8, 13);
    const seen: string[] = [];
    tf.tidy(() => runGraph(net.graph, x, net.runOptions({ training: true, hooks: { onReluInput: (_t, name) => seen.push(name) } })));
    expect(seen).toEqual(net.reluNames);
    // zeroing the stem's output leaves every cell at zero: only the classifier bias reaches the logits
    const zeroStem = tf.tidy(() =>
      runGraph(net.graph, x, net.runOptions({ training: true, hooks: { onNodeOutput: (y, node) => (node.op === 'conv' && node.weight.name === 'stem.0.weight' ? tf.zerosLike(y) : undefined) } })).arraySync(),
    );
    const bias = Array.from(net.params.find((p) => p.name === 'classifier.bias')!.variable.dataSync());
    // (bias-free cell convs; every BN of an all-zero map outputs beta = 0)
    for (const row of zeroStem) row.forEach((v, i) => expect(v).toBeCloseTo(bias[i]!, 6));
  });

  it('moves BN running statistics only when asked, and uses them in eval mode', () => {
    const net = own(buildNB201Network(CELL, { C: 4, N: 1, numClasses: 5, seed: 1 }));
    const mean = net.buffers.find((b) => b.name === 'stem.1.running_mean')!.variable;
    const x = input(4, 8, 14);
    tf.dispose(net.apply(x, { training: true, updateRunningStats: false }));
    expect(Array.from(mean.dataSync()).every((v) => v === 0)).toBe(true);
    tf.dispose(net.apply(x, { training: true }));
    expect(Array.from(mean.dataSync()).some((v) => v !== 0)).toBe(true);
    const evalA = tf.tidy(() => net.apply(x, { training: false }).dataSync());
    const evalB = tf.tidy(() => net.apply(tf.concat([x, x]) as tf.Tensor4D, { training: false }).dataSync());
    // eval mode normalises each sample alone: duplicating the batch changes nothing
    expect(maxRelDiff(evalB.slice(0, evalA.length), evalA)).toBeLessThan(1e-5);
  });
});

describe('staged gradients (chainedGradients)', () => {
  it('equal one whole-graph tf.grads, for every parameter and the input', () => {
    for (const c of cases()) {
      const x = input(4, c.size, 21);
      const labels = Int32Array.from([0, 3, 1, 4]);
      const loss = (l: tf.Tensor2D) => crossEntropy(l, labels);
      const names = c.graph.params.map((p) => p.name);
      const r = chainedGradients(c.graph, x, c.opts, loss, names, { inputGradient: true });
      const whole = tf.grads((xi: tf.Tensor, ...ws: tf.Tensor[]) => {
        const sub = new Map(names.map((n, i) => [n, ws[i]!]));
        return loss(runGraph(c.graph, xi as tf.Tensor4D, { ...c.opts, param: (n) => sub.get(n) ?? c.opts.param(n) }));
      })([x, ...names.map((n) => c.opts.param(n))]);
      expect(relErr(r.dx!.dataSync(), whole[0]!.dataSync()), `${c.name}: input`).toBeLessThan(1e-4);
      // every gradient relative to the largest one (some BN betas get ~1e-8 gradients that later BNs cancel)
      const largest = Math.max(...whole.slice(1).map((g) => tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]!)));
      names.forEach((n, i) => {
        const a = r.grads.get(n)!.dataSync();
        const b = whole[i + 1]!.dataSync();
        let d = 0;
        for (let k = 0; k < b.length; k++) d = Math.max(d, Math.abs(a[k]! - b[k]!));
        expect(d, `${c.name}: ${n}`).toBeLessThan(1e-4 * largest);
      });
      expect(r.loss.dataSync()[0]).toBeCloseTo(tf.tidy(() => loss(runGraph(c.graph, x, c.opts)).dataSync()[0]!), 5);
      tf.dispose([...whole, ...r.grads.values(), r.dx!, r.loss]);
    }
  });

  it('frees what it allocated: only the returned tensors outlive the call', () => {
    const net = own(buildNB201Network(CELL, { C: 4, N: 1, numClasses: 5, bn: 'no-affine', seed: 6 }));
    const x = input(3, 8, 22);
    for (const p of [...net.params, ...net.buffers]) void p.variable; // variables are created on first use: create them before counting
    const before = tf.memory().numTensors;
    const r = chainedGradients(net.graph, x, net.runOptions({ training: true }), (l) => tf.sum(l), ['stem.0.weight', 'classifier.weight']);
    expect(tf.memory().numTensors - before).toBe(3); // two gradients and the loss
    tf.dispose([...r.grads.values(), r.loss]);
  });
});

describe('staged Hessian-vector products', () => {
  it('equal whole-graph nested gradients (NB201 two cells, NB101 with max-pools)', async () => {
    const nets: [string, CellNetwork][] = [
      ['NB201 N=1', own(buildNB201Network(CELL, { C: 4, N: 1, numClasses: 5, bn: 'no-affine', seed: 12 }))],
      ['NB201 N=2', own(buildNB201Network(CELL2, { C: 3, N: 2, numClasses: 5, bn: 'no-affine', seed: 13 }))],
      ['NB101', own(buildNB101Network(RESIDUAL_POOL, { stemChannels: 6, numStacks: 2, cellsPerStack: 1, numClasses: 5, seed: 14 }))],
    ];
    for (const [name, net] of nets) {
      const x = input(4, 8, 31);
      const labels = Int32Array.from([0, 1, 2, 3]);
      const opts = net.runOptions({ training: true });
      const logits = tf.tidy(() => runGraph(net.graph, x, opts));
      const shift = own(await logitShift(logits));
      logits.dispose();
      const names = net.graph.params.filter((p) => p.kind === 'conv' || p.kind === 'linear-weight').map((p) => p.name);
      const v = names.map((n, i) => own(tf.randomNormal(opts.param(n).shape, 0, 1, 'float32', 400 + i)));
      const whole = wholeHvp(net.graph, opts, x, labels, shift, names, v);
      const staged = stagedHvp(net.graph, x, opts, (l) => crossEntropySecondOrder(l, labels, shift), new Map(names.map((n, i) => [n, v[i]!])));
      const a = whole.flatMap((t) => Array.from(t.dataSync()));
      const b = names.flatMap((n) => Array.from(staged.get(n)!.dataSync()));
      expect(relErr(b, a), name).toBeLessThan(1e-4);
      expect(tf.norm(staged.get(names[0]!)!).dataSync()[0]!, `${name}: the stem's block is there`).toBeGreaterThan(0);
      tf.dispose([...whole, ...staged.values()]);
    }
  });

  it('whole-graph nested gradients match central differences of the gradient', async () => {
    const net = own(buildNB201Network(CELL, { C: 4, N: 1, numClasses: 5, bn: 'no-affine', seed: 8 }));
    const x = input(4, 8, 32);
    const labels = Int32Array.from([0, 1, 2, 3]);
    const opts = net.runOptions({ training: true });
    const logits = tf.tidy(() => runGraph(net.graph, x, opts));
    const shift = own(await logitShift(logits));
    logits.dispose();
    const names = net.graph.params.filter((p) => p.kind === 'conv' || p.kind === 'linear-weight').map((p) => p.name);
    // v moves only the classifier: g then changes smoothly (no ReLU kink after it), while H v still
    // holds the cross terms ∂²L/∂W_l∂W_classifier of every layer
    const v = names.map((n, i) => own(n === 'classifier.weight' ? tf.randomNormal(opts.param(n).shape, 0, 1, 'float32', 100 + i) : tf.zerosLike(opts.param(n))));
    const hv = wholeHvp(net.graph, opts, x, labels, shift, names, v);
    const gradAt = (eps: number): Float32Array[] =>
      tf.tidy(() => {
        const sub = new Map(names.map((n, i) => [n, tf.add(opts.param(n), tf.mul(v[i]!, eps))]));
        const g = tf.grads((...ws: tf.Tensor[]) => {
          const s2 = new Map(names.map((n, i) => [n, ws[i]!]));
          return crossEntropy(runGraph(net.graph, x, { ...opts, param: (n) => s2.get(n) ?? opts.param(n) }), labels);
        })(names.map((n) => sub.get(n)!));
        return g.map((t) => t.dataSync() as Float32Array);
      });
    const eps = 1e-2;
    const up = gradAt(eps);
    const down = gradAt(-eps);
    const fd = up.flatMap((u, i) => Array.from(u, (val, k) => (val - down[i]![k]!) / (2 * eps)));
    const ours = hv.flatMap((t) => Array.from(t.dataSync()));
    expect(relErr(ours, fd)).toBeLessThan(2e-2);
    expect(tf.norm(hv[0]!).dataSync()[0]!).toBeGreaterThan(0);
    tf.dispose(hv);
  });
});

describe('log-scaled executor', () => {
  it('computes logits / exp(S) with S from the values: times exp(S) it is the plain forward', async () => {
    for (const c of cases()) {
      const x = input(2, c.size, 41);
      const factors = await measureScales(c.graph, x, c.opts);
      const { logits, logScale } = tf.tidy(() => {
        const r = runScaled(c.graph, x, c.opts, factors);
        return { logits: tf.keep(r.logits), logScale: r.logScale };
      });
      const scaled = Array.from(logits.dataSync(), (v) => v * Math.exp(logScale));
      logits.dispose();
      const plain = float64Logits(c.graph, x, c.opts.param);
      expect(maxRelDiff(scaled, plain), c.name).toBeLessThan(1e-3);
    }
  });

  it('stays finite where the plain float32 pass overflows (|w| x 1e4 in every conv, no BN in the cells)', async () => {
    const net = own(buildNB201Network(CELL, { C: 4, N: 3, numClasses: 5, bn: 'none-in-cells', seed: 2 }));
    const base = net.runOptions({ training: true });
    const big = new Map(net.graph.params.map((p) => [p.name, own(tf.tidy(() => (p.kind === 'conv' ? tf.mul(tf.abs(base.param(p.name)), 1e4) : tf.abs(base.param(p.name)))))]));
    const opts = { ...base, param: (n: string) => big.get(n)! };
    const x = own(tf.ones([1, 8, 8, 3]) as tf.Tensor4D);
    const plain = tf.tidy(() => runGraph(net.graph, x, opts).dataSync());
    expect(Array.from(plain).some((v) => !Number.isFinite(v))).toBe(true);
    const factors = await measureScales(net.graph, x, opts);
    const r = tf.tidy(() => {
      const o = runScaled(net.graph, x, opts, factors);
      return { v: o.logits.dataSync(), s: o.logScale };
    });
    expect(Array.from(r.v).every(Number.isFinite)).toBe(true);
    expect(r.s).toBeGreaterThan(Math.log(3.4e38));
  });
});
