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
import { runModules, type CellNetwork } from './network.ts';

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
}

/** An NB101 network: the common cell-network interface plus the spec, options and vertex labels. */
export interface NB101Network extends CellNetwork {
  /** The pruned spec the network was built from. */
  readonly spec: ModelSpec;
  readonly options: Readonly<Required<NB101NetworkOptions>>;
  /** Every trainable parameter in module order (TF's trainable_variables). */
  readonly params: readonly NB101NetworkParam[];
  readonly buffers: readonly NB101NetworkBuffer[];
}

type Forward = (x: tf.Tensor4D, ctx: ApplyOptions) => tf.Tensor4D;

class Registry {
  readonly params: NB101NetworkParam[] = [];
  readonly buffers: NB101NetworkBuffer[] = [];
  readonly reluNames: string[] = [];
  constructor(private readonly seed: number) {}

  /** conv kxk (no bias, pad (k-1)/2 = TF 'same' for odd k, stride 1) + BN + ReLU. */
  convBnRelu(scope: string, k: number, inC: number, outC: number, vertex?: NB101VertexRef): Forward {
    const kernelName = `${scope}/conv2d/kernel`;
    const weight = tf.variable(
      tf.tensor4d(initConvWeight(this.seed, kernelName, { kh: k, kw: k, inC, outC }), [k, k, inC, outC]),
      true,
    );
    this.params.push({ name: kernelName, kind: 'conv', vertex, variable: weight });
    const bnScope = `${scope}/batch_normalization`;
    const bn: BatchNormState = {
      gamma: tf.variable(tf.ones([outC]), true) as tf.Variable<tf.Rank.R1>,
      beta: tf.variable(tf.zeros([outC]), true) as tf.Variable<tf.Rank.R1>,
      runningMean: tf.variable(tf.zeros([outC]), false) as tf.Variable<tf.Rank.R1>,
      runningVar: tf.variable(tf.ones([outC]), false) as tf.Variable<tf.Rank.R1>,
    };
    this.params.push({ name: `${bnScope}/gamma`, kind: 'bn-gamma', vertex, variable: bn.gamma! });
    this.params.push({ name: `${bnScope}/beta`, kind: 'bn-beta', vertex, variable: bn.beta! });
    this.buffers.push({ name: `${bnScope}/moving_mean`, kind: 'bn-running-mean', vertex, variable: bn.runningMean! });
    this.buffers.push({ name: `${bnScope}/moving_variance`, kind: 'bn-running-var', vertex, variable: bn.runningVar! });
    this.reluNames.push(scope);
    const pad = (k - 1) / 2;
    return (x, ctx) => {
      const y = batchNorm(conv2d(x, weight, 1, pad), bn, ctx.training, ctx.updateRunningStats ?? true);
      return relu(y, scope, ctx.onReluInput);
    };
  }

  dense(inF: number, outF: number): { weight: tf.Variable<tf.Rank.R2>; bias: tf.Variable<tf.Rank.R1> } {
    const weight = tf.variable(tf.tensor2d(initLinearWeight(this.seed, 'dense/kernel', inF, outF), [inF, outF]), true);
    const bias = tf.variable(tf.tensor1d(initBias(this.seed, 'dense/bias', outF, inF)), true);
    this.params.push({ name: 'dense/kernel', kind: 'linear-weight', variable: weight });
    this.params.push({ name: 'dense/bias', kind: 'linear-bias', variable: bias });
    return { weight, bias };
  }
}

/** Keeps the first `channels` channels (the original's truncate; drops at most one). */
function truncate(x: tf.Tensor4D, channels: number): tf.Tensor4D {
  return x.shape[3] === channels ? x : tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, channels]);
}

function buildModule(reg: Registry, plan: NB101ModulePlan, stack: number, module: number): Forward {
  const scope = `stack${stack}/module${module}`;
  const outVertex = plan.vertexChannels.length - 1;
  const vertexForwards = plan.interior.map((v) => {
    const vscope = `${scope}/vertex_${v.vertex}`;
    // Built in the original's order: the projection (inside add_in) before the op.
    const projection = v.projectInput
      ? reg.convBnRelu(`${vscope}/projection`, 1, plan.inChannels, v.channels, { stack, module, vertex: v.vertex, role: 'projection' })
      : undefined;
    const k = nb101KernelSize(v.op);
    const op: Forward =
      k > 0
        ? reg.convBnRelu(`${vscope}/${k === 3 ? 'Conv3x3-BN-ReLU' : 'Conv1x1-BN-ReLU'}`, k, v.channels, v.channels, {
            stack,
            module,
            vertex: v.vertex,
            role: 'op',
          })
        : (x) => tf.maxPool(x, 3, 1, 'same');
    return { plan: v, projection, op };
  });
  const outputProjection = plan.projectToOutput
    ? reg.convBnRelu(
        plan.interior.some((v) => v.toOutput) ? `${scope}/projection` : `${scope}/output/projection`,
        1,
        plan.inChannels,
        plan.outChannels,
        { stack, module, vertex: outVertex, role: 'projection' },
      )
    : undefined;

  return (input, ctx) => {
    const values: tf.Tensor4D[] = [input];
    const concat: tf.Tensor4D[] = [];
    for (const { plan: v, projection, op } of vertexForwards) {
      const addIn = v.from.map((s) => truncate(values[s]!, v.channels));
      if (projection) addIn.push(projection(input, ctx));
      const summed = addIn.length === 1 ? addIn[0]! : (tf.addN(addIn) as tf.Tensor4D);
      const value = op(summed, ctx);
      values[v.vertex] = value;
      if (v.toOutput) concat.push(value);
    }
    if (concat.length === 0) return outputProjection!(input, ctx);
    const out = concat.length === 1 ? concat[0]! : (tf.concat(concat, 3) as tf.Tensor4D);
    return outputProjection ? tf.add(out, outputProjection(input, ctx)) : out;
  };
}

function resolveOptions(opts: NB101NetworkOptions): Required<NB101NetworkOptions> {
  const resolved = { stemChannels: 128, numStacks: 3, cellsPerStack: 3, ...opts };
  checkNB101Sizes(resolved.stemChannels, resolved.numStacks, resolved.cellsPerStack, resolved.numClasses);
  if (!Number.isSafeInteger(resolved.seed)) throw new RangeError(`seed must be a safe integer, got ${resolved.seed}`);
  return resolved;
}

/** Builds the NB101 network for one cell. Throws InvalidSpecError for a spec outside NB101. */
export function buildNB101Network(spec: ModelSpec, opts: NB101NetworkOptions): NB101Network {
  const pruned = validateSpec(spec);
  const options = resolveOptions(opts);
  const { stemChannels, numStacks, cellsPerStack, numClasses } = options;
  const reg = new Registry(options.seed);

  const stem = reg.convBnRelu('stem', 3, 3, stemChannels);
  const body: Forward[] = [];
  let channels = stemChannels;
  // Spatial size does not affect the structure; 32 is a placeholder for nb101ModuleShapes.
  for (const shape of nb101ModuleShapes(stemChannels, numStacks, cellsPerStack, 32)) {
    if (shape.stack > 0 && shape.module === 0) body.push((x) => tf.maxPool(x, 2, 2, 'same'));
    body.push(buildModule(reg, planNB101Module(pruned, shape.inChannels, shape.outChannels), shape.stack, shape.module));
    channels = shape.outChannels;
  }
  if (cellsPerStack === 0) {
    // No modules: the pools still run between stacks; channels stay at the stem's.
    for (let s = 1; s < numStacks; s++) body.push((x) => tf.maxPool(x, 2, 2, 'same'));
  }
  const dense = reg.dense(channels, numClasses);

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

  let disposed = false;
  return {
    spec: pruned,
    options,
    params: reg.params,
    buffers: reg.buffers,
    reluNames: reg.reluNames,
    apply,
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const p of reg.params) p.variable.dispose();
      for (const b of reg.buffers) b.variable.dispose();
    },
  };
}
