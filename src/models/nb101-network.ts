/**
 * The NAS-Bench-101 network for one cell (ModelSpec): its description (nb101-graph.ts, where the
 * structure, the BN-free variant and the TF-style names are documented) with seeded weights
 * (instantiate.ts).
 *
 * Differences from the original, on purpose:
 *   - Initialisation is PyTorch's default (init.ts) unless `initScheme` says otherwise
 *     ('nb101-reference' is the zero-cost reference's NB101 `_initialize_weights`), not TF's
 *     variance-scaling: the project's proxies follow the PyTorch references.
 *   - BN running statistics move with PyTorch's momentum 0.1 (src/executors/tfjs-ops.ts) where the original's TF
 *     BN decays with 0.997. Only eval-mode forwards after train-mode forwards see the difference;
 *     the proxies run in train mode (batch statistics). BN epsilon 1e-5 is the original's.
 */
import type { ModelSpec } from '../spaces/nb101.ts';
import type { InitScheme } from './init.ts';
import { instantiate, type CellNetwork, type NetworkBuffer, type NetworkParam } from './instantiate.ts';
import { nb101Graph, resolveNB101Sizes, type NB101Sizes, type NB101VertexRef } from './nb101-graph.ts';

export type { ApplyOptions } from './instantiate.ts';
export type { ParamKind } from '../graph/network-graph.ts';
export { NB101_DENSE_BIAS, NB101_DENSE_KERNEL, nb101BatchNormNames, nb101ConvKernelName, type NB101VertexRef } from './nb101-graph.ts';

export type NB101NetworkParam = NetworkParam<NB101VertexRef>;
export type NB101NetworkBuffer = NetworkBuffer<NB101VertexRef>;

export interface NB101NetworkOptions {
  /** Stem output channels (128 in NB101 and the zero-cost paper; NASWOT's code used 16). */
  stemChannels?: number;
  numStacks?: number;
  cellsPerStack?: number;
  numClasses: number;
  /** Determines every weight (see init.ts). */
  seed: number;
  /** false: the zero-cost reference's BN-free copy (synflow). Default true (NB101's network). */
  bn?: boolean;
  initScheme?: InitScheme;
}

/** An NB101 network: the common cell network plus the pruned spec and options. */
export interface NB101Network extends CellNetwork<NB101VertexRef> {
  /** The pruned spec the network was built from. */
  readonly spec: ModelSpec;
  readonly options: Readonly<NB101Sizes & { seed: number; bn: boolean }>;
}

/** Builds the NB101 network for one cell. Throws InvalidSpecError for a spec outside NB101. */
export function buildNB101Network(spec: ModelSpec, opts: NB101NetworkOptions): NB101Network {
  const { seed, bn = true, initScheme, ...rest } = opts;
  if (typeof bn !== 'boolean') throw new RangeError(`bn must be a boolean, got ${String(bn)}`);
  const sizes = resolveNB101Sizes(rest);
  const { graph, pruned } = nb101Graph(spec, sizes, bn);
  return { ...instantiate(graph, seed, initScheme), spec: pruned, options: { ...sizes, seed, bn } };
}
