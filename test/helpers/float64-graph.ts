/**
 * A plain-JS float64 interpreter of the network description, for tests: every op written out as
 * loops, independent of tfjs and of every executor under test. Train-mode BN (batch statistics,
 * biased variance, eps 1e-5). Small networks only (it is slow by design).
 */
import type { GraphNode, NetworkGraph, ParamRef } from '../../src/graph/network-graph.ts';

/** NHWC activation (or [n, c] for gap/linear, with h = w = 1). */
export interface F64 {
  n: number;
  h: number;
  w: number;
  c: number;
  v: Float64Array;
}

const at = (t: F64, b: number, y: number, x: number, c: number): number => t.v[((b * t.h + y) * t.w + x) * t.c + c]!;

function make(n: number, h: number, w: number, c: number): F64 {
  return { n, h, w, c, v: new Float64Array(n * h * w * c) };
}

/** Reads a parameter (or the leading block of one) in tfjs layout as float64. */
type Values = (name: string) => { shape: readonly number[]; v: ArrayLike<number> };

function block(values: Values, ref: ParamRef): { shape: number[]; get: (...idx: number[]) => number } {
  const { shape, v } = values(ref.name);
  const b = ref.block ?? shape;
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, x) => a * x, 1));
  return { shape: [...b], get: (...idx) => v[idx.reduce((s, k, i) => s + k * strides[i]!, 0)]! };
}

function conv(x: F64, node: Extract<GraphNode, { op: 'conv' }>, values: Values, biasScale: number): F64 {
  const w = block(values, node.weight);
  const [k, , inC, outC] = w.shape as [number, number, number, number];
  const { stride: s, pad: p } = node;
  const ho = Math.floor((x.h + 2 * p - k) / s) + 1;
  const wo = Math.floor((x.w + 2 * p - k) / s) + 1;
  const out = make(x.n, ho, wo, outC);
  const bias = node.bias ? block(values, node.bias) : undefined;
  for (let b = 0; b < x.n; b++)
    for (let y = 0; y < ho; y++)
      for (let z = 0; z < wo; z++)
        for (let o = 0; o < outC; o++) {
          let acc = bias ? bias.get(o) * biasScale : 0;
          for (let dy = 0; dy < k; dy++)
            for (let dx = 0; dx < k; dx++) {
              const iy = y * s + dy - p;
              const ix = z * s + dx - p;
              if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w) continue;
              for (let i = 0; i < inC; i++) acc += at(x, b, iy, ix, i) * w.get(dy, dx, i, o);
            }
          out.v[((b * ho + y) * wo + z) * outC + o] = acc;
        }
  return out;
}

function bn(x: F64, node: Extract<GraphNode, { op: 'bn' }>, values: Values, eps: number): F64 {
  const out = make(x.n, x.h, x.w, x.c);
  const m = x.n * x.h * x.w;
  const gamma = node.gamma ? block(values, node.gamma) : undefined;
  const beta = node.beta ? block(values, node.beta) : undefined;
  for (let c = 0; c < x.c; c++) {
    let mean = 0;
    for (let i = 0; i < m; i++) mean += x.v[i * x.c + c]!;
    mean /= m;
    let variance = 0;
    for (let i = 0; i < m; i++) variance += (x.v[i * x.c + c]! - mean) ** 2;
    variance /= m;
    const scale = (gamma ? gamma.get(c) : 1) / Math.sqrt(variance + eps);
    for (let i = 0; i < m; i++) out.v[i * x.c + c] = (x.v[i * x.c + c]! - mean) * scale + (beta ? beta.get(c) : 0);
  }
  return out;
}

function pool(x: F64, k: number, s: number, padBefore: number, ho: number, wo: number, kind: 'avg-exclusive' | 'avg' | 'max'): F64 {
  const out = make(x.n, ho, wo, x.c);
  for (let b = 0; b < x.n; b++)
    for (let y = 0; y < ho; y++)
      for (let z = 0; z < wo; z++)
        for (let c = 0; c < x.c; c++) {
          let acc = kind === 'max' ? -Infinity : 0;
          let count = 0;
          for (let dy = 0; dy < k; dy++)
            for (let dx = 0; dx < k; dx++) {
              const iy = y * s + dy - padBefore;
              const ix = z * s + dx - padBefore;
              if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w) continue;
              const v = at(x, b, iy, ix, c);
              acc = kind === 'max' ? Math.max(acc, v) : acc + v;
              count++;
            }
          out.v[((b * ho + y) * wo + z) * x.c + c] = kind === 'max' ? acc : kind === 'avg' ? acc / (k * k) : acc / count;
        }
  return out;
}

/**
 * Runs the graph on x in float64. `values` gives parameters (and externals) by name.
 * Returns the logits as [n, numClasses] float64 rows.
 */
export function runFloat64(graph: NetworkGraph, x: F64, values: Values): F64 {
  const out: F64[] = [x];
  for (const node of graph.nodes.slice(1)) {
    const xs = node.inputs.map((i) => out[i]!);
    const a = xs[0]!;
    let y: F64;
    switch (node.op) {
      case 'conv':
        y = conv(a, node, values, 1);
        break;
      case 'bn':
        y = bn(a, node, values, 1e-5);
        break;
      case 'relu':
        y = { ...a, v: a.v.map((v) => Math.max(v, 0)) };
        break;
      case 'avgpool3x3':
        y = pool(a, 3, 1, 1, a.h, a.w, 'avg-exclusive');
        break;
      case 'avgpool2x2':
        y = pool(a, 2, 2, 0, Math.floor(a.h / 2), Math.floor(a.w / 2), 'avg');
        break;
      case 'maxpool': {
        // TF 'same': output ceil(h / s), total padding max((out-1)·s + k - h, 0), the smaller half before
        const ho = Math.ceil(a.h / node.stride);
        const padTotal = Math.max((ho - 1) * node.stride + node.size - a.h, 0);
        y = pool(a, node.size, node.stride, Math.floor(padTotal / 2), ho, Math.ceil(a.w / node.stride), 'max');
        break;
      }
      case 'add':
        y = { ...a, v: a.v.map((v, i) => xs.slice(1).reduce((s, t) => s + t.v[i]!, v)) };
        break;
      case 'concat': {
        y = make(a.n, a.h, a.w, node.channels);
        const rows = a.n * a.h * a.w;
        let offset = 0;
        for (const t of xs) {
          for (let r = 0; r < rows; r++) for (let c = 0; c < t.c; c++) y.v[r * node.channels + offset + c] = t.v[r * t.c + c]!;
          offset += t.c;
        }
        break;
      }
      case 'truncate': {
        y = make(a.n, a.h, a.w, node.channels);
        const rows = a.n * a.h * a.w;
        for (let r = 0; r < rows; r++) for (let c = 0; c < node.channels; c++) y.v[r * node.channels + c] = a.v[r * a.c + c]!;
        break;
      }
      case 'zeros':
        y = make(a.n, a.h, a.w, a.c);
        break;
      case 'gap': {
        y = make(a.n, 1, 1, a.c);
        for (let b = 0; b < a.n; b++)
          for (let c = 0; c < a.c; c++) {
            let s = 0;
            for (let i = 0; i < a.h * a.w; i++) s += a.v[(b * a.h * a.w + i) * a.c + c]!;
            y.v[b * a.c + c] = s / (a.h * a.w);
          }
        break;
      }
      case 'linear': {
        const w = block(values, node.weight);
        const bias = node.bias ? block(values, node.bias) : undefined;
        const [inF, outF] = w.shape as [number, number];
        y = make(a.n, 1, 1, outF);
        for (let b = 0; b < a.n; b++)
          for (let o = 0; o < outF; o++) {
            let s = bias ? bias.get(o) : 0;
            for (let i = 0; i < inF; i++) s += a.v[b * inF + i]! * w.get(i, o);
            y.v[b * outF + o] = s;
          }
        break;
      }
      case 'scale': {
        const f = block(values, { name: node.factor.name });
        const factor = f.get(...node.factor.index);
        y = { ...a, v: a.v.map((v) => v * factor) };
        break;
      }
      default:
        throw new Error(`float64 interpreter: op ${(node as GraphNode).op}`);
    }
    out.push(y);
  }
  return out[graph.output]!;
}

/** A float64 NHWC tensor from float32 values. */
export function f64(n: number, h: number, w: number, c: number, values: ArrayLike<number>): F64 {
  return { n, h, w, c, v: Float64Array.from(values) };
}
