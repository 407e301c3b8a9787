/**
 * The supernet's mixed (DARTS) forward pass in train mode, functional and log-scaled, for
 * gradients w.r.t. alpha of networks whose activations overflow float32 (FreeDARTS / ZEROS:
 * absolute-valued weights, all-ones input, no BN in the cells).
 *
 * Why a second forward pass next to NB201Supernet.apply:
 * - parameters come from a lookup by name, so a caller can substitute |w| without touching the
 *   supernet's variables;
 * - with `rescale`, every activation is carried as h = exp(s) · t, s a float64 logarithm and t
 *   normalised to max|t| = 1 at each cell node, reduction-block output, the stem and the logits
 *   (the places where growth accumulates: between two of them there are at most one conv and a
 *   sum of a dozen terms, far from float32's range). Each op is re-expressed exactly on t as in
 *   zero-cost-forward.ts: ReLU, convs and pools commute with a positive scale, a bias enters as
 *   b · exp(-s), a sum brings its terms to the largest scale, a train-mode BN is scale-free except
 *   for eps, which becomes eps · exp(-2s), and alpha is a plain factor. The scales are constants
 *   picked from values, so the computed function is g = f / exp(logScale) near the current point
 *   and ∂f/∂alpha = exp(logScale) · ∂g/∂alpha exactly.
 * Without rescale it computes the same values as NB201Supernet.apply(x, {training: true, alpha,
 * active}) (tested), so the two cannot drift apart unnoticed.
 *
 * Train mode only (batch statistics): FreeDARTS scores a freshly initialised supernet, whose
 * running statistics carry no information.
 */
import * as tf from '@tensorflow/tfjs';
import { avgPool2x2, avgPool3x3, BN_EPS, batchNormTrainFused } from '../models/layers.ts';
import { convKernelSize, isConvOp, NB201_EDGES, NB201_OPS } from '../models/nb201-cell.ts';
import type { NB201Supernet, OpMask } from './nb201-supernet.ts';

/** An activation h = exp(s) · t (s = 0 without rescaling). */
interface Scaled<T extends tf.Tensor = tf.Tensor4D> {
  t: T;
  s: number;
}

/** Parameter lookup by the supernet's parameter names. */
export type SupernetParamFn = (name: string) => tf.Tensor;

export interface MixedForwardOptions {
  /** [6, 5] mixing weights in NB201_OPS order (what the caller differentiates with respect to). */
  alpha: tf.Tensor2D;
  /** Ops in the mix (default all); a masked op is not run. */
  active?: OpMask;
  /** Carry activations with a log-scale (see the file comment). Default true. */
  rescale?: boolean;
}

export interface MixedForwardOutput {
  /** The logits divided by exp(logScale). */
  logits: tf.Tensor2D;
  /** Natural log of the logits' scale (0 without rescaling). */
  logScale: number;
}

// float32's smallest normal: eps · exp(-2s) below it would be flushed to zero.
const MIN_NORMAL_F32 = 1.1754944e-38;

/** Runs the mixed forward; call inside tf.tidy / tf.grads (it returns fresh tensors). */
export function supernetMixedForward(
  supernet: NB201Supernet,
  x: tf.Tensor4D,
  param: SupernetParamFn,
  opts: MixedForwardOptions,
): MixedForwardOutput {
  const { N, bn, fair } = supernet.options;
  const names = new Set(supernet.params.map((p) => p.name));
  const has = (name: string): boolean => names.has(name);
  const outerBn = bn !== 'none-in-cells';
  const cellBn = bn !== 'none-in-cells';
  const rescale = opts.rescale ?? true;
  const { alpha } = opts;
  if (alpha.rank !== 2 || alpha.shape[0] !== NB201_EDGES.length || alpha.shape[1] !== NB201_OPS.length) {
    throw new RangeError(`alpha must have shape [${NB201_EDGES.length}, ${NB201_OPS.length}], got [${alpha.shape.join(', ')}]`);
  }
  const active = opts.active ?? NB201_EDGES.map(() => NB201_OPS.map(() => true));
  const weights = tf.unstack(alpha).map((row) => tf.unstack(row) as tf.Scalar[]);

  const normalise = <T extends tf.Tensor>(h: Scaled<T>): Scaled<T> => {
    if (!rescale) return h;
    const m = tf.tidy(() => tf.max(tf.abs(h.t)).dataSync()[0]!);
    // Zero (an all-zero activation) or non-finite (already broken): leave it for the caller's guard.
    if (!(m > 0) || !Number.isFinite(m)) return h;
    return { t: tf.div(h.t, m) as T, s: h.s + Math.log(m) };
  };

  const batchNorm = (h: Scaled, prefix: string): Scaled => {
    const eps = Math.max(BN_EPS * Math.exp(-2 * h.s), MIN_NORMAL_F32);
    const gamma = has(`${prefix}.weight`) ? (param(`${prefix}.weight`) as tf.Tensor1D) : undefined;
    const beta = has(`${prefix}.bias`) ? (param(`${prefix}.bias`) as tf.Tensor1D) : undefined;
    return { t: batchNormTrainFused(h.t, eps, gamma, beta), s: 0 };
  };

  const reluConvBn = (h: Scaled, prefix: string, stride: number, k: number, withBn: boolean): Scaled => {
    let y = tf.conv2d(tf.relu(h.t), param(`${prefix}.op.1.weight`) as tf.Tensor4D, stride, (k - 1) / 2);
    const biasName = `${prefix}.op.1.bias`;
    if (has(biasName)) y = tf.add(y, tf.mul(param(biasName), Math.exp(-h.s)));
    return withBn ? batchNorm({ t: y, s: h.s }, `${prefix}.op.2`) : { t: y, s: h.s };
  };

  /** Σ of terms at different scales, brought to the largest one (smaller ones lose only what float32 cannot hold). */
  const sum = (terms: Scaled[]): Scaled => {
    if (terms.length === 1) return terms[0]!;
    const s = Math.max(...terms.map((t) => t.s));
    return { t: tf.addN(terms.map((t) => (t.s === s ? t.t : (tf.mul(t.t, Math.exp(t.s - s)) as tf.Tensor4D)))), s };
  };

  const edgeOp = (h: Scaled, cellIndex: number, e: number, o: number): Scaled => {
    const op = NB201_OPS[o]!;
    const prefix = `cells.${cellIndex}.layers.${e}.${op}`;
    if (isConvOp(op)) return reluConvBn(h, prefix, 1, convKernelSize(op), cellBn);
    const base: Scaled = op === 'skip_connect' ? h : { t: avgPool3x3(h.t), s: h.s };
    return fair ? batchNorm(base, `${prefix}.bn`) : base;
  };

  const mixedEdge = (h: Scaled, cellIndex: number, e: number): Scaled => {
    const terms: Scaled[] = [];
    NB201_OPS.forEach((op, o) => {
      // `none` contributes alpha · 0 = 0 exactly (as in NB201Supernet.apply).
      if (!active[e]![o] || op === 'none') return;
      const y = edgeOp(h, cellIndex, e, o);
      terms.push({ t: tf.mul(weights[e]![o]!, y.t) as tf.Tensor4D, s: y.s });
    });
    return terms.length === 0 ? { t: tf.zerosLike(h.t), s: h.s } : sum(terms);
  };

  const cell = (input: Scaled, cellIndex: number): Scaled => {
    const nodes: Scaled[] = [input];
    for (let node = 1; node <= 3; node++) {
      const incoming: Scaled[] = [];
      NB201_EDGES.forEach(({ from, to }, e) => {
        if (to === node) incoming.push(mixedEdge(nodes[from]!, cellIndex, e));
      });
      nodes.push(normalise(sum(incoming)));
    }
    return nodes[3]!;
  };

  const reduction = (h: Scaled, cellIndex: number): Scaled => {
    const prefix = `cells.${cellIndex}`;
    const a = reluConvBn(h, `${prefix}.conv_a`, 2, 3, true);
    const b = reluConvBn(a, `${prefix}.conv_b`, 1, 3, true);
    const residual: Scaled = { t: tf.conv2d(avgPool2x2(h.t), param(`${prefix}.downsample.1.weight`) as tf.Tensor4D, 1, 0), s: h.s };
    return normalise(sum([residual, b]));
  };

  let h = normalise<tf.Tensor4D>({ t: tf.conv2d(x, param('stem.0.weight') as tf.Tensor4D, 1, 1), s: 0 });
  if (outerBn) h = batchNorm(h, 'stem.1');
  let cellIndex = 0;
  for (let stage = 0; stage < 3; stage++) {
    if (stage > 0) h = reduction(h, cellIndex++);
    for (let i = 0; i < N; i++) h = cell(h, cellIndex++);
  }
  if (outerBn) h = batchNorm(h, 'lastact.0');
  const pooled = tf.mean(tf.relu(h.t), [1, 2]) as tf.Tensor2D;
  let logits = tf.matMul(pooled, param('classifier.weight') as tf.Tensor2D) as tf.Tensor2D;
  logits = tf.add(logits, tf.mul(param('classifier.bias'), Math.exp(-h.s))) as tf.Tensor2D;
  const out = normalise<tf.Tensor2D>({ t: logits, s: h.s });
  return { logits: out.t, logScale: out.s };
}
