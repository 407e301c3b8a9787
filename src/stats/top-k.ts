/**
 * Precision at k (top-k overlap): of the k cells with the highest true accuracy, the fraction
 * that are also among the k cells with the highest proxy score.
 *
 * k: a count (integer, 1 <= k <= n) or `{ fraction }` with 0 < fraction <= 1, which becomes
 * k = ceil(fraction · n) (so "top 1%" of 15,625 cells is 157 cells, never 0).
 * Higher is better in both columns; negate a column where lower is better.
 * Pairs with a non-finite value in either column are dropped first (as the correlations do), and
 * n and k refer to what remains.
 *
 * Ties at the k-th place: a cell is in the top-k set if its value is above the k-th largest; of the
 * g cells tied with the k-th largest value, k - a must be chosen (a = cells strictly above), and
 * any choice would be arbitrary (index order, say, rewards whichever cells the enumeration put
 * first). We report the *expected* overlap when those ties are broken uniformly at random,
 * independently in the two rankings: each cell is in the predicted set with probability
 * p = 1 (above), (k-a)/g (tied at the boundary) or 0, likewise q for the true set, and
 * E|P ∩ T| = Σ p·q. It is deterministic, exact, and equals the plain overlap when there are no
 * boundary ties. `value` = E|P ∩ T| / k.
 */
import { finitePairs } from './pairs.ts';

export type TopK = number | { fraction: number };

export interface TopKResult {
  /** Expected fraction of the true top-k among the predicted top-k, in [0, 1]. */
  value: number;
  /** Expected number of cells in both top-k sets. */
  overlap: number;
  k: number;
  n: number;
  dropped: number;
}

export function resolveK(k: TopK, n: number): number {
  if (typeof k === 'number') {
    if (!Number.isInteger(k) || k < 1 || k > n) {
      throw new RangeError(`top-k: k must be an integer in 1..${n} (the finite pairs), got ${k}`);
    }
    return k;
  }
  const f = k.fraction;
  if (!(f > 0 && f <= 1)) throw new RangeError(`top-k: fraction must be in (0, 1], got ${f}`);
  return Math.min(n, Math.max(1, Math.ceil(f * n)));
}

export function topKOverlap(predicted: ArrayLike<number>, truth: ArrayLike<number>, k: TopK): TopKResult {
  const p = finitePairs(predicted, truth, 'top-k overlap');
  const n = p.x.length;
  const kk = resolveK(k, n);
  const inPredicted = topKMembership(p.x, kk);
  const inTrue = topKMembership(p.y, kk);
  let overlap = 0;
  for (let i = 0; i < n; i++) overlap += inPredicted[i] * inTrue[i];
  return { value: overlap / kk, overlap, k: kk, n, dropped: p.dropped };
}

/** Probability that each cell is in the top k under uniformly random tie-breaking. */
export function topKMembership(v: Float64Array, k: number): Float64Array {
  const sorted = Float64Array.from(v).sort(); // ascending
  const kth = sorted[v.length - k]; // the k-th largest value
  let above = 0;
  let tied = 0;
  for (let i = 0; i < v.length; i++) {
    if (v[i] > kth) above++;
    else if (v[i] === kth) tied++;
  }
  const pTied = (k - above) / tied;
  const m = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) m[i] = v[i] > kth ? 1 : v[i] === kth ? pTied : 0;
  return m;
}

export interface BestRankingResult {
  /** Expected best true rank among the predicted top k, as a fraction of n (1/n = the best cell found). */
  value: number;
  /** The same rank, 1-based. */
  rank: number;
  k: number;
  n: number;
  dropped: number;
}

/**
 * BestRanking@k (NAS-Bench-Suite-Zero's BR@K, NASLib `minmax_n_at_k`): the best true rank
 * (1 = the most accurate cell) among the k cells with the highest proxy score, divided by n.
 * Lower is better. True ranks of tied accuracies are their best rank (1 + cells strictly above).
 * Ties at the predicted k-th place are broken uniformly at random, as in topKOverlap, and the
 * value is the exact expectation: the cells strictly above the boundary are always in; of the g
 * tied cells, m = k - a are drawn, and the tied cell with the j-th best true rank is the best
 * drawn with probability C(g-j, m-1) / C(g, m).
 */
export function bestRankingAtK(predicted: ArrayLike<number>, truth: ArrayLike<number>, k: TopK): BestRankingResult {
  const p = finitePairs(predicted, truth, 'best ranking at k');
  const n = p.x.length;
  const kk = resolveK(k, n);
  const sortedTruth = Float64Array.from(p.y).sort();
  // 1 + number of cells with strictly higher accuracy (binary search in the ascending copy)
  const trueRank = (y: number): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sortedTruth[mid]! <= y) lo = mid + 1;
      else hi = mid;
    }
    return n - lo + 1;
  };
  const sortedPred = Float64Array.from(p.x).sort();
  const kth = sortedPred[n - kk]!;
  let best = Infinity;
  const tiedRanks: number[] = [];
  for (let i = 0; i < n; i++) {
    if (p.x[i]! > kth) best = Math.min(best, trueRank(p.y[i]!));
    else if (p.x[i] === kth) tiedRanks.push(trueRank(p.y[i]!));
  }
  const above = n - tiedRanks.length - sortedPred.filter((v) => v < kth).length;
  const m = kk - above;
  tiedRanks.sort((a, b) => a - b);
  const g = tiedRanks.length;
  // E[min(best, best drawn tied rank)]; P(j-th best tied is the best drawn) = C(g-j, m-1)/C(g, m), j 1-based
  let expected = 0;
  let pj = m / g; // j = 1: C(g-1, m-1)/C(g, m) = m/g
  for (let j = 1; j <= g - m + 1; j++) {
    expected += pj * Math.min(best, tiedRanks[j - 1]!);
    // C(g-j-1, m-1)/C(g-j, m-1) = (g-j-m+1)/(g-j)
    pj = g - j > 0 ? (pj * (g - j - m + 1)) / (g - j) : 0;
  }
  return { value: expected / n, rank: expected, k: kk, n, dropped: p.dropped };
}
