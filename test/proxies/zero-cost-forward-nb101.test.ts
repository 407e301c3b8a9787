import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  buildNB101Network,
  nb101ConvKernelName,
  type NB101ConvUnit,
  type NB101Network,
  type NB101NetworkOptions,
} from '../../src/models/nb101-network.ts';
import type { ModelSpec } from '../../src/spaces/nb101.ts';
import { zcForwardNB101 } from '../../src/proxies/zero-cost-forward-nb101.ts';
import { ensureSecondOrderGradients } from '../../src/proxies/zero-cost-hvp.ts';
import { C1, C3, CHAIN, PROJECTION_ONLY, RESIDUAL_POOL, TRUNCATING } from '../helpers/nb101-specs.ts';

// Small networks (stem 4-8, 8x8 inputs) keep these tests light on the shared 2-core machine.
beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** conv3x3 -> conv1x1 plus the input -> output projection: no max-pool inside the module. */
const CONV_ONLY: ModelSpec = {
  matrix: [
    [0, 1, 0, 1],
    [0, 0, 1, 0],
    [0, 0, 0, 1],
    [0, 0, 0, 0],
  ],
  ops: ['input', C3, C1, 'output'],
};
const SPECS = { RESIDUAL_POOL, CHAIN, PROJECTION_ONLY, TRUNCATING, CONV_ONLY };

const owned: { dispose(): void }[] = [];
afterEach(() => {
  while (owned.length > 0) owned.pop()!.dispose();
});

function build(spec: ModelSpec, opts: Partial<NB101NetworkOptions> = {}): NB101Network {
  const net = buildNB101Network(spec, { stemChannels: 8, numStacks: 3, cellsPerStack: 2, numClasses: 10, seed: 3, ...opts });
  owned.push(net);
  return net;
}

function keep<T extends tf.Tensor>(t: T): T {
  owned.push(t);
  return t;
}

function randomInput(batch: number, size: number, seed: number): tf.Tensor4D {
  return keep(tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', seed) as tf.Tensor4D);
}

function variablesByName(net: NB101Network): (name: string) => tf.Tensor {
  const byName = new Map<string, tf.Tensor>(net.params.map((p) => [p.name, p.variable]));
  return (name) => {
    const t = byName.get(name);
    if (!t) throw new Error(`no parameter ${name}`);
    return t;
  };
}

/** max |a - b| / max |b|. */
function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function meanCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor2D): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
}

describe('zcForwardNB101 (functional NB101 forward for the zero-cost proxies)', () => {
  for (const [specName, spec] of Object.entries(SPECS)) {
    for (const bn of [true, false]) {
      it(`equals NB101Network.apply in train mode (${specName}, bn ${bn}), also rescaled and secondOrder`, () => {
        const net = build(spec, { bn });
        const x = randomInput(3, 8, 1);
        const param = variablesByName(net);
        const ref = tf.tidy(() => net.apply(x, { training: true, updateRunningStats: false }).dataSync());
        const plain = tf.tidy(() => zcForwardNB101(tf, net, x, param).logits.dataSync());
        expect(maxRelDiff(plain, ref)).toBeLessThan(1e-5);
        const second = tf.tidy(() => zcForwardNB101(tf, net, x, param, { secondOrder: true }).logits.dataSync());
        expect(maxRelDiff(second, ref)).toBeLessThan(1e-5);
        const scaled = tf.tidy(() => {
          const out = zcForwardNB101(tf, net, x, param, { rescale: true });
          return { v: out.logits.dataSync(), s: out.logScale };
        });
        expect(scaled.s).not.toBe(0);
        expect(maxRelDiff(Array.from(scaled.v, (v) => v * Math.exp(scaled.s)), ref)).toBeLessThan(1e-5);
      });
    }
  }

  it('leaves the BN running statistics alone and, under tidy, no tensor behind', () => {
    const net = build(RESIDUAL_POOL);
    const x = randomInput(2, 8, 2);
    const before = net.buffers.map((b) => Array.from(b.variable.dataSync()));
    const tensors = tf.memory().numTensors;
    tf.tidy(() => zcForwardNB101(tf, net, x, variablesByName(net), { rescale: true }).logits).dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(net.buffers.map((b) => Array.from(b.variable.dataSync()))).toEqual(before);
  });

  it('shows every conv output and the dense output to the hook, once, and uses what it returns', () => {
    for (const bn of [true, false]) {
      const net = build(RESIDUAL_POOL, { bn });
      const x = randomInput(2, 8, 3);
      const seen: string[] = [];
      const zeroed = tf.tidy(() =>
        zcForwardNB101(tf, net, x, variablesByName(net), {
          onLayerOutput: (y, name) => {
            seen.push(name);
            return name === 'dense/kernel' ? tf.zerosLike(y) : y;
          },
        }).logits.dataSync(),
      );
      const expected = net.params.filter((p) => p.kind === 'conv' || p.kind === 'linear-weight').map((p) => p.name);
      expect([...seen].sort()).toEqual([...expected].sort());
      expect(seen).toContain('stack0/module0/vertex_1/Conv3x3-BN-ReLU/conv2d/kernel');
      expect(Array.from(zeroed)).toEqual(new Array(20).fill(0));
    }
  });

  it('uses a replaced conv output downstream (BN-free: a zero stem leaves only the dense bias)', () => {
    const net = build(CHAIN, { bn: false });
    const x = randomInput(2, 8, 4);
    const param = variablesByName(net);
    const logits = tf.tidy(() =>
      zcForwardNB101(tf, net, x, param, {
        onLayerOutput: (y, name) => (name === nb101ConvKernelName('stem') ? tf.zerosLike(y) : y),
      }).logits.dataSync(),
    );
    const bias = Array.from(param('dense/bias').dataSync());
    expect(Array.from(logits)).toEqual([...bias, ...bias]);
  });

  for (const bn of [true, false]) {
    it(`gives the gradients tf.variableGrads gives through NB101Network.apply (bn ${bn})`, () => {
      const net = build(RESIDUAL_POOL, { bn, stemChannels: 6 });
      const x = randomInput(4, 8, 5);
      const labels = keep(tf.oneHot(tf.tensor1d([0, 3, 7, 9], 'int32'), 10) as tf.Tensor2D);
      const names = net.params.map((p) => p.name);
      const viaApply = tf.variableGrads(
        () => meanCrossEntropy(net.apply(x, { training: true, updateRunningStats: false }), labels),
        net.params.map((p) => p.variable),
      );
      const viaZc = tf.tidy(() =>
        tf.grads((...ws: tf.Tensor[]) => {
          const sub = new Map(names.map((n, i) => [n, ws[i]!]));
          return meanCrossEntropy(zcForwardNB101(tf, net, x, (n) => sub.get(n)!).logits, labels);
        })(net.params.map((p) => p.variable)),
      );
      // Relative to each parameter's gradient, floored at 1e-3 of the largest: some BN betas get
      // gradients ~1e-8 (a per-channel shift that later BNs cancel wherever the ReLU passes it),
      // float32 cancellation noise in both passes.
      const refs = net.params.map((p) => viaApply.grads[p.variable.name]!.dataSync());
      const largest = Math.max(...refs.map((r) => maxAbs(r)));
      net.params.forEach((p, i) => {
        const tol = 1e-4 * Math.max(maxAbs(refs[i]!), 1e-3 * largest);
        expect(maxAbsDiff(viaZc[i]!.dataSync(), refs[i]!), p.name).toBeLessThan(tol);
      });
      tf.dispose([viaApply.value, ...Object.values(viaApply.grads), ...viaZc]);
    });
  }

  it('secondOrder: a Hessian-vector product through BN matches central differences of the gradient', () => {
    // Conv-only cell, one stack: tfjs 4.22 registers no gradient for MaxPoolGrad, so nested
    // gradients cannot pass a max-pool (vertex op or downsample) yet; conv's is registered by
    // ensureSecondOrderGradients. The loss is a squared error, not tf.losses' cross-entropy:
    // a customGrad op (and kernels that save their output) is not differentiated twice correctly.
    ensureSecondOrderGradients();
    const net = build(CONV_ONLY, { stemChannels: 4, numStacks: 1, cellsPerStack: 2 });
    const x = randomInput(3, 6, 6);
    const target = keep(tf.randomNormal([3, 10], 0, 1, 'float32', 8));
    const kernel = 'stack0/module0/vertex_1/Conv3x3-BN-ReLU/conv2d/kernel';
    const param = variablesByName(net);
    const w0 = param(kernel);
    const v = keep(tf.randomNormal(w0.shape, 0, 1, 'float32', 9));
    const gradAt = (w: tf.Tensor): tf.Tensor =>
      tf.grad((wt: tf.Tensor) => {
        const { logits } = zcForwardNB101(tf, net, x, (n) => (n === kernel ? wt : param(n)), { secondOrder: true });
        return tf.mean(tf.square(tf.sub(logits, target)));
      })(w);
    const hvp = tf.tidy(() => tf.grad((w: tf.Tensor) => tf.sum(tf.mul(gradAt(w), v)))(w0).dataSync());
    // A tiny step: with ReLUs the gradient is only piecewise smooth, and steps of 1e-4 already
    // flip units (one flip moves a gradient entry by far more than 2·eps·Hv); at 1e-5 none flips
    // here and float32 still resolves 2·eps·Hv to ~1e-4 (checked: 1e-3 .. 1e-4 scatter, 3e-5 and
    // 1e-5 agree with the nested gradient).
    const eps = 1e-5;
    const fd = tf.tidy(() => tf.div(tf.sub(gradAt(tf.add(w0, tf.mul(v, eps))), gradAt(tf.sub(w0, tf.mul(v, eps)))), 2 * eps).dataSync());
    expect(maxRelDiff(hvp, fd)).toBeLessThan(5e-3);
  });

  it('rejects an input that is not NHWC with 3 channels', () => {
    const net = build(CHAIN);
    const x = keep(tf.zeros([1, 8, 8, 4]) as tf.Tensor4D);
    expect(() => zcForwardNB101(tf, net, x, variablesByName(net))).toThrow(/3 channels/);
  });
});

// ---- rescale on synflow's network: BN-free, every weight |w|, all-ones input ----

/** A float64 NHWC activation of ONE sample. */
interface F64Map {
  h: number;
  w: number;
  c: number;
  v: Float64Array;
}

/** Plain float64 forward of a BN-free NB101 network (batch 1), walking network.layout. */
function forwardFloat64(net: NB101Network, param: (name: string) => Float64Array, size: number): Float64Array {
  const at = (m: F64Map, y: number, x: number, c: number): number => m.v[(y * m.w + x) * m.c + c]!;
  const conv = (m: F64Map, unit: NB101ConvUnit): F64Map => {
    const { kernel: k, inChannels: ci, outChannels: co } = unit;
    const wt = param(nb101ConvKernelName(unit.scope));
    const pad = (k - 1) / 2;
    const out = new Float64Array(m.h * m.w * co);
    for (let y = 0; y < m.h; y++)
      for (let x = 0; x < m.w; x++)
        for (let ky = 0; ky < k; ky++)
          for (let kx = 0; kx < k; kx++) {
            const yy = y + ky - pad;
            const xx = x + kx - pad;
            if (yy < 0 || yy >= m.h || xx < 0 || xx >= m.w) continue;
            for (let i = 0; i < ci; i++) {
              const a = at(m, yy, xx, i);
              for (let o = 0; o < co; o++) out[(y * m.w + x) * co + o]! += a * wt[((ky * k + kx) * ci + i) * co + o]!;
            }
          }
    return { h: m.h, w: m.w, c: co, v: out.map((t) => Math.max(t, 0)) };
  };
  const maxPool = (m: F64Map, k: number, stride: number, pad: number): F64Map => {
    const h = Math.ceil(m.h / stride);
    const w = Math.ceil(m.w / stride);
    const out = new Float64Array(h * w * m.c).fill(-Infinity);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ky = 0; ky < k; ky++)
          for (let kx = 0; kx < k; kx++) {
            const yy = y * stride + ky - pad;
            const xx = x * stride + kx - pad;
            if (yy < 0 || yy >= m.h || xx < 0 || xx >= m.w) continue;
            for (let c = 0; c < m.c; c++) out[(y * w + x) * m.c + c] = Math.max(out[(y * w + x) * m.c + c]!, at(m, yy, xx, c));
          }
    return { h, w, c: m.c, v: out };
  };
  const channels = (m: F64Map, keepC: number): F64Map => {
    const v = new Float64Array(m.h * m.w * keepC);
    for (let p = 0; p < m.h * m.w; p++) for (let c = 0; c < keepC; c++) v[p * keepC + c] = m.v[p * m.c + c]!;
    return { ...m, c: keepC, v };
  };
  const add = (a: F64Map, b: F64Map): F64Map => ({ ...a, v: a.v.map((t, i) => t + b.v[i]!) });
  const concat = (parts: F64Map[]): F64Map => {
    const c = parts.reduce((s, p) => s + p.c, 0);
    const v = new Float64Array(parts[0]!.h * parts[0]!.w * c);
    for (let p = 0; p < parts[0]!.h * parts[0]!.w; p++) {
      let o = 0;
      for (const part of parts) for (let k = 0; k < part.c; k++) v[p * c + o++] = part.v[p * part.c + k]!;
    }
    return { ...parts[0]!, c, v };
  };

  let h = conv({ h: size, w: size, c: 3, v: new Float64Array(size * size * 3).fill(1) }, net.layout.stem);
  for (const step of net.layout.body) {
    if (step.kind === 'downsample') {
      h = maxPool(h, 2, 2, 0); // 'same' on even sizes: no padding
      continue;
    }
    const input = h;
    const values: F64Map[] = [input];
    const toOutput: F64Map[] = [];
    for (const v of step.vertices) {
      const terms = v.from.map((s) => channels(values[s]!, v.channels));
      if (v.projection) terms.push(conv(input, v.projection));
      const summed = terms.reduce(add);
      values[v.vertex] = v.op === 'maxpool3x3' ? maxPool(summed, 3, 1, 1) : conv(summed, v.op);
      if (v.toOutput) toOutput.push(values[v.vertex]!);
    }
    const projected = step.outputProjection ? conv(input, step.outputProjection) : undefined;
    h = toOutput.length === 0 ? projected! : projected ? add(concat(toOutput), projected) : concat(toOutput);
  }
  const kernel = param('dense/kernel');
  const logits = Float64Array.from(param('dense/bias'));
  for (let c = 0; c < h.c; c++) {
    let pooled = 0;
    for (let p = 0; p < h.h * h.w; p++) pooled += h.v[p * h.c + c]!;
    pooled /= h.h * h.w;
    for (let o = 0; o < logits.length; o++) logits[o]! += pooled * kernel[c * logits.length + o]!;
  }
  return logits;
}

describe('zcForwardNB101 rescale on the BN-free network with |w| (synflow)', () => {
  /** |w| · factor for every parameter (the dense bias too), as tensors and as float64 arrays. */
  function absParams(net: NB101Network, factor: number) {
    const tensors = new Map(net.params.map((p) => [p.name, keep(tf.tidy(() => tf.mul(tf.abs(p.variable), factor)))]));
    return {
      param: (n: string) => tensors.get(n)!,
      // Float64 from the float32 weights |w| (exact), times the factor in float64.
      f64: (n: string) => Float64Array.from(tf.tidy(() => tf.abs(net.params.find((p) => p.name === n)!.variable).dataSync()), (v) => v * factor),
      names: net.params.map((p) => p.name),
    };
  }

  it('logits · exp(logScale) equal the plain float32 and float64 forwards where nothing overflows', () => {
    const net = build(RESIDUAL_POOL, { bn: false, stemChannels: 4 });
    const { param, f64 } = absParams(net, 1);
    const x = keep(tf.ones([1, 8, 8, 3]) as tf.Tensor4D);
    const plain = tf.tidy(() => zcForwardNB101(tf, net, x, param).logits.dataSync());
    const scaled = tf.tidy(() => {
      const out = zcForwardNB101(tf, net, x, param, { rescale: true });
      return { v: Array.from(out.logits.dataSync(), (t) => t * Math.exp(out.logScale)), s: out.logScale };
    });
    const ref = forwardFloat64(net, f64, 8);
    expect(scaled.s).toBeGreaterThan(1);
    expect(maxRelDiff(plain, ref)).toBeLessThan(1e-5);
    expect(maxRelDiff(scaled.v, ref)).toBeLessThan(1e-5);
  });

  it('gives ∂R/∂w / exp(logScale): the synflow gradient, exactly as the plain forward gives it', () => {
    const net = build(TRUNCATING, { bn: false, stemChannels: 4 });
    const { param, names } = absParams(net, 1);
    const x = keep(tf.ones([1, 8, 8, 3]) as tf.Tensor4D);
    const ws = names.map(param);
    let logScale = 0;
    const gradsOf = (rescale: boolean) =>
      tf.grads((...t: tf.Tensor[]) => {
        const sub = new Map(names.map((n, i) => [n, t[i]!]));
        const out = zcForwardNB101(tf, net, x, (n) => sub.get(n)!, { rescale });
        if (rescale) logScale = out.logScale;
        return tf.sum(out.logits);
      })(ws);
    const plain = tf.tidy(() => gradsOf(false).map((g) => g.dataSync()));
    const scaled = tf.tidy(() => gradsOf(true).map((g) => g.dataSync()));
    expect(logScale).toBeGreaterThan(1);
    names.forEach((n, i) => {
      expect(maxRelDiff(Array.from(scaled[i]!, (g) => g * Math.exp(logScale)), plain[i]!), n).toBeLessThan(1e-5);
    });
  });

  it('stays finite and float64-exact where the plain float32 forward overflows', () => {
    // |w| · 300 in every layer: logits ~1e46 (~1e38 at · 100, ~4e3 at · 1; float32's max is 3.4e38).
    const net = build(RESIDUAL_POOL, { bn: false, stemChannels: 4 });
    const { param, f64 } = absParams(net, 300);
    const x = keep(tf.ones([1, 8, 8, 3]) as tf.Tensor4D);
    const plain = tf.tidy(() => zcForwardNB101(tf, net, x, param).logits.dataSync());
    const ref = forwardFloat64(net, f64, 8);
    expect(Array.from(plain).some((v) => !Number.isFinite(v))).toBe(true);
    const logRef = ref.map(Math.log);
    expect(Math.min(...logRef)).toBeGreaterThan(Math.log(3.5e38));
    const scaled = tf.tidy(() => {
      const out = zcForwardNB101(tf, net, x, param, { rescale: true });
      return Array.from(out.logits.dataSync(), (t) => Math.log(t) + out.logScale);
    });
    // ln of the logits: relative precision 1e-5 of the logits is 1e-5 absolute in ln.
    for (let i = 0; i < ref.length; i++) expect(Math.abs(scaled[i]! - logRef[i]!)).toBeLessThan(1e-5);
  });
});
