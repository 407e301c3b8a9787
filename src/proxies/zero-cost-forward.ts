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
import { BN_EPS } from '../models/layers.ts';
import { NB201_EDGES, convKernelSize, isConvOp } from '../models/nb201-cell.ts';
import type { Network, NetworkParam } from '../models/nb201-network.ts';
import type { ImageBatch } from '../datasets/types.ts';

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
export function saliencyWeights(network: Network): NetworkParam[] {
  return network.params.filter((p) => p.kind === 'conv' || p.kind === 'linear-weight');
}

/** Fan-in per output channel of a conv [kh, kw, in, out] or linear [in, out] weight. */
export function fanInPerOutput(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length - 1; i++) n *= shape[i]!;
  return n;
}

export interface ZcForwardOptions {
  /** Sees each conv / linear output (bias included, before BN); returns what the network uses. */
  onLayerOutput?: (y: tf.Tensor, weightName: string) => tf.Tensor;
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

interface Scaled {
  t: tf.Tensor4D;
  s: number;
}

/**
 * The NB201 network's forward pass on `x` (NHWC) in train mode, with parameters `param(name)`
 * (normally the network's variables, or substitutes). See the file comment. Its avg_pool_3x3
 * is avgPool3x3Exclusive (correct gradients), the one place it deliberately differs from
 * Network.apply's graph (same forward values).
 */
export function zcForward(
  engine: TF,
  network: Network,
  x: tf.Tensor4D,
  param: (name: string) => tf.Tensor,
  opts: ZcForwardOptions = {},
): ZcOutput {
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

  const hook = <T extends tf.Tensor>(y: T, weightName: string): T =>
    opts.onLayerOutput ? (opts.onLayerOutput(y, weightName) as T) : y;

  const conv = (h: Scaled, weightName: string, biasName: string | null, stride: number, pad: number): Scaled => {
    let y = engine.conv2d(h.t, param(weightName) as tf.Tensor4D, stride, pad);
    if (biasName !== null) y = engine.add(y, engine.mul(param(biasName), Math.exp(-h.s)));
    return normalise(hook(y, weightName), h.s);
  };

  const batchNorm = (h: Scaled, prefix: string): Scaled => {
    const [n, hh, ww, c] = h.t.shape;
    const rows = n * hh * ww;
    const mean = (t: tf.Tensor): tf.Tensor =>
      opts.secondOrder
        ? engine.mean(t, [0, 1, 2])
        : engine.reshape(engine.matMul(engine.fill([1, rows], 1 / rows), engine.reshape(t, [rows, c]) as tf.Tensor2D), [c]);
    const centred = engine.sub(h.t, mean(h.t));
    const variance = mean(engine.square(centred));
    const eps = Math.max(BN_EPS * Math.exp(-2 * h.s), 1.1754944e-38);
    let scale: tf.Tensor = engine.rsqrt(engine.add(variance, eps));
    if (has(`${prefix}.weight`)) scale = engine.mul(scale, param(`${prefix}.weight`));
    let y = engine.mul(centred, scale) as tf.Tensor4D;
    if (has(`${prefix}.bias`)) y = engine.add(y, param(`${prefix}.bias`)) as tf.Tensor4D;
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

  let h = conv({ t: x, s: 0 }, 'stem.0.weight', null, 1, 1);
  if (outerBn) h = batchNorm(h, 'stem.1');
  let cellIndex = 0;
  for (let stage = 0; stage < 3; stage++) {
    if (stage > 0) h = reduction(h, cellIndex++);
    for (let i = 0; i < N; i++) h = cellForward(h, cellIndex++);
  }
  if (outerBn) h = batchNorm(h, 'lastact.0');
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
  return { logits, logScale: s };
}

/** NB201's avg_pool_3x3 with a correct gradient: the network's own (src/models/layers.ts). */
export function avgPool3x3Exclusive(_engine: TF, x: tf.Tensor4D): tf.Tensor4D {
  return avgPool3x3(x);
}

/** The batch as an input tensor [n, H, W, 3]. */
export function batchTensor(engine: TF, batch: ImageBatch): tf.Tensor4D {
  return engine.tensor4d(batch.x, [batch.n, batch.height, batch.width, batch.channels]);
}

/**
 * For every saliency weight (conv and linear weights), `reduce(w, g)` of the weight and its
 * cross-entropy gradient on the batch (network in train mode, running statistics untouched),
 * summed in float64. A weight the loss does not reach has gradient zero (PyTorch's None -> 0).
 */
export function sumOverWeightGrads(
  engine: TF,
  network: Network,
  batch: ImageBatch,
  reduce: (w: tf.Tensor, g: tf.Tensor) => tf.Scalar,
): number {
  const weights = saliencyWeights(network);
  const x = batchTensor(engine, batch);
  try {
    // zcForward, not network.apply: the builder's avg_pool_3x3 (tf.avgPool 'same') has wrong
    // gradients at the borders in tfjs (see avgPool3x3Exclusive).
    const byName = new Map(network.params.map((p) => [p.name, p.variable as tf.Tensor]));
    const { value, grads } = engine.variableGrads(
      () => crossEntropy(engine, zcForward(engine, network, x, (name) => byName.get(name)!).logits, batch.labels),
      weights.map((p) => p.variable),
    );
    value.dispose();
    let total = 0;
    for (const p of weights) {
      const g = grads[p.variable.name];
      const term = engine.tidy(() => reduce(p.variable, g ?? engine.zerosLike(p.variable)).dataSync()[0]!);
      total += term;
    }
    engine.dispose(Object.values(grads));
    return total;
  } finally {
    x.dispose();
  }
}
