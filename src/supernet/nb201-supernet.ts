/**
 * The NB201 one-shot supernet: the TinyNetwork macro-structure, every one of the 6 edges of every
 * cell holding ALL 5 ops, each with its own parameters. Its layout is nb201-graph.ts's, the same
 * description the stand-alone network is built from; this file owns the weights and picks the
 * graph for each forward:
 * - single path (`path`, six ops): each edge runs only its chosen op, the same six ops in every
 *   cell as in an NB201 genotype, so gradients reach only those ops' parameters (one-shot NAS,
 *   BN-NAS);
 * - mixed (`alpha`, a [6, 5] tensor in NB201_OPS order): edge e outputs Σ_o alpha[e][o] · op_o(x)
 *   with every op run (DARTS; FreeDARTS differentiates R w.r.t. alpha). An optional `active` mask
 *   drops ops from the mix altogether (a pruned op is not run at all, rather than run and
 *   multiplied by 0: 0 · Inf would be NaN).
 *
 * Parameter names insert the op after the edge (`cells.3.layers.2.nor_conv_3x3.op.1.weight`);
 * each op's weights come from the SAME seeded stream as the stand-alone network's op on that
 * edge, so at initialisation the single path `cell` computes exactly buildNB201Network(cell) with
 * the same options (tested): any difference after training is due to the training, not the draw.
 */
import * as tf from '@tensorflow/tfjs';
import type { NetworkGraph } from '../graph/network-graph.ts';
import { runGraph } from '../executors/tfjs-forward.ts';
import { asNB201Cell, NB201_EDGES, type NB201Op } from '../models/nb201-cell.ts';
import { NB201_ALPHA, nb201SupernetGraph, resolveNB201Options, type EdgeRef, type NB201GraphOptions } from '../models/nb201-graph.ts';
import type { InitScheme } from '../models/init.ts';
import { ParamStore, type ApplyOptions, type NetworkBuffer, type NetworkParam } from '../models/instantiate.ts';
import type { SupernetKind, SupernetParam, SupernetSpace } from './supernet-space.ts';
import { samplePath } from './train-sampling.ts';

/** The same options as the stand-alone network's (the same seed gives the same op weights). */
export interface SupernetOptions extends NB201GraphOptions {
  seed: number;
  /** Weight initialisation (default 'torch-default'; absent from `options` unless set otherwise, so older checkpoints keep their identity). */
  init?: InitScheme;
}

/** Which ops take part in the mix: [6][5] booleans in NB201_OPS order (true = in the mix). */
export type OpMask = readonly (readonly boolean[])[];

export interface SupernetApplyOptions extends ApplyOptions {
  /** Single-path forward: one op per edge (the same six ops in every cell, as NB201 genotypes). */
  path?: readonly NB201Op[];
  /** Mixed forward (DARTS): a [6, 5] tensor in NB201_OPS order. Used when `path` is absent. */
  alpha?: tf.Tensor2D;
  /** Mixed forward only: ops masked false are left out of the sum (not run). */
  active?: OpMask;
}

export interface NB201Supernet {
  readonly options: Readonly<Required<Omit<SupernetOptions, 'init'>>> & { readonly init?: InitScheme };
  /** Every trainable parameter; those inside a cell op carry their edge as `label`. */
  readonly params: readonly NetworkParam<EdgeRef>[];
  readonly buffers: readonly NetworkBuffer<EdgeRef>[];
  /** The description a forward with these options runs (cached per path / mask). */
  graphFor(opts: { path?: readonly NB201Op[]; active?: OpMask }): NetworkGraph<EdgeRef>;
  /** The supernet's own parameter and buffer lookup (for executors other than `apply`). */
  readonly store: ParamStore<EdgeRef>;
  apply(x: tf.Tensor4D, opts: SupernetApplyOptions): tf.Tensor2D;
  dispose(): void;
}

/** Graphs are cheap to build but a training run asks for the same few thousand paths again and again. */
const GRAPH_CACHE_LIMIT = 4096;

export function buildNB201Supernet(opts: SupernetOptions): NB201Supernet {
  const { seed, init, ...graphOptions } = opts;
  const options = { ...resolveNB201Options(graphOptions), seed, ...(init !== undefined && init !== 'torch-default' ? { init } : {}) };
  const full = nb201SupernetGraph(options, { kind: 'supernet-mixed' });
  const store = new ParamStore(full.params, full.buffers, seed, init ?? 'torch-default', true);
  const cache = new Map<string, NetworkGraph<EdgeRef>>();
  const graphFor = ({ path, active }: { path?: readonly NB201Op[]; active?: OpMask }): NetworkGraph<EdgeRef> => {
    const key = path ? `p:${asNB201Cell(path).join(',')}` : `m:${active ? active.map((r) => r.map((b) => (b ? 1 : 0)).join('')).join('|') : 'all'}`;
    let g = cache.get(key);
    if (!g) {
      g = path ? nb201SupernetGraph(options, { kind: 'supernet-path', path }) : active ? nb201SupernetGraph(options, { kind: 'supernet-mixed', active }) : full;
      if (cache.size >= GRAPH_CACHE_LIMIT) cache.clear();
      cache.set(key, g);
    }
    return g;
  };
  const apply = (x: tf.Tensor4D, applyOpts: SupernetApplyOptions): tf.Tensor2D => {
    if (!applyOpts.path && !applyOpts.alpha) throw new RangeError('supernet apply needs either `path` (six ops) or `alpha` (a [6, 5] tensor)');
    const graph = graphFor(applyOpts);
    if (!applyOpts.path) {
      const { alpha } = applyOpts;
      if (alpha!.rank !== 2 || alpha!.shape[0] !== NB201_EDGES.length || alpha!.shape[1] !== 5) {
        throw new RangeError(`alpha must have shape [${NB201_EDGES.length}, 5] (edges x ops in NB201_OPS order), got [${alpha!.shape.join(', ')}]`);
      }
    }
    return tf.tidy(() =>
      runGraph(graph, x, {
        param: (name) => (name === NB201_ALPHA ? applyOpts.alpha! : store.variable(name)),
        buffer: (name) => (store.has(name) ? store.variable(name) : undefined),
        training: applyOpts.training,
        updateRunningStats: applyOpts.updateRunningStats ?? true,
        release: applyOpts.releaseIntermediates ?? false,
        ...(applyOpts.onReluInput ? { hooks: { onReluInput: applyOpts.onReluInput } } : {}),
      }) as tf.Tensor2D,
    );
  };
  return { options, params: store.params, buffers: store.buffers, graphFor, store, apply, dispose: () => store.dispose() };
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
  isOpParam: (p: SupernetParam) => (p as NetworkParam<EdgeRef>).label !== undefined,
  onPath: (p: SupernetParam, path: readonly NB201Op[]) => {
    const edge = (p as NetworkParam<EdgeRef>).label;
    return edge === undefined || edge.op === path[edgeIndexOf(edge)];
  },
});

/** Build + space, for train-run.ts and train-timing.ts. */
export const NB201_SUPERNET: SupernetKind<readonly NB201Op[], NB201Supernet, SupernetOptions> = Object.freeze({
  space: NB201_SUPERNET_SPACE,
  build: buildNB201Supernet,
});
