/**
 * The BN-NAS indicator (Chen et al., ICCV 2021; see bn-nas.ts for NB201) on the NB101 supernet
 * (src/supernet/nb101-supernet.ts).
 *
 * NB101's candidate ops sit on vertices: a cell's score is the sum, over every module of the
 * supernet and every interior vertex i of the cell's pruned spec, of the mean |γ| of the last
 * (only) BN of the op at position i of that module. Two NB101-specific points:
 *   - the max-pool has no BN and scores 0 in NB101's own space (the reference's rule for ops
 *     without BN); in the fair space it ends in a BN of its own and gets a score;
 *   - a vertex of width c_i uses the first c_i channels of its position's shared BN (channel
 *     slicing), so the mean |γ| is taken over exactly those c_i channels: the γ the cell would
 *     inherit as its own. The widths come from planNB101Module for each module's (in, out)
 *     channels, as the forward pass computes them.
 * The 1x1 projections are not candidate ops (they follow from the graph, not from an op choice)
 * and do not count, as NB201's reduction blocks do not.
 */
import { planNB101Module } from '../models/nb101-cost.ts';
import type { ModelSpec } from '../spaces/nb101.ts';
import type { NB101Slot } from '../supernet/nb101-supernet.ts';
import { DataError } from '../util/errors.ts';
import { snapshotGammas } from './bn-nas.ts';

/** A supernet parameter's labels with its values (live or from a training snapshot). */
export interface NB101LabelledValues {
  name: string;
  kind: string;
  slot?: NB101Slot;
  values: ArrayLike<number>;
}

/** γ of every (module, position, op) that has a BN. */
export interface NB101GammaTable {
  /** Module (in, out) channels in build order. */
  readonly modules: readonly { inChannels: number; outChannels: number }[];
  readonly gammas: ReadonlyMap<string, ArrayLike<number>>;
}

function key(module: number, position: number, op: string): string {
  return `${module}:${position}:${op}`;
}

export function nb101GammaTable(params: readonly NB101LabelledValues[], modules: readonly { inChannels: number; outChannels: number }[]): NB101GammaTable {
  const gammas = new Map<string, ArrayLike<number>>();
  for (const p of params) {
    if (p.kind !== 'bn-gamma' || !p.slot || p.slot.op === 'projection' || p.slot.position === 'output') continue;
    gammas.set(key(p.slot.module, p.slot.position, p.slot.op), p.values);
  }
  if (gammas.size === 0) throw new RangeError('no candidate-op BN gamma among the parameters: BN-NAS needs the NB101 supernet\'s slotted BN parameters');
  return { modules, gammas };
}

/** One vertex op of a cell in one module of the supernet: its γ's key and the vertex width. */
export interface NB101CellOp {
  key: string;
  channels: number;
}

/**
 * The cell's vertex ops, module by module, with their widths (planNB101Module per module shape).
 * Depends only on the cell and the supernet's shape: compute it once per cell, score it against
 * every snapshot. `spec` must be pruned (validateSpec).
 */
export function nb101CellOps(modules: NB101GammaTable['modules'], spec: ModelSpec): NB101CellOp[] {
  return modules.flatMap((m, module) =>
    planNB101Module(spec, m.inChannels, m.outChannels).interior.map((v) => ({ key: key(module, v.vertex, v.op), channels: v.channels })),
  );
}

/** The cell's BN-NAS score from its ops (see the file comment). */
export function nb101BnNasScoreOf(table: NB101GammaTable, ops: readonly NB101CellOp[]): number {
  let total = 0;
  for (const { key: k, channels } of ops) {
    const gamma = table.gammas.get(k);
    if (!gamma) {
      // max-pool in the original space: no BN, score 0. Any other op without a gamma is a table
      // built from incomplete parameters, and scoring it 0 would be a plausible wrong number.
      if (k.endsWith(':maxpool3x3')) continue;
      throw new DataError(`no BN gamma for op ${k} (module:position:op) among the supernet parameters`);
    }
    let s = 0;
    for (let c = 0; c < channels; c++) s += Math.abs(gamma[c]!);
    total += s / channels;
  }
  return total;
}

/** The cell's BN-NAS score (see the file comment); `spec` must be pruned (validateSpec). */
export function nb101BnNasScore(table: NB101GammaTable, spec: ModelSpec): number {
  return nb101BnNasScoreOf(table, nb101CellOps(table.modules, spec));
}

/**
 * BN-NAS scores of NB101 cells (their `nb101CellOps` in this supernet's modules, computed once per
 * supernet shape, not per snapshot) from a training snapshot's gammas.
 */
export function nb101BnNasScoresAt(
  supernet: { params: ReadonlyArray<{ name: string; kind: string; label?: NB101Slot }>; modules: NB101GammaTable['modules'] },
  snapshot: { values: ReadonlyMap<string, { values: ArrayLike<number> }> },
  cellOps: readonly (readonly NB101CellOp[])[],
): Float64Array {
  const labels = supernet.params.map(({ name, kind, label }) => ({ name, kind, ...(label ? { slot: label } : {}) }));
  const table = nb101GammaTable(snapshotGammas(labels, snapshot.values), supernet.modules);
  return Float64Array.from(cellOps, (ops) => nb101BnNasScoreOf(table, ops));
}
