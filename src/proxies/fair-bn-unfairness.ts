/**
 * Zhu et al.'s Finding 1, as a number: does an indicator favour convolutions? The share of
 * convolution ops (nor_conv_1x1, nor_conv_3x3) among the six edges of the cells an indicator puts
 * in its top k, next to the same share in the truly best k cells and in the whole pool. BN-NAS in
 * the original space gives skip/pool a score of 0, so its top-k should be convolution-heavy
 * beyond what accuracy justifies; a fair indicator should not be.
 *
 * Ties at the k-th place (common for BN-NAS, whose score ignores where skip/pool/none sit) are
 * resolved as src/stats/top-k.ts does: each tied cell counts with its probability of being
 * chosen under uniform random tie-breaking, so the share is an exact expectation, not an
 * artefact of index order. Cells with a non-finite score or accuracy are left out first.
 */
import { isConvOp, type NB201Op } from '../models/nb201-cell.ts';
import { resolveK, topKMembership, type TopK } from '../stats/top-k.ts';

export interface ConvShare {
  /** Expected fraction of conv ops in the indicator's top k. */
  indicator: number;
  /** The same in the top k by accuracy. */
  truth: number;
  /** The same over every (kept) cell. */
  pool: number;
  k: number;
  n: number;
}

export function convShareTopK(cells: readonly (readonly NB201Op[])[], scores: ArrayLike<number>, accuracy: ArrayLike<number>, k: TopK): ConvShare {
  return convShareTopKOf(Float64Array.from(cells, (c) => c.filter(isConvOp).length / c.length), scores, accuracy, k);
}

/**
 * The same for any space: `convFraction[i]` is the share of convolutions among cell i's candidate
 * ops (NB201: its six edges; NB101: its interior vertices).
 */
export function convShareTopKOf(convFraction: ArrayLike<number>, scores: ArrayLike<number>, accuracy: ArrayLike<number>, k: TopK): ConvShare {
  if (convFraction.length !== scores.length || convFraction.length !== accuracy.length) {
    throw new RangeError(`cells (${convFraction.length}), scores (${scores.length}) and accuracies (${accuracy.length}) must align`);
  }
  const keep = Array.from({ length: convFraction.length }, (_, i) => i).filter((i) => Number.isFinite(scores[i]!) && Number.isFinite(accuracy[i]!));
  const n = keep.length;
  const kk = resolveK(k, n);
  const convs = Float64Array.from(keep, (i) => convFraction[i]!);
  const share = (values: ArrayLike<number>): number => {
    const member = topKMembership(Float64Array.from(keep, (i) => values[i]!), kk);
    let s = 0;
    for (let j = 0; j < n; j++) s += member[j]! * convs[j]!;
    return s / kk;
  };
  return { indicator: share(scores), truth: share(accuracy), pool: convs.reduce((a, b) => a + b, 0) / n, k: kk, n };
}
