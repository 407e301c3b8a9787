/**
 * The NAS-Bench-201 cell network (the reference's TinyNetwork) for one cell: its description
 * (nb201-graph.ts, where the layout, the BN variants and the state-dict names are documented)
 * with seeded weights (instantiate.ts). The tfjs forward is `apply`; every other executor takes
 * `network.graph`.
 */
import type { InitScheme } from './init.ts';
import { instantiate, type CellNetwork, type NetworkBuffer as Buffer, type NetworkParam as Param } from './instantiate.ts';
import { nb201Graph, resolveNB201Options, type BnVariant, type EdgeRef, type NB201GraphOptions } from './nb201-graph.ts';
import { asNB201Cell, type NB201Cell } from './nb201-cell.ts';

export type { ApplyOptions } from './instantiate.ts';
export type { ParamKind } from '../graph/network-graph.ts';
export type { BnVariant, EdgeRef } from './nb201-graph.ts';

export type NetworkParam = Param<EdgeRef>;
export type NetworkBuffer = Buffer<EdgeRef>;

export interface NB201NetworkOptions extends NB201GraphOptions {
  /** Determines every weight (see init.ts). */
  seed: number;
  /** How the weights are drawn (default PyTorch's default initialisation). */
  initScheme?: InitScheme;
}

/** An NB201 network: the common cell network plus its cell and options. */
export interface Network extends CellNetwork<EdgeRef> {
  readonly cell: NB201Cell;
  readonly options: Readonly<Required<NB201GraphOptions>> & { readonly seed: number };
}

/** Builds the NB201 network for one cell (six ops in arch-string edge order). */
export function buildNB201Network(cellOps: readonly string[], opts: NB201NetworkOptions): Network {
  const cell = asNB201Cell(cellOps);
  const { seed, initScheme, ...graphOptions } = opts;
  const options = { ...resolveNB201Options(graphOptions), seed };
  const network = instantiate(nb201Graph(cell, options), seed, initScheme);
  return { ...network, cell, options };
}

/** BN variants in the order the docs list them. */
export const BN_VARIANTS: readonly BnVariant[] = ['standard', 'no-affine', 'none-in-cells'];
