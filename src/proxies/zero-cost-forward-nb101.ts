/**
 * `zcForward` (zero-cost-forward.ts) for NAS-Bench-101 networks (nb101-network.ts): a functional
 * train-mode forward pass with parameters by name, so that the zero-cost proxies can score NB101
 * cells as they score NB201 ones. Same semantics as zcForward:
 *   - parameters come from `param(name)` under the network's TF-style names (substitute |w|,
 *     differentiate with tf.grads);
 *   - `onLayerOutput(y, weightName, param)` sees every conv output (before its BN, or before its
 *     ReLU in the BN-free variant) under the conv kernel's name, e.g.
 *     `stack0/module0/vertex_1/Conv3x3-BN-ReLU/conv2d/kernel`, and the dense output (bias
 *     included) under `dense/kernel`; what it returns is used;
 *   - `rescale` carries every activation as exp(s) · h̃ with s a JS float64 logarithm (for
 *     synflow's all-|w| BN-free network, which overflows float32). Each NB101 op is re-expressed
 *     exactly on h̃: conv, ReLU, max-pools (3x3 in a vertex, 2x2 between stacks), truncation
 *     (a channel slice) and the global average pool commute with a positive scale; a vertex's sum
 *     and the output's concatenation (+ projection) bring their terms to the largest scale first;
 *     train-mode BN is scale-free except for eps, which becomes eps · exp(-2s); the dense bias
 *     enters as b · exp(-s). h̃ is renormalised to max|h̃| = 1 after every conv and the dense layer;
 *   - `secondOrder`: BN in elementary ops with tf.mean (nested gradients, as zcForward).
 * Train mode (batch statistics) only; running statistics are never touched.
 *
 * The wiring is read from `network.layout` (the data the builder itself walks), so this pass and
 * NB101Network.apply cannot disagree on it; their equality is tested.
 */
import type * as tf from '@tensorflow/tfjs';
import { BN_EPS, batchNormTrainFused } from '../models/layers.ts';
import {
  NB101_DENSE_BIAS,
  NB101_DENSE_KERNEL,
  nb101BatchNormNames,
  nb101ConvKernelName,
  type NB101ConvUnit,
  type NB101ModuleLayout,
  type NB101Network,
} from '../models/nb101-network.ts';
import type { ParamFn, Scaled, ZcForwardOptions, ZcOutput, ZcStage } from './zero-cost-forward.ts';

type TF = typeof tf;

/** float32's smallest normal: a rescaled BN eps is clamped to it (it only matters where eps is negligible). */
const FLOAT32_MIN_NORMAL = 1.1754944e-38;

/**
 * The NB101 network's train-mode forward pass as stages: the stem, each downsampling max-pool,
 * each module, and the head (global average pool + dense; its `t` is the logits). zcForwardNB101
 * runs them in order; chained-gradients.ts can differentiate them one at a time (not rescaled).
 */
export function zcStagesNB101(engine: TF, network: NB101Network, opts: ZcForwardOptions = {}): ZcStage[] {
  const withBn = network.options.bn;
  const rescale = opts.rescale ?? false;
  const { layout } = network;

  /** After a conv or the dense layer: h̃ back to max|h̃| = 1, the factor moved into s. */
  const normalise = <T extends tf.Tensor>(y: T, s: number): Scaled<T> => {
    if (!rescale) return { t: y, s };
    const m = engine.tidy(() => engine.max(engine.abs(y)).dataSync()[0]!);
    if (!(m > 0) || !Number.isFinite(m)) return { t: y, s };
    return { t: engine.div(y, m) as T, s: s + Math.log(m) };
  };

  const hook = <T extends tf.Tensor>(y: T, weightName: string, param: ParamFn): T =>
    opts.onLayerOutput ? (opts.onLayerOutput(y, weightName, param) as T) : y;

  const batchNorm = (h: Scaled, scope: string, param: ParamFn): Scaled => {
    // BN(exp(s)·h̃) with eps equals BN(h̃) with eps·exp(-2s): the scale cancels everywhere else.
    const eps = Math.max(BN_EPS * Math.exp(-2 * h.s), FLOAT32_MIN_NORMAL);
    const names = nb101BatchNormNames(scope);
    const gamma = param(names.gamma) as tf.Tensor1D;
    const beta = param(names.beta) as tf.Tensor1D;
    if (!opts.secondOrder) return { t: batchNormTrainFused(h.t, eps, gamma, beta), s: 0 };
    const mean = (t: tf.Tensor): tf.Tensor => engine.mean(t, [0, 1, 2]);
    const centred = engine.sub(h.t, mean(h.t));
    const scale = engine.mul(engine.rsqrt(engine.add(mean(engine.square(centred)), eps)), gamma);
    return { t: engine.add(engine.mul(centred, scale), beta) as tf.Tensor4D, s: 0 };
  };

  /** conv (no bias) -> hook -> [BN] -> ReLU: one NB101ConvUnit. */
  const convUnit = (h: Scaled, unit: NB101ConvUnit, param: ParamFn): Scaled => {
    const kernelName = nb101ConvKernelName(unit.scope);
    const y = engine.conv2d(h.t, param(kernelName) as tf.Tensor4D, 1, (unit.kernel - 1) / 2);
    let out = normalise(hook(y, kernelName, param), h.s);
    if (withBn) out = batchNorm(out, unit.scope, param);
    return { t: engine.relu(out.t), s: out.s };
  };

  /** Terms at their largest scale (exact: exp(sᵢ - s) ≤ 1 never overflows). */
  const atCommonScale = (terms: readonly Scaled[]): { parts: tf.Tensor4D[]; s: number } => {
    const s = Math.max(...terms.map((t) => t.s));
    return { parts: terms.map((t) => (t.s === s ? t.t : (engine.mul(t.t, Math.exp(t.s - s)) as tf.Tensor4D))), s };
  };

  const sum = (terms: readonly Scaled[]): Scaled => {
    if (terms.length === 1) return terms[0]!;
    const { parts, s } = atCommonScale(terms);
    return { t: engine.addN(parts), s };
  };

  const concatChannels = (terms: readonly Scaled[]): Scaled => {
    if (terms.length === 1) return terms[0]!;
    const { parts, s } = atCommonScale(terms);
    return { t: engine.concat(parts, 3), s };
  };

  /** The original's truncate: keep the first `channels` channels. */
  const truncate = (h: Scaled, channels: number): Scaled =>
    h.t.shape[3] === channels ? h : { t: engine.slice(h.t, [0, 0, 0, 0], [-1, -1, -1, channels]), s: h.s };

  const moduleForward = (input: Scaled, m: NB101ModuleLayout, param: ParamFn): Scaled => {
    const values: Scaled[] = [input];
    const toOutput: Scaled[] = [];
    for (const v of m.vertices) {
      const addIn = v.from.map((src) => truncate(values[src]!, v.channels));
      if (v.projection) addIn.push(convUnit(input, v.projection, param));
      const summed = sum(addIn);
      const value = v.op === 'maxpool3x3' ? { t: engine.maxPool(summed.t, 3, 1, 'same'), s: summed.s } : convUnit(summed, v.op, param);
      values[v.vertex] = value;
      if (v.toOutput) toOutput.push(value);
    }
    if (toOutput.length === 0) {
      if (!m.outputProjection) throw new Error(`module stack${m.stack}/module${m.module}: no vertex and no projection feeds the output`);
      return convUnit(input, m.outputProjection, param);
    }
    const out = concatChannels(toOutput);
    return m.outputProjection ? sum([out, convUnit(input, m.outputProjection, param)]) : out;
  };

  const head = (h: Scaled, param: ParamFn): Scaled<tf.Tensor2D> => {
    const pooled = engine.mean(h.t, [1, 2]) as tf.Tensor2D;
    let logits = engine.matMul(pooled, param(NB101_DENSE_KERNEL) as tf.Tensor2D) as tf.Tensor2D;
    logits = engine.add(logits, engine.mul(param(NB101_DENSE_BIAS), Math.exp(-h.s))) as tf.Tensor2D;
    return normalise(hook(logits, NB101_DENSE_KERNEL, param), h.s);
  };

  const stage =
    (f: (h: Scaled, param: ParamFn) => Scaled<tf.Tensor>): ZcStage =>
    (h, param) =>
      f(h as Scaled, param);
  return [
    stage((x, param) => convUnit(x, layout.stem, param)),
    ...layout.body.map((step) =>
      step.kind === 'downsample'
        ? stage((h) => ({ t: engine.maxPool(h.t, 2, 2, 'same'), s: h.s }))
        : stage((h, param) => moduleForward(h, step, param)),
    ),
    stage(head),
  ];
}

/**
 * The NB101 network's forward pass on `x` (NHWC, 3 channels) in train mode with parameters
 * `param(name)`: zcStagesNB101 in order, each but the last in its own tidy scope. See the file
 * comment for the options.
 */
export function zcForwardNB101(engine: TF, network: NB101Network, x: tf.Tensor4D, param: ParamFn, opts: ZcForwardOptions = {}): ZcOutput {
  if (x.rank !== 4 || x.shape[3] !== 3) {
    throw new RangeError(`zcForwardNB101: input must be NHWC with 3 channels, got shape [${x.shape.join(', ')}]`);
  }
  const stages = zcStagesNB101(engine, network, opts);
  let h: Scaled<tf.Tensor> = { t: x, s: 0 };
  for (let i = 0; i < stages.length - 1; i++) {
    // Safe under tf.grads: tfjs keeps what a gradient needs; the scope frees only the rest.
    const input = h;
    let s = 0;
    const t = engine.tidy(() => {
      const out = stages[i]!(input, param);
      s = out.s;
      return out.t;
    });
    h = { t, s };
  }
  const out = stages[stages.length - 1]!(h, param);
  return { logits: out.t as tf.Tensor2D, logScale: out.s };
}
