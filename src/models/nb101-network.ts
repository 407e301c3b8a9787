/**
 * The NAS-Bench-101 network for one cell (ModelSpec), NHWC, with the same interface shape as the
 * NB201 network (nb201-network.ts): parameters with kind labels, ReLU names in call order, an apply
 * with train mode / ReLU-input hook / releaseIntermediates, dispose.
 *
 * Structure: the original `nasbench/lib/model_builder.py`, described in nb101-cost.ts, whose
 * `planNB101Module` this file builds from (so the built parameter count is the analytic one):
 *   stem conv3x3-BN-ReLU (3 -> S); 3 stacks x 3 modules, max-pool 2x2 s2 'same' and channel
 *   doubling before stacks 1 and 2; global average pool; dense -> numClasses.
 *   Inside a module: vertex t's input = sum of its interior predecessors (truncated to t's
 *   channels: the first c_t channels are kept) + conv1x1-BN-ReLU projection of the module input
 *   when input -> t; then conv kxk-BN-ReLU (pad (k-1)/2) or max-pool 3x3 s1 'same'. Output =
 *   channel concatenation of the vertices feeding it (in vertex order) + projection of the input
 *   when input -> output. The spec is validated and pruned first, as the original API does.
 *
 * Differences from the original, on purpose:
 *   - Initialisation is PyTorch's default (init.ts, per-parameter seeded streams), not TF's
 *     variance-scaling: the project's proxies follow the PyTorch references (the zero-cost
 *     reference scores a PyTorch port of this network).
 *   - BN running statistics move with PyTorch's momentum 0.1 (layers.ts) where the original's TF
 *     BN decays with 0.997. Only eval-mode forwards after train-mode forwards see the difference;
 *     the proxies run in train mode (batch statistics). BN epsilon 1e-5 is the original's.
 *
 * The BN-free variant (`bn: false`) is the zero-cost reference's `get_prunable_copy(bn=False)` for
 * NB101 (SamsungLabs/zero-cost-nas, foresight/models/nasbench1.py `Network(..., bn=False)` with
 * foresight/models/nasbench1_ops.py `ConvBnRelu(..., bn=False)`), which synflow scores: every
 * conv-BN-ReLU (stem, vertex ops, projections) becomes conv-ReLU, the conv STILL WITHOUT a bias
 * (nn.Conv2d(..., bias=False) in both branches), the BN module simply dropped; max-pools, the
 * global average pool and the dense layer (with its bias) are unchanged. The conv weights are the
 * ones the BN network has (the reference loads the BN network's state dict into the copy; here
 * initialisation is seeded by parameter name, so the same seed gives the same conv weights).
 *
 * The structure is also exported as data (`nb101Layout`, `network.layout`): the builder below
 * walks it, and so does the functional forward pass of the zero-cost proxies
 * (src/proxies/zero-cost-forward-nb101.ts), so the two cannot disagree on the wiring.
 *
 * Parameter names follow the original's TF variable scopes (`stem/conv2d/kernel`,
 * `stack1/module2/vertex_3/projection/batch_normalization/gamma`,
 * `stack0/module0/vertex_2/Conv3x3-BN-ReLU/conv2d/kernel`, `stack2/module1/projection/...` for the
 * input -> output projection, `dense/kernel`, `dense/bias`). ReLU names are the scope of the
 * conv-BN-ReLU they end (`stem`, `stack0/module0/vertex_1/projection`, ...).
 */
import * as tf from '@tensorflow/tfjs';
import { validateSpec, type ModelSpec } from '../spaces/nb101.ts';
import { initBias, initConvWeight, initLinearWeight } from './init.ts';
import { batchNorm, conv2d, globalAvgPool, linear, relu, type BatchNormState } from './layers.ts';
import {
  checkNB101Sizes,
  nb101KernelSize,
  nb101ModuleShapes,
  planNB101Module,
  type NB101ModulePlan,
} from './nb101-cost.ts';
import type { ApplyOptions, ParamKind } from './nb201-network.ts';
import { disposeOnce, runModules, type CellNetwork } from './network.ts';

export type { ApplyOptions, ParamKind } from './nb201-network.ts';

/** Where inside the network a parameter sits (absent for the stem and the dense layer). */
export interface NB101VertexRef {
  stack: number;
  module: number;
  /** Vertex of the pruned spec: 1..n-2 for an interior vertex, n-1 for the output projection. */
  vertex: number;
  /** 'op': the vertex's own conv-BN-ReLU; 'projection': the 1x1 projection of the module input. */
  role: 'op' | 'projection';
}

export interface NB101NetworkParam {
  /** TF variable name in the original model. */
  name: string;
  kind: ParamKind;
  vertex?: NB101VertexRef;
  variable: tf.Variable;
}

export interface NB101NetworkBuffer {
  name: string;
  kind: 'bn-running-mean' | 'bn-running-var';
  vertex?: NB101VertexRef;
  variable: tf.Variable;
}

export interface NB101NetworkOptions {
  /** Stem output channels (128 in NB101 and the zero-cost paper; NASWOT's code used 16). */
  stemChannels?: number;
  numStacks?: number;
  cellsPerStack?: number;
  numClasses: number;
  /** Determines every weight (see init.ts). */
  seed: number;
  /**
   * false: the zero-cost reference's BN-free copy (synflow): conv-ReLU (conv still bias-free)
   * wherever the network has conv-BN-ReLU; see the file comment. Default true (NB101's network).
   */
  bn?: boolean;
}

/**
 * One conv-BN-ReLU (conv-ReLU in the BN-free variant): conv kxk, stride 1, pad (k-1)/2, no bias.
 * Its parameter names derive from `scope` (nb101ConvKernelName, nb101BatchNormNames); its ReLU
 * is named `scope`.
 */
export interface NB101ConvUnit {
  scope: string;
  kernel: number;
  inChannels: number;
  outChannels: number;
  vertex?: NB101VertexRef;
}

/** An interior vertex: input = Σ truncated interior predecessors (+ projection), then `op`. */
export interface NB101VertexLayout {
  vertex: number;
  channels: number;
  /** Interior predecessors in vertex order (each truncated to `channels`). */
  from: readonly number[];
  projection?: NB101ConvUnit;
  op: NB101ConvUnit | 'maxpool3x3';
  /** Feeds the output concatenation (in vertex order). */
  toOutput: boolean;
}

/** A module: its vertices in order; output = concat of the `toOutput` vertices (+ outputProjection). */
export interface NB101ModuleLayout {
  kind: 'module';
  stack: number;
  module: number;
  inChannels: number;
  outChannels: number;
  vertices: readonly NB101VertexLayout[];
  /** Projection of the module input added to the output (all of it when no vertex feeds the output). */
  outputProjection?: NB101ConvUnit;
}

/** Max-pool 2x2 stride 2 'same' between stacks. */
export interface NB101DownsampleLayout {
  kind: 'downsample';
}

/** The network's wiring as data: stem, body in order, then global average pool and dense. */
export interface NB101Layout {
  stem: NB101ConvUnit;
  body: readonly (NB101ModuleLayout | NB101DownsampleLayout)[];
  /** Input features of the dense layer (`dense/kernel` [denseIn, numClasses], `dense/bias`). */
  denseIn: number;
}

/** An NB101 network: the common cell-network interface plus the spec, options and vertex labels. */
export interface NB101Network extends CellNetwork {
  /** The pruned spec the network was built from. */
  readonly spec: ModelSpec;
  readonly options: Readonly<Required<NB101NetworkOptions>>;
  /** The wiring the network was built from (read-only; for functional re-implementations). */
  readonly layout: NB101Layout;
  /** Every trainable parameter in module order (TF's trainable_variables). */
  readonly params: readonly NB101NetworkParam[];
  readonly buffers: readonly NB101NetworkBuffer[];
}

export const NB101_DENSE_KERNEL = 'dense/kernel';
export const NB101_DENSE_BIAS = 'dense/bias';

/** The conv kernel's name of a conv unit. */
export function nb101ConvKernelName(scope: string): string {
  return `${scope}/conv2d/kernel`;
}

/** The BN parameter and buffer names of a conv unit (absent in the BN-free variant). */
export function nb101BatchNormNames(scope: string): { gamma: string; beta: string; movingMean: string; movingVariance: string } {
  const bn = `${scope}/batch_normalization`;
  return { gamma: `${bn}/gamma`, beta: `${bn}/beta`, movingMean: `${bn}/moving_mean`, movingVariance: `${bn}/moving_variance` };
}

function moduleLayout(plan: NB101ModulePlan, stack: number, module: number): NB101ModuleLayout {
  const scope = `stack${stack}/module${module}`;
  const vertices = plan.interior.map((v): NB101VertexLayout => {
    const vscope = `${scope}/vertex_${v.vertex}`;
    const projection: NB101ConvUnit | undefined = v.projectInput
      ? { scope: `${vscope}/projection`, kernel: 1, inChannels: plan.inChannels, outChannels: v.channels, vertex: { stack, module, vertex: v.vertex, role: 'projection' } }
      : undefined;
    const k = nb101KernelSize(v.op);
    const op: NB101VertexLayout['op'] =
      k > 0
        ? {
            scope: `${vscope}/${k === 3 ? 'Conv3x3-BN-ReLU' : 'Conv1x1-BN-ReLU'}`,
            kernel: k,
            inChannels: v.channels,
            outChannels: v.channels,
            vertex: { stack, module, vertex: v.vertex, role: 'op' },
          }
        : 'maxpool3x3';
    return { vertex: v.vertex, channels: v.channels, from: v.from, projection, op, toOutput: v.toOutput };
  });
  const outputProjection: NB101ConvUnit | undefined = plan.projectToOutput
    ? {
        // The original's scope: inside the output's add_in when something else feeds the output.
        scope: plan.interior.some((v) => v.toOutput) ? `${scope}/projection` : `${scope}/output/projection`,
        kernel: 1,
        inChannels: plan.inChannels,
        outChannels: plan.outChannels,
        vertex: { stack, module, vertex: plan.vertexChannels.length - 1, role: 'projection' },
      }
    : undefined;
  return { kind: 'module', stack, module, inChannels: plan.inChannels, outChannels: plan.outChannels, vertices, outputProjection };
}

/** The wiring of the network for a PRUNED spec (validateSpec first) and resolved sizes. */
export function nb101Layout(pruned: ModelSpec, sizes: { stemChannels: number; numStacks: number; cellsPerStack: number }): NB101Layout {
  const { stemChannels, numStacks, cellsPerStack } = sizes;
  const body: (NB101ModuleLayout | NB101DownsampleLayout)[] = [];
  let channels = stemChannels;
  // Spatial size does not affect the structure; 32 is a placeholder for nb101ModuleShapes.
  for (const shape of nb101ModuleShapes(stemChannels, numStacks, cellsPerStack, 32)) {
    if (shape.stack > 0 && shape.module === 0) body.push({ kind: 'downsample' });
    body.push(moduleLayout(planNB101Module(pruned, shape.inChannels, shape.outChannels), shape.stack, shape.module));
    channels = shape.outChannels;
  }
  if (cellsPerStack === 0) {
    // No modules: the pools still run between stacks; channels stay at the stem's.
    for (let s = 1; s < numStacks; s++) body.push({ kind: 'downsample' });
  }
  return { stem: { scope: 'stem', kernel: 3, inChannels: 3, outChannels: stemChannels }, body, denseIn: channels };
}

type Forward = (x: tf.Tensor4D, ctx: ApplyOptions) => tf.Tensor4D;

class Registry {
  readonly params: NB101NetworkParam[] = [];
  readonly buffers: NB101NetworkBuffer[] = [];
  readonly reluNames: string[] = [];
  constructor(
    private readonly seed: number,
    private readonly withBn: boolean,
  ) {}

  /** conv kxk (no bias, pad (k-1)/2 = TF 'same' for odd k, stride 1) + BN (unless BN-free) + ReLU. */
  convBnRelu(unit: NB101ConvUnit): Forward {
    const { scope, kernel: k, inChannels: inC, outChannels: outC, vertex } = unit;
    const kernelName = nb101ConvKernelName(scope);
    const weight = tf.variable(
      tf.tensor4d(initConvWeight(this.seed, kernelName, { kh: k, kw: k, inC, outC }), [k, k, inC, outC]),
      true,
    );
    this.params.push({ name: kernelName, kind: 'conv', vertex, variable: weight });
    let bn: BatchNormState | undefined;
    if (this.withBn) {
      const names = nb101BatchNormNames(scope);
      bn = {
        gamma: tf.variable(tf.ones([outC]), true) as tf.Variable<tf.Rank.R1>,
        beta: tf.variable(tf.zeros([outC]), true) as tf.Variable<tf.Rank.R1>,
        runningMean: tf.variable(tf.zeros([outC]), false) as tf.Variable<tf.Rank.R1>,
        runningVar: tf.variable(tf.ones([outC]), false) as tf.Variable<tf.Rank.R1>,
      };
      this.params.push({ name: names.gamma, kind: 'bn-gamma', vertex, variable: bn.gamma! });
      this.params.push({ name: names.beta, kind: 'bn-beta', vertex, variable: bn.beta! });
      this.buffers.push({ name: names.movingMean, kind: 'bn-running-mean', vertex, variable: bn.runningMean! });
      this.buffers.push({ name: names.movingVariance, kind: 'bn-running-var', vertex, variable: bn.runningVar! });
    }
    this.reluNames.push(scope);
    const pad = (k - 1) / 2;
    return (x, ctx) => {
      const y = conv2d(x, weight, 1, pad);
      return relu(bn ? batchNorm(y, bn, ctx.training, ctx.updateRunningStats ?? true) : y, scope, ctx.onReluInput);
    };
  }

  dense(inF: number, outF: number): { weight: tf.Variable<tf.Rank.R2>; bias: tf.Variable<tf.Rank.R1> } {
    const weight = tf.variable(tf.tensor2d(initLinearWeight(this.seed, NB101_DENSE_KERNEL, inF, outF), [inF, outF]), true);
    const bias = tf.variable(tf.tensor1d(initBias(this.seed, NB101_DENSE_BIAS, outF, inF)), true);
    this.params.push({ name: NB101_DENSE_KERNEL, kind: 'linear-weight', variable: weight });
    this.params.push({ name: NB101_DENSE_BIAS, kind: 'linear-bias', variable: bias });
    return { weight, bias };
  }
}

/** Keeps the first `channels` channels (the original's truncate; drops at most one). */
function truncate(x: tf.Tensor4D, channels: number): tf.Tensor4D {
  return x.shape[3] === channels ? x : tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, channels]);
}

/**
 * One module's data flow, the single place it is written: vertex v's input is the sum of its
 * interior predecessors truncated to v's width plus `project(v)` (the input projection, when
 * input -> v); its value is `op(v, summed)`; the output is the concatenation of the vertices
 * feeding it plus `outputProjection()` (the only term when none does). The stand-alone network
 * and the supernet (src/supernet/nb101-supernet.ts) differ only in the weights behind the callbacks.
 */
export function wireNB101Module<V extends { vertex: number; channels: number; from: readonly number[]; toOutput: boolean }>(
  input: tf.Tensor4D,
  vertices: readonly V[],
  project: (v: V) => tf.Tensor4D | undefined,
  op: (v: V, summed: tf.Tensor4D) => tf.Tensor4D,
  outputProjection: (() => tf.Tensor4D) | undefined,
): tf.Tensor4D {
  const values: tf.Tensor4D[] = [input];
  const concat: tf.Tensor4D[] = [];
  for (const v of vertices) {
    const addIn = v.from.map((s) => truncate(values[s]!, v.channels));
    const projected = project(v);
    if (projected) addIn.push(projected);
    const summed = addIn.length === 1 ? addIn[0]! : (tf.addN(addIn) as tf.Tensor4D);
    const value = op(v, summed);
    values[v.vertex] = value;
    if (v.toOutput) concat.push(value);
  }
  if (concat.length === 0) return outputProjection!();
  const out = concat.length === 1 ? concat[0]! : (tf.concat(concat, 3) as tf.Tensor4D);
  return outputProjection ? tf.add(out, outputProjection()) : out;
}

function buildModule(reg: Registry, layout: NB101ModuleLayout): Forward {
  // Built in the original's order: per vertex the projection (inside add_in) before the op, then
  // the output projection (parameter order = TF's trainable_variables).
  const vertexForwards = layout.vertices.map((v) => {
    const projection = v.projection ? reg.convBnRelu(v.projection) : undefined;
    const op: Forward = v.op === 'maxpool3x3' ? (x) => tf.maxPool(x, 3, 1, 'same') : reg.convBnRelu(v.op);
    return { ...v, forwardProjection: projection, forwardOp: op };
  });
  const outputProjection = layout.outputProjection ? reg.convBnRelu(layout.outputProjection) : undefined;

  return (input, ctx) =>
    wireNB101Module(
      input,
      vertexForwards,
      (v) => v.forwardProjection?.(input, ctx),
      (v, summed) => v.forwardOp(summed, ctx),
      outputProjection && (() => outputProjection(input, ctx)),
    );
}

function resolveOptions(opts: NB101NetworkOptions): Required<NB101NetworkOptions> {
  const resolved = { stemChannels: 128, numStacks: 3, cellsPerStack: 3, bn: true, ...opts };
  checkNB101Sizes(resolved.stemChannels, resolved.numStacks, resolved.cellsPerStack, resolved.numClasses);
  if (!Number.isSafeInteger(resolved.seed)) throw new RangeError(`seed must be a safe integer, got ${resolved.seed}`);
  if (typeof resolved.bn !== 'boolean') throw new RangeError(`bn must be a boolean, got ${String(resolved.bn)}`);
  return resolved;
}

/** Builds the NB101 network for one cell. Throws InvalidSpecError for a spec outside NB101. */
export function buildNB101Network(spec: ModelSpec, opts: NB101NetworkOptions): NB101Network {
  const pruned = validateSpec(spec);
  const options = resolveOptions(opts);
  const layout = nb101Layout(pruned, options);
  const reg = new Registry(options.seed, options.bn);

  const stem = reg.convBnRelu(layout.stem);
  const body: Forward[] = layout.body.map((step) =>
    step.kind === 'downsample' ? (x: tf.Tensor4D) => tf.maxPool(x, 2, 2, 'same') : buildModule(reg, step),
  );
  const dense = reg.dense(layout.denseIn, options.numClasses);

  const apply = (x: tf.Tensor4D, ctx: ApplyOptions): tf.Tensor2D => {
    if (x.rank !== 4 || x.shape[3] !== 3) {
      throw new RangeError(`input must be NHWC with 3 channels, got shape [${x.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      let h = stem(x, ctx);
      h = runModules(body, h, x, ctx);
      return linear(globalAvgPool(h), dense.weight, dense.bias);
    });
  };

  return {
    spec: pruned,
    options,
    layout,
    params: reg.params,
    buffers: reg.buffers,
    reluNames: reg.reluNames,
    apply,
    dispose: disposeOnce(reg),
  };
}
