/**
 * NAS-Bench-201 (NB201) cells: the five ops, the parsed cell, and the two public encodings
 * (the official arch string and NASLib's 6-tuple of op ids).
 *
 * A cell has 4 nodes (0 = input, 3 = output) and one edge i -> j for every i < j: 6 edges, each
 * carrying one of 5 ops, so 5^6 = 15,625 cells. Node j is the sum of op(node i) over its incoming
 * edges. The index of a cell in the official `meta_archs` list lives in `nb201-index.ts`; the
 * canonical (isomorphism) key in `nb201-canonical.ts`.
 */
import { DataError } from '../util/errors.ts';

/**
 * The ops in the order of NB201's search space (`get_search_spaces('cell', 'nas-bench-201')` in
 * D-X-Y/AutoDL-Projects). The order matters: the generator that produced `meta_archs` enumerated
 * ops in this order, so `nb201-index.ts` depends on it.
 */
export const NB201_OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'] as const;
export type NB201Op = (typeof NB201_OPS)[number];

/** An edge of the cell, from node `from` to node `to` (0 = input, 3 = output). */
export interface NB201Edge {
  readonly from: number;
  readonly to: number;
}

/**
 * The 6 edges in the order the arch string writes them: grouped by target node j = 1, 2, 3 and,
 * inside a group, by source node i = 0..j-1. `NB201Cell.ops[k]` is the op on `NB201_EDGES[k]`.
 */
export const NB201_EDGES: readonly NB201Edge[] = Object.freeze([
  { from: 0, to: 1 },
  { from: 0, to: 2 },
  { from: 1, to: 2 },
  { from: 0, to: 3 },
  { from: 1, to: 3 },
  { from: 2, to: 3 },
]);

export const NB201_NUM_NODES = 4;
export const NB201_NUM_EDGES = 6;
/** 5^6 cells. */
export const NB201_NUM_CELLS = 15625;

export type NB201Ops = readonly [NB201Op, NB201Op, NB201Op, NB201Op, NB201Op, NB201Op];

/** A parsed cell: one op per edge, in `NB201_EDGES` order (the arch string's order). */
export interface NB201Cell {
  readonly ops: NB201Ops;
}

export function isNB201Op(s: string): s is NB201Op {
  return (NB201_OPS as readonly string[]).includes(s);
}

/** Builds a cell from 6 ops in `NB201_EDGES` order, checking each is a known op. */
export function nb201Cell(ops: readonly string[]): NB201Cell {
  if (ops.length !== NB201_NUM_EDGES) {
    throw new DataError(`an NB201 cell has ${NB201_NUM_EDGES} edges, got ${ops.length} ops`);
  }
  for (const op of ops) {
    if (!isNB201Op(op)) throw new DataError(`unknown NB201 op ${JSON.stringify(op)} (known: ${NB201_OPS.join(', ')})`);
  }
  return { ops: Object.freeze([...ops]) as unknown as NB201Ops };
}

/** The op on edge from -> to. */
export function edgeOp(cell: NB201Cell, from: number, to: number): NB201Op {
  const k = edgeIndex(from, to);
  return cell.ops[k];
}

/** Position of edge from -> to in `NB201_EDGES` (and in `NB201Cell.ops`). */
export function edgeIndex(from: number, to: number): number {
  const k = NB201_EDGES.findIndex((e) => e.from === from && e.to === to);
  if (k < 0) throw new RangeError(`no NB201 edge ${from} -> ${to}`);
  return k;
}

// ---------------------------------------------------------------------------------------------
// The official arch string: `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`.
// ---------------------------------------------------------------------------------------------

/** Formats a cell as the official arch string (the exact text of `meta_archs`). */
export function formatNB201(cell: NB201Cell): string {
  const groups: string[] = [];
  for (let to = 1; to < NB201_NUM_NODES; to++) {
    const parts: string[] = [];
    for (let from = 0; from < to; from++) parts.push(`${edgeOp(cell, from, to)}~${from}`);
    groups.push(`|${parts.join('|')}|`);
  }
  return groups.join('+');
}

/**
 * Parses the official arch string strictly: exactly 3 node groups joined by '+', each wrapped in
 * bars, group j holding exactly j entries `op~i` with i = 0..j-1 in that order. The official
 * parser (`Structure.str2structure`) is looser (it drops empty pieces, so missing bars pass); we
 * reject anything that is not the exact form the official files contain, because a string that
 * only parses loosely is a sign of a corrupted or hand-edited file.
 */
export function parseNB201(arch: string): NB201Cell {
  const fail = (what: string): never => {
    throw new DataError(`bad NB201 arch string ${JSON.stringify(arch)}: ${what}`);
  };
  if (typeof arch !== 'string') fail('not a string');
  const groups = arch.split('+');
  if (groups.length !== NB201_NUM_NODES - 1) {
    fail(`expected ${NB201_NUM_NODES - 1} node groups separated by '+', found ${groups.length}`);
  }
  const ops: NB201Op[] = [];
  groups.forEach((group, g) => {
    const node = g + 1;
    if (!group.startsWith('|') || !group.endsWith('|') || group.length < 2) {
      fail(`node ${node} group ${JSON.stringify(group)} must start and end with '|'`);
    }
    const entries = group.slice(1, -1).split('|');
    if (entries.length !== node) {
      const tildes = group.split('~').length - 1;
      const hint = tildes !== entries.length ? ` (${tildes} '~' but ${entries.length} '|'-separated entries: a missing '|'?)` : '';
      fail(`node ${node} must have ${node} input edge(s), found ${entries.length} in ${JSON.stringify(group)}${hint}`);
    }
    entries.forEach((entry, k) => {
      const pieces = entry.split('~');
      if (pieces.length !== 2) fail(`edge ${JSON.stringify(entry)} of node ${node} is not of the form op~input`);
      const [op, input] = pieces as [string, string];
      if (!isNB201Op(op)) fail(`unknown op ${JSON.stringify(op)} on an edge into node ${node} (known: ${NB201_OPS.join(', ')})`);
      if (!/^\d+$/.test(input) || Number(input) !== k) {
        fail(`edge ${k + 1} of node ${node} must come from node ${k}, found input ${JSON.stringify(input)}`);
      }
      ops.push(op as NB201Op);
    });
  });
  return nb201Cell(ops);
}

// ---------------------------------------------------------------------------------------------
// NASLib's 6-tuple (automl/NASLib naslib/search_spaces/nasbench201/conversions.py).
// ---------------------------------------------------------------------------------------------

/** NASLib's op ids: index in this list = op id (`OP_NAMES_NB201`). */
export const NASLIB_OPS: readonly NB201Op[] = Object.freeze([
  'skip_connect',
  'none',
  'nor_conv_3x3',
  'nor_conv_1x1',
  'avg_pool_3x3',
]);

/**
 * NASLib's edge order `EDGE_LIST`, in its 1-based node numbering: NASLib node k is NB201 node
 * k - 1, so NASLib edge (u, v) is NB201 edge (u - 1) -> (v - 1). NASLib orders edges by source
 * node first, the arch string by target node first: the two orders differ.
 */
export const NASLIB_EDGES: readonly (readonly [number, number])[] = Object.freeze([
  [1, 2],
  [1, 3],
  [1, 4],
  [2, 3],
  [2, 4],
  [3, 4],
] as const);

/** A cell as NASLib's 6 op ids, in NASLib edge order. */
export function toNASLib(cell: NB201Cell): number[] {
  return NASLIB_EDGES.map(([u, v]) => NASLIB_OPS.indexOf(edgeOp(cell, u - 1, v - 1)));
}

export function fromNASLib(opIndices: readonly number[]): NB201Cell {
  if (opIndices.length !== NASLIB_EDGES.length) {
    throw new DataError(`a NASLib NB201 encoding has ${NASLIB_EDGES.length} op ids, got ${opIndices.length}: [${opIndices.join(', ')}]`);
  }
  const ops: NB201Op[] = new Array<NB201Op>(NB201_NUM_EDGES);
  opIndices.forEach((id, k) => {
    const op = Number.isInteger(id) ? NASLIB_OPS[id] : undefined;
    if (op === undefined) {
      throw new DataError(`NASLib op id ${id} at position ${k} of [${opIndices.join(', ')}] is not in 0..${NASLIB_OPS.length - 1}`);
    }
    const [u, v] = NASLIB_EDGES[k]!;
    ops[edgeIndex(u - 1, v - 1)] = op;
  });
  return nb201Cell(ops);
}

export function naslibToArchString(opIndices: readonly number[]): string {
  return formatNB201(fromNASLib(opIndices));
}

export function archStringToNASLib(arch: string): number[] {
  return toNASLib(parseNB201(arch));
}
