/**
 * The NAS-Bench-201 cell network (the reference's TinyNetwork), built from six edge ops.
 *
 * Layout (C channels, N cells per stage), following xautodl's TinyNetwork / InferCell /
 * ResNetBasicblock and the zero-cost reference's NAS201Model:
 *   stem: conv3x3(3 -> C, pad 1) + BN
 *   N cells at C; reduction block C -> 2C; N cells at 2C; reduction block 2C -> 4C; N cells at 4C
 *   lastact: BN, ReLU; global average pool; linear 4C -> numClasses
 * Reduction block (ResNetBasicblock, stride 2):
 *   a = BN(conv3x3 s2 p1(ReLU(x))); b = BN(conv3x3 s1 p1(ReLU(a))); out = b + conv1x1(avgpool2x2 s2(x))
 *   The shortcut has no BN and no ReLU, and there is no ReLU after the sum (as in the reference;
 *   the parameter count test against the official params column confirms the missing BN).
 * Cell: node0 = input; node j = sum of op(node i) over its incoming edges i -> j; output = node 3.
 *   none = zeros; skip_connect = identity; avg_pool_3x3 = 3x3 s1 p1 count_include_pad=False;
 *   nor_conv_kxk = ReLU -> conv kxk (pad (k-1)/2) -> BN.
 *
 * Every op of the cell is built and run, `none` edges and ops on dead paths included: the
 * reference does the same, and it matters for proxies (a ReLU on a branch that ends in a `none`
 * edge still feeds NASWOT's K, its conv weights still count for synflow/snip).
 *
 * BN variants (`bn`), where BN sits in each:
 *   location                 standard        no-affine       none-in-cells
 *   stem                     affine+running  affine+running  absent
 *   cell conv ops            affine+running  plain (1)       absent
 *   reduction blocks         affine+running  affine+running  affine+running
 *   lastact (before pool)    affine+running  affine+running  absent (ReLU only)
 *   (1) no affine parameters and no running statistics (batch statistics in eval mode too): the
 *       zero-cost reference's cells (`affine=False, track_running_stats=False`).
 * Cell convs carry a bias exactly when their cell BN is not affine (`bias = not affine` in both
 * references' ReLUConvBN): none for 'standard', a bias for 'no-affine' and 'none-in-cells'.
 * 'standard' is NB201's own training network (its parameter count is the official `params`).
 *
 * `fair`: also put a BN (of the cell kind above) after every skip_connect and avg_pool_3x3 op, so
 * every parameterised-or-not op except `none` ends in a BN with its own gamma (the "fair" space of
 * Zhu et al.). `none` stays exactly zero: a BN on zeros would output beta, turning `none` into a
 * learnable constant and no longer "no edge". `fair` with 'none-in-cells' is a contradiction and
 * is rejected.
 *
 * Parameter names are the PyTorch state-dict names of the reference (`stem.0.weight`,
 * `cells.3.layers.2.op.1.weight`, `cells.5.conv_a.op.2.bias`, `lastact.0.weight`,
 * `classifier.weight`, ...; the fair BNs, which the reference lacks, are `cells.k.layers.e.bn.*`).
 * `cells.k` counts the reduction blocks as the reference's `cells` list does: cells 0..N-1,
 * reduction N, cells N+1..2N, reduction 2N+1, cells 2N+2..3N+1.
 */
import * as tf from '@tensorflow/tfjs';
import { disposeOnce, runModules, type CellNetwork } from './network.ts';
import { initBias, initConvWeight, initLinearWeight } from './init.ts';
import {
  addBias,
  avgPool2x2,
  avgPool3x3,
  batchNorm,
  conv2d,
  globalAvgPool,
  linear,
  relu,
  type BatchNormState,
  type ReluHook,
} from './layers.ts';
import { asNB201Cell, convKernelSize, isConvOp, NB201_EDGES, type NB201Cell, type NB201Op } from './nb201-cell.ts';

export type BnVariant = 'standard' | 'no-affine' | 'none-in-cells';

export type ParamKind = 'conv' | 'conv-bias' | 'linear-weight' | 'linear-bias' | 'bn-gamma' | 'bn-beta';

/** Which cell edge a parameter belongs to (`cell` is the index in the reference's `cells` list). */
export interface EdgeRef {
  cell: number;
  from: number;
  to: number;
  op: NB201Op;
}

export interface NetworkParam {
  /** PyTorch state-dict name of the reference model. */
  name: string;
  kind: ParamKind;
  /** Set for parameters inside a cell op. */
  edge?: EdgeRef;
  variable: tf.Variable;
}

/** BN running statistics: state, not trained, not counted as parameters. */
export interface NetworkBuffer {
  name: string;
  kind: 'bn-running-mean' | 'bn-running-var';
  edge?: EdgeRef;
  variable: tf.Variable;
}

export interface ApplyOptions {
  /** Train mode: BN uses batch statistics (PyTorch's model.train()). */
  training: boolean;
  /**
   * Called with the input of every ReLU module, once per module per forward, in execution order
   * (the order of `reluNames`). The tensor is owned by the forward pass and disposed when apply
   * returns: compute what you need inside the hook, or tf.keep it.
   */
  onReluInput?: ReluHook;
  /**
   * Dispose each module's activations once the next module has run (default false). Only for
   * forward passes whose gradient is not taken: a gradient needs those activations.
   */
  releaseIntermediates?: boolean;
  /** In train mode, move BN running statistics like PyTorch does (default true). */
  updateRunningStats?: boolean;
}

/** An NB201 network: the common cell-network interface plus the cell, options and edge labels. */
export interface Network extends CellNetwork {
  readonly cell: NB201Cell;
  readonly options: Readonly<Required<NB201NetworkOptions>>;
  /** Every trainable parameter, in module order; what PyTorch's `parameters()` would list. */
  readonly params: readonly NetworkParam[];
  readonly buffers: readonly NetworkBuffer[];
}

export interface NB201NetworkOptions {
  /** Channels of the first stage (16 in NB201). */
  C?: number;
  /** Cells per stage (5 in NB201). */
  N?: number;
  numClasses: number;
  bn?: BnVariant;
  fair?: boolean;
  /** Determines every weight (see init.ts). */
  seed: number;
}

/**
 * Forward function of one module inside the network. `ctx` may carry more than ApplyOptions (the
 * supernet's modules read its path / alpha from it).
 */
export type Forward = (x: tf.Tensor4D, ctx: ApplyOptions) => tf.Tensor4D;

export interface BnKind {
  affine: boolean;
  track: boolean;
}

export const AFFINE_BN: BnKind = { affine: true, track: true };
export const PLAIN_BN: BnKind = { affine: false, track: false };

/** Maps a parameter's name (and edge, inside a cell) to the key of its seeded init stream. */
export type InitKeyFn = (name: string, edge?: EdgeRef) => string;

/**
 * The stand-alone network's stream key: the name, plus the op for parameters inside a cell edge
 * (one edge slot can hold either conv; their weights should not share a stream).
 */
export const standaloneInitKey: InitKeyFn = (name, edge) => (edge ? `${name}|${edge.op}` : name);

/**
 * A variable holding `init`'s values. tf.variable shares the tensor's data and counts a reference
 * of its own, so the initial tensor is released here: kept, it would hold the weights in memory
 * after the network's dispose().
 */
function variableFrom<R extends tf.Rank>(init: tf.Tensor<R>, trainable: boolean): tf.Variable<R> {
  const variable = tf.variable(init, trainable);
  init.dispose();
  return variable;
}

/**
 * Collects variables and their descriptions while the network is built. `initKey` decides which
 * seeded stream a weight is drawn from; a builder that names parameters differently (the
 * supernet) passes one that maps its names back to the stand-alone network's keys, so that the
 * same op on the same edge gets the same initial weights in both.
 */
export class ParamRegistry {
  readonly params: NetworkParam[] = [];
  readonly buffers: NetworkBuffer[] = [];
  constructor(
    private readonly seed: number,
    private readonly initKey: InitKeyFn = standaloneInitKey,
  ) {}

  private key(name: string, edge?: EdgeRef): string {
    return this.initKey(name, edge);
  }

  conv(name: string, k: number, inC: number, outC: number, edge?: EdgeRef): tf.Variable<tf.Rank.R4> {
    const values = initConvWeight(this.seed, this.key(name, edge), { kh: k, kw: k, inC, outC });
    const variable = variableFrom(tf.tensor4d(values, [k, k, inC, outC]), true);
    this.params.push({ name, kind: 'conv', edge, variable });
    return variable;
  }

  convBias(name: string, outC: number, fanIn: number, edge?: EdgeRef): tf.Variable<tf.Rank.R1> {
    const variable = variableFrom(tf.tensor1d(initBias(this.seed, this.key(name, edge), outC, fanIn)), true);
    this.params.push({ name, kind: 'conv-bias', edge, variable });
    return variable;
  }

  linear(prefix: string, inF: number, outF: number): { weight: tf.Variable<tf.Rank.R2>; bias: tf.Variable<tf.Rank.R1> } {
    const weight = variableFrom(tf.tensor2d(initLinearWeight(this.seed, `${prefix}.weight`, inF, outF), [inF, outF]), true);
    const bias = variableFrom(tf.tensor1d(initBias(this.seed, `${prefix}.bias`, outF, inF)), true);
    this.params.push({ name: `${prefix}.weight`, kind: 'linear-weight', variable: weight });
    this.params.push({ name: `${prefix}.bias`, kind: 'linear-bias', variable: bias });
    return { weight, bias };
  }

  batchNorm(prefix: string, channels: number, kind: BnKind, edge?: EdgeRef): BatchNormState {
    const state: BatchNormState = {};
    if (kind.affine) {
      state.gamma = variableFrom(tf.ones([channels]) as tf.Tensor1D, true);
      state.beta = variableFrom(tf.zeros([channels]) as tf.Tensor1D, true);
      this.params.push({ name: `${prefix}.weight`, kind: 'bn-gamma', edge, variable: state.gamma });
      this.params.push({ name: `${prefix}.bias`, kind: 'bn-beta', edge, variable: state.beta });
    }
    if (kind.track) {
      state.runningMean = variableFrom(tf.zeros([channels]) as tf.Tensor1D, false);
      state.runningVar = variableFrom(tf.ones([channels]) as tf.Tensor1D, false);
      this.buffers.push({ name: `${prefix}.running_mean`, kind: 'bn-running-mean', edge, variable: state.runningMean });
      this.buffers.push({ name: `${prefix}.running_var`, kind: 'bn-running-var', edge, variable: state.runningVar });
    }
    return state;
  }
}

export function bnForward(state: BatchNormState): Forward {
  return (x, ctx) => batchNorm(x, state, ctx.training, ctx.updateRunningStats ?? true);
}

/**
 * ReLU -> conv(k, stride, pad (k-1)/2) [-> + bias] [-> BN], the reference's ReLUConvBN, with
 * PyTorch's Sequential indices: op.0 ReLU, op.1 conv, op.2 BN.
 */
export function reluConvBn(
  reg: ParamRegistry,
  reluNames: string[],
  prefix: string,
  spec: { k: number; stride: number; inC: number; outC: number; bias: boolean; bn: BnKind | null },
  edge?: EdgeRef,
): Forward {
  const { k, stride, inC, outC } = spec;
  const reluName = `${prefix}.op.0`;
  reluNames.push(reluName);
  const weight = reg.conv(`${prefix}.op.1.weight`, k, inC, outC, edge);
  const bias = spec.bias ? reg.convBias(`${prefix}.op.1.bias`, outC, inC * k * k, edge) : undefined;
  const bn = spec.bn ? bnForward(reg.batchNorm(`${prefix}.op.2`, outC, spec.bn, edge)) : undefined;
  const pad = (k - 1) / 2;
  return (x, ctx) => {
    let y = conv2d(relu(x, reluName, ctx.onReluInput), weight, stride, pad);
    if (bias) y = addBias(y, bias);
    return bn ? bn(y, ctx) : y;
  };
}

/** How the cells of one network are built (the same for every cell but its index and width). */
export interface CellBuildSpec {
  cellIndex: number;
  channels: number;
  convBn: BnKind | null;
  convBias: boolean;
  fairBn: BnKind | null;
}

/**
 * One op on one cell edge, its parameters registered under `prefix` (the stand-alone network's
 * `cells.k.layers.e`; the supernet's `cells.k.layers.e.<op>`).
 */
export function buildEdgeOp(reg: ParamRegistry, reluNames: string[], prefix: string, edge: EdgeRef, spec: CellBuildSpec): Forward {
  const { op } = edge;
  const C = spec.channels;
  if (isConvOp(op)) {
    return reluConvBn(
      reg,
      reluNames,
      prefix,
      { k: convKernelSize(op), stride: 1, inC: C, outC: C, bias: spec.convBias, bn: spec.convBn },
      edge,
    );
  }
  if (op === 'none') {
    // Exact zeros, whatever the input (also for non-finite inputs, unlike PyTorch's x.mul(0)).
    return (x) => tf.zerosLike(x);
  }
  const base: Forward = op === 'skip_connect' ? (x) => x : (x) => avgPool3x3(x);
  if (!spec.fairBn) return base;
  const fair = bnForward(reg.batchNorm(`${prefix}.bn`, C, spec.fairBn, edge));
  return (x, ctx) => fair(base(x, ctx), ctx);
}

/**
 * The cell's DAG: node0 = input, node j = sum over incoming edges i -> j of `edgeOutput(e, node
 * i)`, output node 3. Edges run in NB201_EDGES order (the reference's layer order).
 */
export function runCellDag(input: tf.Tensor4D, edgeOutput: (e: number, x: tf.Tensor4D) => tf.Tensor4D): tf.Tensor4D {
  const nodes: tf.Tensor4D[] = [input];
  for (let node = 1; node <= 3; node++) {
    const incoming: tf.Tensor4D[] = [];
    NB201_EDGES.forEach(({ from, to }, e) => {
      if (to === node) incoming.push(edgeOutput(e, nodes[from]!));
    });
    nodes.push(incoming.length === 1 ? incoming[0]! : tf.addN(incoming));
  }
  return nodes[3]!;
}

function buildCell(reg: ParamRegistry, reluNames: string[], cell: NB201Cell, spec: CellBuildSpec): Forward {
  const edgeForwards = NB201_EDGES.map(({ from, to }, e): Forward =>
    buildEdgeOp(reg, reluNames, `cells.${spec.cellIndex}.layers.${e}`, { cell: spec.cellIndex, from, to, op: cell[e]! }, spec),
  );
  return (input, ctx) => runCellDag(input, (e, x) => edgeForwards[e]!(x, ctx));
}

/** The reference's ResNetBasicblock with stride 2 (always affine BN with running statistics). */
export function buildReductionBlock(reg: ParamRegistry, reluNames: string[], cellIndex: number, inC: number, outC: number): Forward {
  const prefix = `cells.${cellIndex}`;
  const convA = reluConvBn(reg, reluNames, `${prefix}.conv_a`, { k: 3, stride: 2, inC, outC, bias: false, bn: AFFINE_BN });
  const convB = reluConvBn(reg, reluNames, `${prefix}.conv_b`, { k: 3, stride: 1, inC: outC, outC, bias: false, bn: AFFINE_BN });
  const shortcut = reg.conv(`${prefix}.downsample.1.weight`, 1, inC, outC);
  return (x, ctx) => {
    const branch = convB(convA(x, ctx), ctx);
    const residual = conv2d(avgPool2x2(x), shortcut, 1, 0);
    return tf.add(residual, branch);
  };
}

export function resolveOptions(opts: NB201NetworkOptions): Required<NB201NetworkOptions> {
  const resolved = { C: 16, N: 5, bn: 'standard' as BnVariant, fair: false, ...opts };
  const { C, N, numClasses, bn, fair, seed } = resolved;
  if (!Number.isInteger(C) || C < 1) throw new RangeError(`C must be a positive integer, got ${C}`);
  if (!Number.isInteger(N) || N < 0) throw new RangeError(`N must be a non-negative integer, got ${N}`);
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`);
  }
  if (!['standard', 'no-affine', 'none-in-cells'].includes(bn)) throw new RangeError(`unknown BN variant '${bn}'`);
  if (fair && bn === 'none-in-cells') {
    throw new RangeError("fair (a BN after every op) contradicts bn 'none-in-cells' (no BN in the cells)");
  }
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  return resolved;
}

/** The network's forward pass over the modules `buildTinyNetwork` registered. */
export type TinyNetworkApply = (x: tf.Tensor4D, ctx: ApplyOptions) => tf.Tensor2D;

/**
 * The TinyNetwork macro-structure around the cells (stem, 3 stages of N cells, 2 reduction
 * blocks, lastact, classifier), registering every parameter in the reference's module order.
 * `buildCellAt` builds one cell; the stand-alone network and the supernet differ only there.
 */
export function buildTinyNetwork(
  reg: ParamRegistry,
  reluNames: string[],
  options: Required<NB201NetworkOptions>,
  buildCellAt: (spec: CellBuildSpec) => Forward,
): TinyNetworkApply {
  const { C, N, numClasses, bn, fair } = options;
  const cellBn: BnKind | null = bn === 'standard' ? AFFINE_BN : bn === 'no-affine' ? PLAIN_BN : null;
  const outerBn: BnKind | null = bn === 'none-in-cells' ? null : AFFINE_BN;

  const stemWeight = reg.conv('stem.0.weight', 3, 3, C);
  const stemBn = outerBn ? bnForward(reg.batchNorm('stem.1', C, outerBn)) : undefined;

  const body: Forward[] = [];
  let cellIndex = 0;
  let channels = C;
  for (let stage = 0; stage < 3; stage++) {
    if (stage > 0) {
      body.push(buildReductionBlock(reg, reluNames, cellIndex++, channels, channels * 2));
      channels *= 2;
    }
    for (let i = 0; i < N; i++) {
      body.push(
        buildCellAt({
          cellIndex: cellIndex++,
          channels,
          convBn: cellBn,
          convBias: cellBn === null || !cellBn.affine,
          fairBn: fair ? cellBn : null,
        }),
      );
    }
  }

  const lastBn = outerBn ? bnForward(reg.batchNorm('lastact.0', channels, outerBn)) : undefined;
  const lastReluName = 'lastact.1';
  reluNames.push(lastReluName);
  const classifier = reg.linear('classifier', channels, numClasses);

  return (x, ctx) => {
    if (x.rank !== 4 || x.shape[3] !== 3) {
      throw new RangeError(`input must be NHWC with 3 channels, got shape [${x.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      let h = conv2d(x, stemWeight, 1, 1);
      if (stemBn) h = stemBn(h, ctx);
      h = runModules(body, h, x, ctx);
      if (lastBn) h = lastBn(h, ctx);
      h = relu(h, lastReluName, ctx.onReluInput);
      return linear(globalAvgPool(h), classifier.weight, classifier.bias);
    });
  };
}

/** Builds the NB201 network for one cell (six ops in arch-string edge order). */
export function buildNB201Network(cellOps: readonly string[], opts: NB201NetworkOptions): Network {
  const cell = asNB201Cell(cellOps);
  const options = resolveOptions(opts);
  const reg = new ParamRegistry(options.seed);
  const reluNames: string[] = [];
  const apply = buildTinyNetwork(reg, reluNames, options, (spec) => buildCell(reg, reluNames, cell, spec));

  return {
    cell,
    options,
    params: reg.params,
    buffers: reg.buffers,
    reluNames,
    apply,
    dispose: disposeOnce(reg),
  };
}
