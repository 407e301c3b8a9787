/**
 * Helpers shared by the zero-cost proxies (Abdelfattah et al., ICLR 2021; SamsungLabs/zero-cost-nas).
 *
 * 1. `crossEntropy`, `saliencyWeights`: the loss the reference uses (mean cross-entropy over the
 *    batch) and the weights its per-weight saliencies are summed over (every nn.Conv2d and
 *    nn.Linear weight; biases and BN parameters are not counted).
 *
 * 2. `zcForward`: a second, functional forward pass of the NB201 network (nb201-network.ts), for
 *    what `Network.apply` cannot do:
 *    - fisher needs every conv/linear OUTPUT (bias included) and its gradient; the hook
 *      `onLayerOutput` sees each output and may return a replacement (fisher multiplies it by a
 *      per-sample, per-channel mask of ones, whose gradient is Σ_positions activation × gradient);
 *    - synflow needs the network evaluated without float32 overflow: with `rescale`, every
 *      activation is carried as h = exp(logScale) · h̃ with h̃ normalised to max|h̃| = 1 after each
 *      conv/linear, the scale a JS float64 logarithm. Every op is re-expressed exactly on h̃:
 *      ReLU and pooling commute with a positive scale, a conv bias enters as b · exp(-logScale),
 *      a node sum brings its terms to the largest scale, and a train-mode BN is scale-free except
 *      for eps, which becomes eps · exp(-2 logScale) (clamped to float32's smallest normal, which
 *      only matters where it is negligible anyway). The scales are constants chosen from values,
 *      so the computed function is g(w) = f(w) / exp(logScale_out) for every w near the current
 *      one, and its gradient is ∂f/∂w / exp(logScale_out), exactly.
 *    The pass takes its parameters as tensors by name (so a proxy can substitute |w|, or
 *    differentiate with tf.grads), supports train mode (batch statistics) only, and does not
 *    support `fair` networks. Its equality with `Network.apply` is tested.
 */
import { avgPool3x3 } from '../models/layers.ts';
import type * as tf from '@tensorflow/tfjs';
import { BN_EPS, batchNormTrainFused } from '../models/layers.ts';
import { NB201_EDGES, convKernelSize, isConvOp } from '../models/nb201-cell.ts';
import type { Network, NetworkParam } from '../models/nb201-network.ts';
import type { ImageBatch } from '../datasets/types.ts';
import { chainedGradients } from './chained-gradients.ts';
import type { CellNetwork, CellNetworkParam } from '../models/network.ts';
import { stagesOf } from './zero-cost-stages.ts';

type TF = typeof tf;

/** Mean cross-entropy of logits [n, k] against 0-based labels (PyTorch's nn.CrossEntropyLoss()). */
export function crossEntropy(engine: TF, logits: tf.Tensor2D, labels: Int32Array): tf.Scalar {
  return engine.tidy(() => {
    const k = logits.shape[1];
    const oneHot = engine.oneHot(engine.tensor1d(labels, 'int32'), k);
    return engine.neg(engine.mean(engine.sum(engine.mul(oneHot, engine.logSoftmax(logits)), 1))) as tf.Scalar;
  });
}

/** The weights the reference sums saliencies over: conv and linear weights (not biases, not BN). */
export function saliencyWeights(network: CellNetwork): CellNetworkParam[] {
  return network.params.filter((p) => p.kind === 'conv' || p.kind === 'linear-weight');
}

/** Fan-in per output channel of a conv [kh, kw, in, out] or linear [in, out] weight. */
export function fanInPerOutput(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length - 1; i++) n *= shape[i]!;
  return n;
}

export interface ZcForwardOptions {
  /**
   * Sees each conv / linear output (bias included, before BN); returns what the network uses.
   * `param` is the parameter lookup in force (a hook that needs tensors of its own, e.g. fisher's
   * masks, reads them through it under names of its choosing, so chainedGradients can
   * differentiate w.r.t. them like any parameter).
   */
  onLayerOutput?: (y: tf.Tensor, weightName: string, param: ParamFn) => tf.Tensor;
  /** Carry activations with a log-scale (see the file comment). */
  rescale?: boolean;
  /**
   * BN means with tf.mean instead of the faster ones-vector matMul, for nested gradients
   * (grasp's Hessian-vector product): tf.mean's second derivatives inside BN were checked against
   * finite differences; the matMul form's were not established either way.
   */
  secondOrder?: boolean;
}

export interface ZcOutput {
  /** The logits divided by exp(logScale). */
  logits: tf.Tensor2D;
  /** Natural log of the logits' scale (0 without `rescale`). */
  logScale: number;
}

/** Parameter lookup by state-dict name. */
export type ParamFn = (name: string) => tf.Tensor;

/** An activation h = exp(s) · t (s = 0 without `rescale`). */
export interface Scaled<T extends tf.Tensor = tf.Tensor4D> {
  t: T;
  s: number;
}

/**
 * One stage of the forward pass: the stem, a cell, a reduction block, or the head (last BN, ReLU,
 * pool, classifier: its output `t` is the logits). Stages take the parameter lookup as an
 * argument so that chained-gradients.ts can re-run one stage with substitutes.
 */
export type ZcStage = (h: Scaled<tf.Tensor>, param: ParamFn) => Scaled<tf.Tensor>;

/**
 * The NB201 network's train-mode forward pass as stages (stem, each cell and reduction block,
 * head); zcForward runs them in order, chained-gradients.ts differentiates them one at a time.
 * Supports train mode (batch statistics) only, not `fair` networks.
 */
export function zcStages(engine: TF, network: Network, opts: ZcForwardOptions = {}): ZcStage[] {
  const { N, bn, fair } = network.options;
  if (fair) throw new RangeError('zcForward does not support fair networks');
  const names = new Set(network.params.map((p) => p.name));
  const has = (name: string): boolean => names.has(name);
  const outerBn = bn !== 'none-in-cells';
  const cellBn = bn !== 'none-in-cells';
  const rescale = opts.rescale ?? false;

  const normalise = (y: tf.Tensor4D, s: number): Scaled => {
    if (!rescale) return { t: y, s };
    const m = engine.tidy(() => engine.max(engine.abs(y)).dataSync()[0]!);
    if (!(m > 0) || !Number.isFinite(m)) return { t: y, s };
    return { t: engine.div(y, m) as tf.Tensor4D, s: s + Math.log(m) };
  };

  // The lookup of the stage being run (each stage sets it first; stages run synchronously).
  let param: ParamFn = () => {
    throw new Error('zcStages: a stage reads a parameter before it was given the lookup');
  };
  const hook = <T extends tf.Tensor>(y: T, weightName: string): T =>
    opts.onLayerOutput ? (opts.onLayerOutput(y, weightName, param) as T) : y;

  const conv = (h: Scaled, weightName: string, biasName: string | null, stride: number, pad: number): Scaled => {
    let y = engine.conv2d(h.t, param(weightName) as tf.Tensor4D, stride, pad);
    if (biasName !== null) y = engine.add(y, engine.mul(param(biasName), Math.exp(-h.s)));
    return normalise(hook(y, weightName), h.s);
  };

  const batchNorm = (h: Scaled, prefix: string): Scaled => {
    const eps = Math.max(BN_EPS * Math.exp(-2 * h.s), 1.1754944e-38);
    const gamma = has(`${prefix}.weight`) ? (param(`${prefix}.weight`) as tf.Tensor1D) : undefined;
    const beta = has(`${prefix}.bias`) ? (param(`${prefix}.bias`) as tf.Tensor1D) : undefined;
    if (!opts.secondOrder) return { t: batchNormTrainFused(h.t, eps, gamma, beta), s: 0 };
    const mean = (t: tf.Tensor): tf.Tensor => engine.mean(t, [0, 1, 2]);
    const centred = engine.sub(h.t, mean(h.t));
    const variance = mean(engine.square(centred));
    let scale: tf.Tensor = engine.rsqrt(engine.add(variance, eps));
    if (gamma) scale = engine.mul(scale, gamma);
    let y = engine.mul(centred, scale) as tf.Tensor4D;
    if (beta) y = engine.add(y, beta) as tf.Tensor4D;
    return { t: y, s: 0 };
  };

  const reluConvBn = (h: Scaled, prefix: string, stride: number, k: number, withBn: boolean): Scaled => {
    const biasName = `${prefix}.op.1.bias`;
    const y = conv({ t: engine.relu(h.t), s: h.s }, `${prefix}.op.1.weight`, has(biasName) ? biasName : null, stride, (k - 1) / 2);
    return withBn ? batchNorm(y, `${prefix}.op.2`) : y;
  };

  const sum = (terms: Scaled[]): Scaled => {
    if (terms.length === 1) return terms[0]!;
    const s = Math.max(...terms.map((t) => t.s));
    const parts = terms.map((t) => (t.s === s ? t.t : (engine.mul(t.t, Math.exp(t.s - s)) as tf.Tensor4D)));
    return { t: engine.addN(parts), s };
  };

  const cellForward = (input: Scaled, cellIndex: number): Scaled => {
    const nodes: Scaled[] = [input];
    for (let node = 1; node <= 3; node++) {
      const incoming: Scaled[] = [];
      NB201_EDGES.forEach(({ from, to }, e) => {
        if (to !== node) return;
        const op = network.cell[e]!;
        const h = nodes[from]!;
        const prefix = `cells.${cellIndex}.layers.${e}`;
        if (isConvOp(op)) incoming.push(reluConvBn(h, prefix, 1, convKernelSize(op), cellBn));
        else if (op === 'none') incoming.push({ t: engine.zerosLike(h.t), s: h.s });
        else if (op === 'skip_connect') incoming.push(h);
        else incoming.push({ t: avgPool3x3Exclusive(engine, h.t), s: h.s });
      });
      nodes.push(sum(incoming));
    }
    return nodes[3]!;
  };

  const reduction = (h: Scaled, cellIndex: number): Scaled => {
    const prefix = `cells.${cellIndex}`;
    const a = reluConvBn(h, `${prefix}.conv_a`, 2, 3, true);
    const b = reluConvBn(a, `${prefix}.conv_b`, 1, 3, true);
    const residual = conv({ t: engine.avgPool(h.t, 2, 2, 'valid'), s: h.s }, `${prefix}.downsample.1.weight`, null, 1, 0);
    return sum([residual, b]);
  };

  const stages: ZcStage[] = [];
  const stage = (f: (h: Scaled) => Scaled): void => {
    stages.push((h, p) => {
      param = p;
      return f(h as Scaled);
    });
  };
  stage((x) => {
    const h = conv(x, 'stem.0.weight', null, 1, 1);
    return outerBn ? batchNorm(h, 'stem.1') : h;
  });
  let cellIndex = 0;
  for (let s = 0; s < 3; s++) {
    if (s > 0) {
      const k = cellIndex++;
      stage((h) => reduction(h, k));
    }
    for (let i = 0; i < N; i++) {
      const k = cellIndex++;
      stage((h) => cellForward(h, k));
    }
  }
  stages.push((input, p) => {
    param = p;
    const h = outerBn ? batchNorm(input as Scaled, 'lastact.0') : (input as Scaled);
    const pooled = engine.mean(engine.relu(h.t), [1, 2]) as tf.Tensor2D;
    let logits = engine.matMul(pooled, param('classifier.weight') as tf.Tensor2D) as tf.Tensor2D;
    logits = engine.add(logits, engine.mul(param('classifier.bias'), Math.exp(-h.s))) as tf.Tensor2D;
    logits = hook(logits, 'classifier.weight');
    let s = h.s;
    if (rescale) {
      const m = engine.tidy(() => engine.max(engine.abs(logits)).dataSync()[0]!);
      if (m > 0 && Number.isFinite(m)) {
        logits = engine.div(logits, m) as tf.Tensor2D;
        s += Math.log(m);
      }
    }
    return { t: logits, s };
  });
  return stages;
}

/**
 * The NB201 network's forward pass on `x` (NHWC) in train mode, with parameters `param(name)`
 * (normally the network's variables, or substitutes): zcStages run in order. See the file comment.
 * Its avg_pool_3x3 is avgPool3x3Exclusive (correct gradients), the one place it deliberately
 * differs from Network.apply's graph (same forward values).
 */
export function zcForward(engine: TF, network: Network, x: tf.Tensor4D, param: ParamFn, opts: ZcForwardOptions = {}): ZcOutput {
  const stages = zcStages(engine, network, opts);
  let h: Scaled<tf.Tensor> = { t: x, s: 0 };
  stages.forEach((run, i) => {
    if (i === stages.length - 1) {
      h = run(h, param);
      return;
    }
    // Each stage in its own tidy scope. Safe under tf.grads: what a gradient needs, tfjs keeps
    // (the tape holds kept clones of every saved tensor), so the scope frees only the rest, e.g.
    // a conv's output once its BN has run.
    const input = h;
    let s = 0;
    const t = engine.tidy(() => {
      const out = run(input, param);
      s = out.s;
      return out.t;
    });
    h = { t, s };
  });
  return { logits: h.t as tf.Tensor2D, logScale: h.s };
}

/** NB201's avg_pool_3x3 with a correct gradient: the network's own (src/models/layers.ts). */
export function avgPool3x3Exclusive(_engine: TF, x: tf.Tensor4D): tf.Tensor4D {
  return avgPool3x3(x);
}

/** The batch as an input tensor [n, H, W, 3]. */
export function batchTensor(engine: TF, batch: ImageBatch): tf.Tensor4D {
  return engine.tensor4d(batch.x, [batch.n, batch.height, batch.width, batch.channels]);
}

/** Name under which fisher's per-sample, per-channel mask for a layer is looked up (see lossGradients). */
export function fisherMaskName(weightName: string): string {
  return `fisher-mask:${weightName}`;
}

export interface LossGradients {
  /** ∂L/∂W for every saliency weight (conv and linear weights), by name. */
  weights: Map<string, Float32Array>;
  /** Σ over positions of a · ∂L/∂a per sample and output channel ([n, C] row-major), by weight name. */
  activations: Map<string, { n: number; c: number; v: Float32Array }>;
  loss: number;
}

// One gradient pass per (network, batch): grad_norm, snip and fisher all read it. The reference
// scores every measure on a copy of the same initialised network with the same batch, so sharing
// the pass changes no number; it saves two of three backward passes when a job scores all three.
const lossGradientMemo = new WeakMap<CellNetwork, WeakMap<ImageBatch, LossGradients>>();

/**
 * The mean cross-entropy's gradients on the batch (network in train mode, running statistics
 * untouched), w.r.t. every conv/linear weight and w.r.t. a mask of ones on every conv/linear
 * OUTPUT (fisher's Σ a·g), in one pass by chainedGradients. Memoised per network and batch.
 */
export function lossGradients(engine: TF, network: CellNetwork, batch: ImageBatch): LossGradients {
  const memo = lossGradientMemo.get(network)?.get(batch);
  if (memo) return memo;
  const weights = saliencyWeights(network);
  const byName = new Map<string, tf.Tensor>(network.params.map((p) => [p.name, p.variable]));
  const n = batch.n;
  for (const p of weights) {
    byName.set(fisherMaskName(p.name), engine.ones([n, p.variable.shape[p.variable.shape.length - 1]!]));
  }
  const x = batchTensor(engine, batch);
  const stages = stagesOf(engine, network, {
    onLayerOutput: (y, name, param) => {
      const m = param(fisherMaskName(name));
      return engine.mul(y, engine.reshape(m, y.rank === 4 ? [n, 1, 1, m.shape[1]!] : [n, m.shape[1]!]));
    },
  });
  const wrt = [...weights.map((p) => p.name), ...weights.map((p) => fisherMaskName(p.name))];
  try {
    const r = chainedGradients(engine, stages, x, (name) => byName.get(name)!, (logits) => crossEntropy(engine, logits, batch.labels), wrt);
    const result: LossGradients = { weights: new Map(), activations: new Map(), loss: r.loss };
    for (const p of weights) {
      result.weights.set(p.name, r.grads.get(p.name)!.dataSync() as Float32Array);
      const m = r.grads.get(fisherMaskName(p.name))!;
      result.activations.set(p.name, { n, c: m.shape[1]!, v: m.dataSync() as Float32Array });
    }
    engine.dispose([...r.grads.values()]);
    if (!lossGradientMemo.has(network)) lossGradientMemo.set(network, new WeakMap());
    lossGradientMemo.get(network)!.set(batch, result);
    return result;
  } finally {
    x.dispose();
    for (const p of weights) byName.get(fisherMaskName(p.name))!.dispose();
  }
}
