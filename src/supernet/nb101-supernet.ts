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
import type { NetworkGraph } from '../graph/network-graph.ts';
import { runGraph } from '../executors/tfjs-forward.ts';
import { ParamStore, type ApplyOptions, type NetworkParam } from '../models/instantiate.ts';
import { nb101ModuleShapes } from '../models/nb101-cost.ts';
import { nb101SupernetParams, nb101SupernetPathGraph, resolveNB101Sizes, type NB101Slot } from '../models/nb101-graph.ts';
import { validateSpec, type ModelSpec } from '../spaces/nb101.ts';
import { sampleNB101Path } from './nb101-sampling.ts';
import type { SupernetKind, SupernetParam, SupernetSpace } from './supernet-space.ts';

export { NB101_POSITIONS, type NB101Slot } from '../models/nb101-graph.ts';

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

/** A supernet parameter; everything inside a module carries its slot as `label`. */
export type NB101SupernetParam = NetworkParam<NB101Slot>;

export interface NB101Supernet {
  readonly options: Readonly<Required<NB101SupernetOptions>>;
  readonly params: readonly NB101SupernetParam[];
  readonly buffers: readonly { name: string; variable: tf.Variable }[];
  /** Module shapes in build order (for the indicators' per-module vertex widths). */
  readonly modules: readonly { inChannels: number; outChannels: number }[];
  /** The description of a path's forward (cached per spec). */
  graphFor(path: ModelSpec): NetworkGraph<NB101Slot>;
  readonly store: ParamStore<NB101Slot>;
  /** Single-path forward of a (valid) NB101 spec; train mode only (see the file comment). */
  apply(x: tf.Tensor4D, opts: ApplyOptions & { path: ModelSpec }): tf.Tensor2D;
  dispose(): void;
}

function resolveOptions(opts: NB101SupernetOptions): Required<NB101SupernetOptions> {
  const o = { space: 'nb101' as const, numStacks: 3, fair: false, ...opts };
  resolveNB101Sizes(o);
  if (o.cellsPerStack < 1) throw new RangeError(`an NB101 supernet needs at least one module per stack, got cellsPerStack ${o.cellsPerStack}`);
  if (!Number.isSafeInteger(o.seed)) throw new RangeError(`seed must be a safe integer, got ${o.seed}`);
  return o;
}

const GRAPH_CACHE_LIMIT = 4096;

export function buildNB101Supernet(opts: NB101SupernetOptions): NB101Supernet {
  const options = resolveOptions(opts);
  const sizes = { stemChannels: options.stemChannels, numStacks: options.numStacks, cellsPerStack: options.cellsPerStack, numClasses: options.numClasses };
  const store = new ParamStore<NB101Slot>(nb101SupernetParams(sizes, options.fair), [], options.seed, 'torch-default', true);
  const cache = new Map<string, NetworkGraph<NB101Slot>>();
  const graphFor = (path: ModelSpec): NetworkGraph<NB101Slot> => {
    const key = JSON.stringify([path.matrix, path.ops]);
    let g = cache.get(key);
    if (!g) {
      g = nb101SupernetPathGraph(validateSpec(path), sizes, options.fair);
      if (cache.size >= GRAPH_CACHE_LIMIT) cache.clear();
      cache.set(key, g);
    }
    return g;
  };
  const apply = (x: tf.Tensor4D, ctx: ApplyOptions & { path: ModelSpec }): tf.Tensor2D => {
    if (!ctx.training) throw new RangeError('the NB101 supernet has no BN running statistics: run it in train mode (training: true)');
    const graph = graphFor(ctx.path);
    return tf.tidy(() =>
      runGraph(graph, x, {
        param: (name) => store.variable(name),
        training: true,
        release: ctx.releaseIntermediates ?? false,
        ...(ctx.onReluInput ? { hooks: { onReluInput: ctx.onReluInput } } : {}),
      }),
    );
  };
  return {
    options,
    params: store.params,
    buffers: [],
    modules: nb101ModuleShapes(options.stemChannels, options.numStacks, options.cellsPerStack, 32).map((s) => ({ inChannels: s.inChannels, outChannels: s.outChannels })),
    graphFor,
    store,
    apply,
    dispose: () => store.dispose(),
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
    const slot = (p as NB101SupernetParam).label;
    return slot !== undefined && slot.op !== 'projection';
  },
  // Sampled paths are pruned already; validateSpec is the identity on them.
  onPath: (p: SupernetParam, path: ModelSpec) => {
    const slot = (p as NB101SupernetParam).label;
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
    (p) => (p.kind === 'bn-gamma' || p.kind === 'bn-beta') && NB101_SUPERNET_SPACE.isOpParam(p) && slotOnPath(p.label!, path),
  );
}
