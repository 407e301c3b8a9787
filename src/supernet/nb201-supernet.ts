/**
 * The NB201 one-shot supernet: the TinyNetwork macro-structure of nb201-network.ts (stem, 3
 * stages of N cells, 2 reduction blocks, lastact, classifier), but every one of the 6 edges of
 * every cell holds ALL 5 ops (none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3),
 * each with its own parameters.
 *
 * Two ways to run it:
 * - single path (`path`, six ops): each edge runs only its chosen op, the same six ops in every
 *   cell as in an NB201 genotype, so gradients reach only those ops' parameters (one-shot NAS,
 *   BN-NAS);
 * - mixed (`alpha`, a [6, 5] tensor in NB201_OPS order): edge e outputs Σ_o alpha[e][o] · op_o(x)
 *   with every op run (DARTS; FreeDARTS differentiates R w.r.t. alpha). An optional `active` mask
 *   drops ops from the mix altogether (a pruned op is not run at all, rather than run and
 *   multiplied by 0: 0 · Inf would be NaN).
 *
 * Parameter names insert the op after the edge, e.g. `cells.3.layers.2.nor_conv_3x3.op.1.weight`
 * and (fair BN) `cells.3.layers.2.skip_connect.bn.weight`; everything outside the cells is named
 * as in the stand-alone network. Each op's weights are drawn from the SAME seeded stream as the
 * stand-alone network's op on that edge (key `cells.3.layers.2.op.1.weight|nor_conv_3x3`), so at
 * initialisation the supernet's single path `cell` computes exactly buildNB201Network(cell) with
 * the same options: a path's subnet inherits its stand-alone initialisation, and any difference
 * after training is due to the training, not to the draw.
 *
 * `none` is exact zeros and has no parameters; with `fair`, skip and pool are followed by a BN of
 * the cell kind, as in nb201-network.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { asNB201Cell, NB201_EDGES, NB201_OPS, type NB201Op } from '../models/nb201-cell.ts';
import { disposeOnce } from '../models/network.ts';
import type { SupernetKind, SupernetParam, SupernetSpace } from './supernet-space.ts';
import { samplePath } from './train-sampling.ts';
import {
  buildEdgeOp,
  buildTinyNetwork,
  ParamRegistry,
  resolveOptions,
  runCellDag,
  standaloneInitKey,
  type ApplyOptions,
  type CellBuildSpec,
  type EdgeRef,
  type Forward,
  type NetworkBuffer,
  type NB201NetworkOptions,
  type NetworkParam,
} from '../models/nb201-network.ts';

/** The same options as the stand-alone network's (the same seed gives the same op weights). */
export type SupernetOptions = NB201NetworkOptions;

/** Which ops take part in the mix: [6][5] booleans in NB201_OPS order (true = in the mix). */
export type OpMask = readonly (readonly boolean[])[];

export interface SupernetApplyOptions extends ApplyOptions {
  /** Single-path forward: one op per edge (the same six ops in every cell, as NB201 genotypes). */
  path?: readonly NB201Op[];
  /** Mixed forward (DARTS): edge e's output = Σ_o alpha[e][o] · op_o(x). A [6, 5] tensor in NB201_OPS order. Used when `path` is absent. */
  alpha?: tf.Tensor2D;
  /**
   * Mixed forward only: ops masked false are left out of the sum (not run). Every edge must keep
   * at least one op. Default: all ops in.
   */
  active?: OpMask;
}

export interface NB201Supernet {
  readonly options: Readonly<Required<SupernetOptions>>;
  /** Every trainable parameter; those inside a cell op carry `edge` (cell, from, to, op). */
  readonly params: readonly NetworkParam[];
  readonly buffers: readonly NetworkBuffer[];
  apply(x: tf.Tensor4D, opts: SupernetApplyOptions): tf.Tensor2D;
  dispose(): void;
}

const NUM_EDGES = NB201_EDGES.length;
const NUM_OPS = NB201_OPS.length;

/** Name of a supernet parameter: the stand-alone name with the op inserted after the edge. */
function supernetOpPrefix(cellIndex: number, edgeIndex: number, op: NB201Op): string {
  return `cells.${cellIndex}.layers.${edgeIndex}.${op}`;
}

/**
 * The supernet's init key: strip the `.<op>` segment from a cell op's name, then key it as the
 * stand-alone network does. Parameters outside the cells keep their names and so their keys.
 */
function supernetInitKey(name: string, edge?: EdgeRef): string {
  if (!edge) return standaloneInitKey(name);
  const segment = `.${edge.op}.`;
  const at = name.indexOf(segment);
  if (at < 0) throw new RangeError(`supernet parameter '${name}' lacks its op segment '${segment}'`);
  return standaloneInitKey(name.slice(0, at) + name.slice(at + segment.length - 1), edge);
}

/** What one cell runs per forward: the resolved path or the mix. */
type CellMode = { kind: 'path'; opIndex: readonly number[] } | { kind: 'mixed'; weights: tf.Scalar[][]; active: OpMask };

/** The per-forward mode, resolved once per apply and handed to the cells through the context. */
interface SupernetContext extends ApplyOptions {
  supernetMode: CellMode;
}

function buildSupernetCell(reg: ParamRegistry, reluNames: string[], spec: CellBuildSpec): Forward {
  const k = spec.cellIndex;
  const ops: Forward[][] = NB201_EDGES.map(({ from, to }, e) =>
    NB201_OPS.map((op) => buildEdgeOp(reg, reluNames, supernetOpPrefix(k, e, op), { cell: k, from, to, op }, spec)),
  );
  return (input, ctx) => {
    const mode = (ctx as SupernetContext).supernetMode;
    if (mode.kind === 'path') return runCellDag(input, (e, x) => ops[e]![mode.opIndex[e]!]!(x, ctx));
    return runCellDag(input, (e, x) => {
      const terms: tf.Tensor4D[] = [];
      for (let o = 0; o < NUM_OPS; o++) {
        // `none` contributes alpha · 0 = 0 exactly: skipping it changes no value, and dR/dalpha
        // for it is 0 either way (tf.grads fills unused entries of alpha with zeros).
        if (!mode.active[e]![o] || NB201_OPS[o] === 'none') continue;
        terms.push(tf.mul(mode.weights[e]![o]!, ops[e]![o]!(x, ctx)) as tf.Tensor4D);
      }
      return terms.length === 0 ? tf.zerosLike(x) : terms.length === 1 ? terms[0]! : tf.addN(terms);
    });
  };
}

function checkMask(active: OpMask): void {
  if (active.length !== NUM_EDGES || active.some((row) => row.length !== NUM_OPS)) {
    throw new RangeError(`active must be a [${NUM_EDGES}][${NUM_OPS}] mask, got ${active.length} rows of lengths ${active.map((r) => r.length).join(', ')}`);
  }
  active.forEach((row, e) => {
    if (!row.some(Boolean)) throw new RangeError(`active masks out every op of edge ${e}; each edge needs at least one op`);
  });
}

const ALL_ACTIVE: OpMask = NB201_EDGES.map(() => NB201_OPS.map(() => true));

/** Checks the apply options and turns them into the cells' mode (tensors made inside the caller's tidy). */
function resolveMode(opts: SupernetApplyOptions): CellMode {
  if (opts.path) {
    const cell = asNB201Cell(opts.path);
    return { kind: 'path', opIndex: cell.map((op) => NB201_OPS.indexOf(op)) };
  }
  const { alpha } = opts;
  if (!alpha) throw new RangeError('supernet apply needs either `path` (six ops) or `alpha` (a [6, 5] tensor)');
  if (alpha.rank !== 2 || alpha.shape[0] !== NUM_EDGES || alpha.shape[1] !== NUM_OPS) {
    throw new RangeError(`alpha must have shape [${NUM_EDGES}, ${NUM_OPS}] (edges x ops in NB201_OPS order), got [${alpha.shape.join(', ')}]`);
  }
  const active = opts.active ?? ALL_ACTIVE;
  checkMask(active);
  const weights = tf.unstack(alpha).map((row) => tf.unstack(row) as tf.Scalar[]);
  return { kind: 'mixed', weights, active };
}

/** Builds the NB201 supernet (all five ops on every edge of every cell). */
export function buildNB201Supernet(opts: SupernetOptions): NB201Supernet {
  const options = resolveOptions(opts);
  const reg = new ParamRegistry(options.seed, supernetInitKey);
  // The supernet does not promise a ReLU order (a path runs a subset), so the names are not exposed.
  const reluNames: string[] = [];
  const run = buildTinyNetwork(reg, reluNames, options, (spec) => buildSupernetCell(reg, reluNames, spec));

  const apply = (x: tf.Tensor4D, applyOpts: SupernetApplyOptions): tf.Tensor2D =>
    tf.tidy(() => {
      const ctx: SupernetContext = { ...applyOpts, supernetMode: resolveMode(applyOpts) };
      return run(x, ctx);
    });

  return {
    options,
    params: reg.params,
    buffers: reg.buffers,
    apply,
    dispose: disposeOnce(reg),
  };
}

function edgeIndexOf(edge: { from: number; to: number }): number {
  return NB201_EDGES.findIndex((e) => e.from === edge.from && e.to === edge.to);
}

/**
 * The NB201 supernet's space for the trainer: paths uniform over the five ops per edge
 * (train-sampling.ts); a parameter is inside a candidate op exactly when it carries an edge, and
 * a path uses it when it is outside the cells or the path's op on its edge is its op.
 */
export const NB201_SUPERNET_SPACE: SupernetSpace<readonly NB201Op[]> = Object.freeze({
  name: 'nb201',
  samplePath,
  isOpParam: (p: SupernetParam) => (p as NetworkParam).edge !== undefined,
  onPath: (p: SupernetParam, path: readonly NB201Op[]) => {
    const edge = (p as NetworkParam).edge;
    return edge === undefined || edge.op === path[edgeIndexOf(edge)];
  },
});

/** Build + space, for train-run.ts and train-timing.ts. */
export const NB201_SUPERNET: SupernetKind<readonly NB201Op[], NB201Supernet, SupernetOptions> = Object.freeze({
  space: NB201_SUPERNET_SPACE,
  build: buildNB201Supernet,
});
