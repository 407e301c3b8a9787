/**
 * What every cell network offers a proxy, whichever space it comes from (re-exported from
 * instantiate.ts, where it is defined next to the weights it holds).
 */
export type { ApplyOptions, CellNetwork, NetworkBuffer, NetworkParam } from './instantiate.ts';
export type { ParamKind } from '../graph/network-graph.ts';
