/**
 * The NB101 one-shot supernet (issue 5: "NB101's equivalent where the space allows it"), with
 * weights shared by CHANNEL SLICING, and its space adapter for the trainer.
 *
 * NB101 has no supernet of its own, and its cells do not share shapes the way NB201's do: a
 * vertex's width is not fixed but follows from the graph (the module's C output channels are
 * split over the vertices feeding the output, the rest take their successors' widths; see
 * nb101-cost.ts), and the ops sit on vertices, not edges. Our construction:
 *   - the macro-structure is NB101's (stem conv3x3-BN-ReLU, `numStacks` stacks of
 *     `cellsPerStack` modules, max-pool 2x2 and channel doubling between stacks, global average
 *     pool, dense), as nb101-network.ts builds it;
 *   - every module has 5 vertex POSITIONS (1..5, the interior vertices of a 7-vertex cell); each
 *     position holds all three ops with their own parameters at the module's FULL width C:
 *     conv3x3 [3,3,C,C] + BN(C), conv1x1 [1,1,C,C] + BN(C), max-pool (no parameters; in the
 *     fair space followed by a BN(C) of its own), plus the 1x1 projection of the module input to
 *     that position [1,1,Cin,C] + BN(C); and the module has one input->output projection;
 *   - a path is a PRUNED NB101 spec; its interior vertex i sits at position i. For a module,
 *     planNB101Module gives each vertex its width c_i <= C, and the vertex's op uses the FIRST
 *     c_i channels of its position's weights and BN (conv kernel [:, :, :c_i, :c_i], projection
 *     [:, :, :, :c_i], γ/β [:c_i]) - the slimmable / once-for-all way of sharing weights across
 *     widths. So a path computes exactly the stand-alone NB101 network's wiring (truncation, sums,
 *     concatenation, projections), with weights taken from the shared tensors.
 * Differences from a stand-alone network (documented approximations):
 *   - Initialisation: each shared tensor is drawn once at full width (PyTorch default bound from
 *     the full fan-in), so a path's slice is not what buildNB101Network would draw for that cell;
 *     every conv is followed by BN, so the scale of the draw does not reach the activations.
 *   - BN has no running statistics: every forward the experiments make is in train mode (SPOS
 *     training, and the indicators read γ or run train-mode passes), so there is nothing to
 *     track, and sliced running buffers would need a partial update per step. An eval-mode
 *     forward is refused rather than silently run on batch statistics.
 *   - Positions are the PRUNED spec's vertex indices: two cells share a position's weights when
 *     their pruned graphs put an op at the same index, which is the simplest sharing rule that
 *     needs no graph matching. Modules do not share with each other (as NB201's cells do not).
 *
 * Candidate ops (what BN-only training trains and BN-NAS scores): the two conv ops at each
 * position, plus, in the fair space, the max-pool's BN. The projections and the stem are part of
 * the fixed network (trained only in standard mode), like NB201's reduction blocks: they are not
 * a choice between ops.
 */
import * as tf from '@tensorflow/tfjs';
import { initBias, initConvWeight, initLinearWeight } from '../models/init.ts';
import { BN_EPS, batchNormTrainFused, conv2d, globalAvgPool, linear, relu } from '../models/layers.ts';
import { checkNB101Sizes, nb101ModuleShapes, planNB101Module, type NB101ModulePlan } from '../models/nb101-cost.ts';
import type { ApplyOptions, ParamKind } from '../models/nb201-network.ts';
import { wireNB101Module } from '../models/nb101-network.ts';
import { disposeOnce, runModules, type ModuleForward } from '../models/network.ts';
import { validateSpec, type ModelSpec, type NB101Op } from '../spaces/nb101.ts';
import { sampleNB101Path } from './nb101-sampling.ts';
import type { SupernetKind, SupernetParam, SupernetSpace } from './supernet-space.ts';

/** Vertex positions of a module: the interior of a 7-vertex cell. */
export const NB101_POSITIONS = 5;

export interface NB101SupernetOptions {
  /** Marks the options as NB101's in a checkpoint's identity. */
  space?: 'nb101';
  stemChannels: number;
  numStacks?: number;
  cellsPerStack: number;
  numClasses: number;
  seed: number;
  /** A BN after the max-pool too, so every op has a γ (Zhu et al.'s fair space). */
  fair?: boolean;
}

/** Where a parameter sits: a module, a position (1..5, or 'output'), and an op or the projection. */
export interface NB101Slot {
  /** Module number in build order (stack * cellsPerStack + module). */
  module: number;
  position: number | 'output';
  op: NB101Op | 'projection';
}

export interface NB101SupernetParam extends SupernetParam {
  /** Set for everything inside a module (ops and projections). */
  slot?: NB101Slot;
}

export interface NB101Supernet {
  readonly options: Readonly<Required<NB101SupernetOptions>>;
  readonly params: readonly NB101SupernetParam[];
  readonly buffers: readonly { name: string; variable: tf.Variable }[];
  /** Module shapes in build order (for the indicators' per-module vertex widths). */
  readonly modules: readonly { inChannels: number; outChannels: number }[];
  /** Single-path forward of a (valid) NB101 spec; train mode only (see the file comment). */
  apply(x: tf.Tensor4D, opts: ApplyOptions & { path: ModelSpec }): tf.Tensor2D;
  dispose(): void;
}

const OP_SCOPE: Record<NB101Op, string> = { 'conv3x3-bn-relu': 'Conv3x3-BN-ReLU', 'conv1x1-bn-relu': 'Conv1x1-BN-ReLU', maxpool3x3: 'MaxPool3x3' };

/** A BN's γ/β at full width, used through their first c channels. */
interface SharedBn {
  gamma: tf.Variable<tf.Rank.R1>;
  beta: tf.Variable<tf.Rank.R1>;
}

/** The first `c` entries of a shared vector / the leading block of a shared kernel (no copy at full size). */
function head1(v: tf.Tensor1D, c: number): tf.Tensor1D {
  return v.shape[0] === c ? v : tf.slice(v, [0], [c]);
}
function block(w: tf.Tensor4D, inC: number, outC: number): tf.Tensor4D {
  const [kh, kw, fullIn, fullOut] = w.shape;
  return fullIn === inC && fullOut === outC ? w : tf.slice(w, [0, 0, 0, 0], [kh, kw, inC, outC]);
}

class Registry {
  readonly params: NB101SupernetParam[] = [];
  constructor(private readonly seed: number) {}

  conv(name: string, k: number, inC: number, outC: number, slot?: NB101Slot): tf.Variable<tf.Rank.R4> {
    const v = tf.variable(tf.tensor4d(initConvWeight(this.seed, name, { kh: k, kw: k, inC, outC }), [k, k, inC, outC]), true);
    this.params.push({ name, kind: 'conv', slot, variable: v });
    return v as tf.Variable<tf.Rank.R4>;
  }

  bn(scope: string, c: number, slot?: NB101Slot): SharedBn {
    const gamma = tf.variable(tf.ones([c]), true) as tf.Variable<tf.Rank.R1>;
    const beta = tf.variable(tf.zeros([c]), true) as tf.Variable<tf.Rank.R1>;
    this.params.push({ name: `${scope}/batch_normalization/gamma`, kind: 'bn-gamma', slot, variable: gamma });
    this.params.push({ name: `${scope}/batch_normalization/beta`, kind: 'bn-beta', slot, variable: beta });
    return { gamma, beta };
  }

  push(name: string, kind: ParamKind, variable: tf.Variable): void {
    this.params.push({ name, kind, variable });
  }
}

/** conv (sliced) -> BN (sliced, batch statistics) -> ReLU, the vertex op / projection unit. */
interface ConvUnit {
  scope: string;
  kernel: tf.Variable<tf.Rank.R4>;
  bn: SharedBn;
}

function runConvUnit(u: ConvUnit, x: tf.Tensor4D, inC: number, outC: number, ctx: ApplyOptions): tf.Tensor4D {
  const k = u.kernel.shape[0];
  const y = conv2d(x, block(u.kernel, inC, outC), 1, (k - 1) / 2);
  const normed = batchNormTrainFused(y, BN_EPS, head1(u.bn.gamma, outC), head1(u.bn.beta, outC));
  return relu(normed, u.scope, ctx.onReluInput);
}

interface ModuleSlots {
  index: number;
  inC: number;
  outC: number;
  /** [position 1..5] -> the three ops (max-pool: its fair BN or null). */
  ops: { conv3: ConvUnit; conv1: ConvUnit; poolBn: SharedBn | null }[];
  projections: ConvUnit[];
  outputProjection: ConvUnit;
}

function buildModuleSlots(reg: Registry, index: number, scope: string, inC: number, outC: number, fair: boolean): ModuleSlots {
  const ops: ModuleSlots['ops'] = [];
  const projections: ConvUnit[] = [];
  for (let p = 1; p <= NB101_POSITIONS; p++) {
    const vscope = `${scope}/vertex_${p}`;
    const unit = (op: NB101Op | 'projection', k: number, cin: number): ConvUnit => {
      const s = op === 'projection' ? `${vscope}/projection` : `${vscope}/${OP_SCOPE[op]}`;
      const slot: NB101Slot = { module: index, position: p, op };
      return { scope: s, kernel: reg.conv(`${s}/conv2d/kernel`, k, cin, outC, slot), bn: reg.bn(s, outC, slot) };
    };
    // Build order per position: projection, then the ops (the stand-alone network's order).
    projections[p] = unit('projection', 1, inC);
    const conv3 = unit('conv3x3-bn-relu', 3, outC);
    const conv1 = unit('conv1x1-bn-relu', 1, outC);
    const poolBn = fair ? reg.bn(`${vscope}/${OP_SCOPE.maxpool3x3}`, outC, { module: index, position: p, op: 'maxpool3x3' }) : null;
    ops[p] = { conv3, conv1, poolBn };
  }
  const os = `${scope}/output/projection`;
  const oslot: NB101Slot = { module: index, position: 'output', op: 'projection' };
  const outputProjection = { scope: os, kernel: reg.conv(`${os}/conv2d/kernel`, 1, inC, outC, oslot), bn: reg.bn(os, outC, oslot) };
  return { index, inC, outC, ops, projections, outputProjection };
}

function runModule(m: ModuleSlots, plan: NB101ModulePlan, input: tf.Tensor4D, ctx: ApplyOptions): tf.Tensor4D {
  return wireNB101Module(
    input,
    plan.interior,
    (v) => (v.projectInput ? runConvUnit(m.projections[v.vertex]!, input, m.inC, v.channels, ctx) : undefined),
    (v, summed) => {
      const slots = m.ops[v.vertex]!;
      if (v.op !== 'maxpool3x3') return runConvUnit(v.op === 'conv3x3-bn-relu' ? slots.conv3 : slots.conv1, summed, v.channels, v.channels, ctx);
      const pooled = tf.maxPool(summed, 3, 1, 'same');
      return slots.poolBn ? batchNormTrainFused(pooled, BN_EPS, head1(slots.poolBn.gamma, v.channels), head1(slots.poolBn.beta, v.channels)) : pooled;
    },
    plan.projectToOutput ? () => runConvUnit(m.outputProjection, input, m.inC, m.outC, ctx) : undefined,
  );
}

function resolveOptions(opts: NB101SupernetOptions): Required<NB101SupernetOptions> {
  const o = { space: 'nb101' as const, numStacks: 3, fair: false, ...opts };
  checkNB101Sizes(o.stemChannels, o.numStacks, o.cellsPerStack, o.numClasses);
  if (o.cellsPerStack < 1) throw new RangeError(`an NB101 supernet needs at least one module per stack, got cellsPerStack ${o.cellsPerStack}`);
  if (!Number.isSafeInteger(o.seed)) throw new RangeError(`seed must be a safe integer, got ${o.seed}`);
  return o;
}

export function buildNB101Supernet(opts: NB101SupernetOptions): NB101Supernet {
  const options = resolveOptions(opts);
  const reg = new Registry(options.seed);
  const S = options.stemChannels;
  const stem: ConvUnit = { scope: 'stem', kernel: reg.conv('stem/conv2d/kernel', 3, 3, S), bn: reg.bn('stem', S) };
  const shapes = nb101ModuleShapes(S, options.numStacks, options.cellsPerStack, 32);
  const modules = shapes.map((s, i) => ({ shape: s, slots: buildModuleSlots(reg, i, `stack${s.stack}/module${s.module}`, s.inChannels, s.outChannels, options.fair) }));
  const denseIn = shapes[shapes.length - 1]!.outChannels;
  const denseW = tf.variable(tf.tensor2d(initLinearWeight(options.seed, 'dense/kernel', denseIn, options.numClasses), [denseIn, options.numClasses]), true);
  const denseB = tf.variable(tf.tensor1d(initBias(options.seed, 'dense/bias', options.numClasses, denseIn)), true);
  reg.push('dense/kernel', 'linear-weight', denseW);
  reg.push('dense/bias', 'linear-bias', denseB);

  const apply = (x: tf.Tensor4D, ctx: ApplyOptions & { path: ModelSpec }): tf.Tensor2D => {
    if (!ctx.training) throw new RangeError('the NB101 supernet has no BN running statistics: run it in train mode (training: true)');
    if (x.rank !== 4 || x.shape[3] !== 3) throw new RangeError(`input must be NHWC with 3 channels, got shape [${x.shape.join(', ')}]`);
    const pruned = validateSpec(ctx.path);
    const plans = modules.map((m) => planNB101Module(pruned, m.slots.inC, m.slots.outC));
    return tf.tidy(() => {
      const h0 = runConvUnit(stem, x, 3, S, ctx);
      const body: ModuleForward[] = [];
      modules.forEach((m, i) => {
        if (m.shape.stack > 0 && m.shape.module === 0) body.push((h) => tf.maxPool(h, 2, 2, 'same'));
        body.push((h, c) => runModule(m.slots, plans[i]!, h, c));
      });
      const h = runModules(body, h0, x, ctx);
      return linear(globalAvgPool(h), denseW, denseB);
    });
  };

  return {
    options,
    params: reg.params,
    buffers: [],
    modules: shapes.map((s) => ({ inChannels: s.inChannels, outChannels: s.outChannels })),
    apply,
    dispose: disposeOnce({ params: reg.params, buffers: [] }),
  };
}

/** Whether the path's (pruned) spec uses a slotted parameter (see the file comment). */
export function slotOnPath(slot: NB101Slot, pruned: ModelSpec): boolean {
  const n = pruned.matrix.length;
  if (slot.position === 'output') return pruned.matrix[0]![n - 1] === 1;
  const v = slot.position;
  if (v > n - 2) return false;
  return slot.op === 'projection' ? pruned.matrix[0]![v] === 1 : pruned.ops[v] === slot.op;
}

/**
 * The NB101 supernet's space for the trainer: paths from the NB101 API's random sampler
 * (nb101-sampling.ts); candidate-op parameters are the slotted ones that are not projections.
 */
export const NB101_SUPERNET_SPACE: SupernetSpace<ModelSpec> = Object.freeze({
  name: 'nb101',
  samplePath: sampleNB101Path,
  isOpParam: (p: SupernetParam) => {
    const slot = (p as NB101SupernetParam).slot;
    return slot !== undefined && slot.op !== 'projection';
  },
  // Sampled paths are pruned already; validateSpec is the identity on them.
  onPath: (p: SupernetParam, path: ModelSpec) => {
    const slot = (p as NB101SupernetParam).slot;
    return slot === undefined || slotOnPath(slot, path);
  },
});

export const NB101_SUPERNET: SupernetKind<ModelSpec, NB101Supernet, NB101SupernetOptions> = Object.freeze({
  space: NB101_SUPERNET_SPACE,
  build: buildNB101Supernet,
});

/** The γ/β of the candidate-op BNs the path uses (what BN-only training moves on this path). */
export function nb101PathBnParams(supernet: NB101Supernet, path: ModelSpec): NB101SupernetParam[] {
  return supernet.params.filter(
    (p) => (p.kind === 'bn-gamma' || p.kind === 'bn-beta') && NB101_SUPERNET_SPACE.isOpParam(p) && slotOnPath(p.slot!, path),
  );
}
