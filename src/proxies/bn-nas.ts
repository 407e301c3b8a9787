/**
 * The BN-NAS indicator (Chen et al., "BN-NAS: Neural Architecture Search with Batch
 * Normalization", ICCV 2021; reference bychen515/BNNAS `search/ea.py`).
 *
 * After the supernet's BN-only training (src/supernet/train.ts), each candidate op's score is the
 * mean |gamma| of its LAST BatchNorm (the reference reads `*.7.weight`, the last BN of each
 * MobileNet block, into `bn_matrix[layer][op] = param.abs().mean()`). A sub-network's score is the
 * sum of its ops' scores over every layer; in NB201 the layers are the 6 edges of each of the 3N
 * cells, and a path uses the same six ops in every cell, so
 *     score(cell) = Σ_{cells k} Σ_{edges e} meanAbsGamma[k][e][cell[e]].
 * Ops without a BN, in NB201's own space skip_connect, avg_pool_3x3 and none, score 0 (the
 * reference's identity op, index -1, has no BN and no entry). In the "fair" space
 * (nb201-supernet `fair: true`) skip and pool end in a BN of their own and get a score; `none`
 * never does.
 *
 * Not a ProxyDescriptor of the registry: it scores a trained supernet's gammas, not a freshly
 * built network per cell, so it is computed once per supernet (opGammaScores) and then costs a
 * table lookup per cell.
 */
import { NB201_EDGES, NB201_OPS, type NB201Op } from '../models/nb201-cell.ts';
import type { EdgeRef, ParamKind } from '../models/nb201-network.ts';
import { DataError } from '../util/errors.ts';

/** A parameter's values with its labels (a live supernet parameter or a training snapshot). */
export interface LabelledValues {
  name: string;
  kind: ParamKind;
  edge?: EdgeRef;
  values: ArrayLike<number>;
}

/** Mean |gamma| of every (cell, edge, op) of a supernet, 0 where the op has no BN. */
export interface OpScores {
  /** The supernet's cell indices (the reference's `cells.k` numbering), in order. */
  readonly cells: readonly number[];
  /** scores[c * 30 + e * 5 + o]: cell position c, edge e (NB201_EDGES), op o (NB201_OPS). */
  readonly scores: Float64Array;
  /** Whether each (cell, edge, op) has a BN at all (false: the op scores 0 by definition). */
  readonly hasBn: Uint8Array;
}

const OPS = NB201_OPS.length;
const EDGES = NB201_EDGES.length;

export function edgeIndex(edge: Pick<EdgeRef, 'from' | 'to'>): number {
  const e = NB201_EDGES.findIndex((x) => x.from === edge.from && x.to === edge.to);
  if (e < 0) throw new RangeError(`(${edge.from} -> ${edge.to}) is not an NB201 edge`);
  return e;
}

/**
 * The op score table from the gammas of `params` (cell-op parameters carry `edge`). Parameters
 * are in module order, so for an op with several BNs the last gamma seen is its last BN.
 */
export function opGammaScores(params: readonly LabelledValues[]): OpScores {
  const gammas = params.filter((p) => p.kind === 'bn-gamma' && p.edge);
  if (gammas.length === 0) {
    throw new RangeError("no BN gamma in any cell op: BN-NAS needs affine BatchNorm in the cells (bn 'standard') and edge-labelled parameters");
  }
  // Every NB201 cell holds conv ops, so every cell of the supernet has gammas.
  const cells = [...new Set(gammas.map((p) => p.edge!.cell))].sort((a, b) => a - b);
  const position = new Map(cells.map((c, i) => [c, i]));
  const last = new Map<number, LabelledValues>();
  for (const p of gammas) last.set(slot(position.get(p.edge!.cell)!, edgeIndex(p.edge!), p.edge!.op), p);
  const scores = new Float64Array(cells.length * EDGES * OPS);
  const hasBn = new Uint8Array(scores.length);
  for (const [i, p] of last) {
    let s = 0;
    for (let j = 0; j < p.values.length; j++) s += Math.abs(p.values[j]!);
    scores[i] = s / p.values.length;
    hasBn[i] = 1;
  }
  return { cells, scores, hasBn };
}

function slot(cellPosition: number, edge: number, op: NB201Op): number {
  return cellPosition * EDGES * OPS + edge * OPS + NB201_OPS.indexOf(op);
}

/** The BN-NAS score of a cell: Σ over the supernet's cells and the six edges of the op's score. */
export function bnNasScore(table: OpScores, cell: readonly NB201Op[]): number {
  if (cell.length !== EDGES) throw new RangeError(`an NB201 cell has ${EDGES} ops, got ${cell.length}`);
  let total = 0;
  for (let c = 0; c < table.cells.length; c++) {
    cell.forEach((op, e) => {
      const o = NB201_OPS.indexOf(op);
      if (o < 0) throw new RangeError(`unknown NB201 op '${op}'`);
      total += table.scores[c * EDGES * OPS + e * OPS + o]!;
    });
  }
  return total;
}

/** A live supernet's cell-op gammas, read back from the backend. */
export function liveGammas(params: ReadonlyArray<{ name: string; kind: ParamKind; label?: EdgeRef; variable: { dataSync(): ArrayLike<number> } }>): LabelledValues[] {
  return params.filter((p) => p.kind === 'bn-gamma' && p.label).map((p) => ({ name: p.name, kind: p.kind, edge: p.label, values: p.variable.dataSync() }));
}

/**
 * A training snapshot's gammas (by parameter name) with the supernet's labels attached (any
 * space's labels: NB201's edges, NB101's slots). Every cell-op BN gamma of the supernet must be in
 * the snapshot: a partial snapshot (truncated file, renamed parameter) would otherwise score the
 * missing ops 0, plausible but wrong numbers, so it is a DataError naming the parameter and, when
 * given, the snapshot's file.
 */
export function snapshotGammas<L extends { name: string; kind: string; edge?: unknown; slot?: { op: string } }>(
  params: ReadonlyArray<L>,
  values: ReadonlyMap<string, { values: ArrayLike<number> }>,
  file?: string,
): Array<L & { values: ArrayLike<number> }> {
  const out: Array<L & { values: ArrayLike<number> }> = [];
  for (const p of params) {
    if (p.kind !== 'bn-gamma' || !isCellOpLabel(p)) continue;
    const v = values.get(p.name);
    if (!v) throw new DataError(`the snapshot has no value for BN gamma '${p.name}' (BN-NAS needs every gamma of the supernet)`, { file });
    out.push({ ...p, values: v.values });
  }
  if (out.length === 0) throw new RangeError('the supernet has no BN gamma in a cell op: BN-NAS needs affine BatchNorm in the cells');
  return out;
}

/**
 * Whether a labelled parameter sits in a candidate op: what a training snapshot copies
 * (train.ts isSnapshotParam, i.e. each space's isOpParam: NB201's edge label, NB101's slot other
 * than a projection). The stem and classifier are not in snapshots and not needed.
 */
function isCellOpLabel(p: { edge?: unknown; slot?: { op: string } }): boolean {
  return p.edge !== undefined || (p.slot !== undefined && p.slot.op !== 'projection');
}

/**
 * BN-NAS scores of NB201 cells from a training snapshot (its gammas by parameter name) of a
 * supernet with these parameters (their edge labels): one table, then a lookup per cell.
 */
export function bnNasScoresAt(
  params: ReadonlyArray<{ name: string; kind: ParamKind; label?: EdgeRef }>,
  snapshot: { values: ReadonlyMap<string, { values: ArrayLike<number> }> },
  cells: readonly (readonly NB201Op[])[],
): Float64Array {
  const table = opGammaScores(snapshotGammas(params.map(({ name, kind, label }) => ({ name, kind, ...(label ? { edge: label } : {}) })), snapshot.values));
  return Float64Array.from(cells, (c) => bnNasScore(table, c));
}
