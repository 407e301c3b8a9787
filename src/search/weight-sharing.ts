/**
 * The statistics of the weight-sharing study (Zhang et al., "Deeper Insights into Weight Sharing
 * in Neural Architecture Search", arXiv 2001.01431), on rankings of the 64-child subspace
 * (src/supernet/subspace.ts) or of the full-space sample (S-Tau, GT-Tau and top-1 rank take score
 * vectors of any length; the groupings are the subspace's). Pure functions of score vectors: the experiment
 * (experiments/nb201-weight-sharing.ts) trains the supernets and hands the scores over.
 *
 * - S-Tau: the mean Kendall τ-b over every pair of runs (seeds) of their child rankings, with the
 *   std over those pairs.
 * - GT-Tau: each run's Kendall τ-b against the stand-alone ground truth; mean ± std over runs.
 * - top-1 rank: the ground-truth rank (1 = the best child) of the child a run ranks first (the
 *   paper's "best ground-truth rank among the top 1"); ties in the run's scores: the first child
 *   with the maximum score, ties in the truth: the competition rank (1 + number strictly better).
 * - groupings for partial sharing: m groups of 64/m children, each group its own supernet:
 *   - random: a seeded permutation cut into m equal blocks;
 *   - similarity (ours; the paper groups "similar" children without a formula we could read): a
 *     greedy clustering under an op-aware Hamming distance on the free-edge op strings: a
 *     mismatch costs 1, or 0.5 when both ops are of one family (nor_conv_3x3 / nor_conv_1x1; or the
 *     parameter-free avg_pool_3x3 / skip_connect). In a seeded order, the first unassigned child
 *     opens a group and takes the 64/m - 1 nearest unassigned children (ties by that order);
 *   - prefix (the paper's prefix sharing, mapped to our three free edges): children sharing their
 *     first k free-edge ops share one supernet, so k = 0, 1, 2, 3 gives m = 1, 4, 16, 64.
 * NaN scores are not ranked: correlate() drops the pairs, and a run with a NaN score makes its
 * top-1 rank NaN rather than silently skipping the child.
 */
import { createPrng } from '../stats/prng.ts';
import { correlate } from '../stats/correlate.ts';
import { meanStd, type MeanStd } from '../stats/summary.ts';
import { childDigits, SUBSPACE_OPS, SUBSPACE_SIZE } from '../supernet/subspace.ts';

export interface TauSummary {
  /** Mean over pairs (S-Tau) or runs (GT-Tau). */
  mean: number;
  std: number;
  n: number;
  /** Every pairwise / per-run value. */
  values: number[];
}

function summary(values: number[]): TauSummary {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { mean: NaN, std: NaN, n: 0, values };
  const s: MeanStd = meanStd(finite);
  return { mean: s.mean, std: s.std, n: s.n, values };
}

export function kendall(x: ArrayLike<number>, y: ArrayLike<number>): number {
  return correlate('kendall_tau', x, y).value;
}

/** S-Tau: mean pairwise Kendall τ between the runs' rankings (needs at least two runs). */
export function sTau(runs: readonly ArrayLike<number>[]): TauSummary {
  if (runs.length < 2) throw new RangeError(`S-Tau needs at least two runs, got ${runs.length}`);
  const values: number[] = [];
  for (let i = 0; i < runs.length; i++) for (let j = i + 1; j < runs.length; j++) values.push(kendall(runs[i]!, runs[j]!));
  return summary(values);
}

/** GT-Tau: each run's Kendall τ against the ground truth. */
export function gtTau(runs: readonly ArrayLike<number>[], truth: ArrayLike<number>): TauSummary {
  return summary(runs.map((r) => kendall(r, truth)));
}

/** Ground-truth rank (1 = best) of the child `scores` ranks first. */
export function top1Rank(scores: ArrayLike<number>, truth: ArrayLike<number>): number {
  if (scores.length !== truth.length || scores.length === 0) throw new RangeError(`top1Rank: ${scores.length} scores vs ${truth.length} truths`);
  let best = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i]!)) return NaN;
    if (scores[i]! > scores[best]!) best = i;
  }
  let better = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i]! > truth[best]!) better++;
  return 1 + better;
}

export function top1RankSummary(runs: readonly ArrayLike<number>[], truth: ArrayLike<number>): TauSummary {
  return summary(runs.map((r) => top1Rank(r, truth)));
}

/** τ between consecutive rankings of one run (the ranking's movement along training). */
export function consecutiveTau(series: readonly ArrayLike<number>[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < series.length; i++) out.push(kendall(series[i - 1]!, series[i]!));
  return out;
}

export type Grouping = 'random' | 'similarity' | 'prefix';
export const GROUPINGS: readonly Grouping[] = ['random', 'similarity', 'prefix'];

function checkM(m: number, n: number): void {
  if (!Number.isInteger(m) || m < 1 || n % m !== 0) throw new RangeError(`m must be a positive divisor of ${n}, got ${m}`);
}

function permutation(n: number, seed: number): number[] {
  const rng = createPrng(seed);
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

/** m groups of n/m children from a seeded permutation. */
export function randomGroups(m: number, seed: number, n = SUBSPACE_SIZE): number[][] {
  checkM(m, n);
  const p = permutation(n, seed);
  const size = n / m;
  return Array.from({ length: m }, (_, g) => p.slice(g * size, (g + 1) * size).sort((a, b) => a - b));
}

const FAMILY = (op: string) => (op === 'nor_conv_3x3' || op === 'nor_conv_1x1' ? 'conv' : 'free');

/** The similarity grouping's distance between two subspace children (see the file comment). */
export function opAwareDistance(a: number, b: number): number {
  const da = childDigits(a);
  const db = childDigits(b);
  let d = 0;
  da.forEach((x, i) => {
    if (x === db[i]) return;
    d += FAMILY(SUBSPACE_OPS[x]!) === FAMILY(SUBSPACE_OPS[db[i]!]!) ? 0.5 : 1;
  });
  return d;
}

/** Greedy similarity grouping under `distance` (default opAwareDistance), seeded tie order. */
export function similarityGroups(m: number, seed: number, n = SUBSPACE_SIZE, distance: (a: number, b: number) => number = opAwareDistance): number[][] {
  checkM(m, n);
  const order = permutation(n, seed);
  const rankInOrder = new Map(order.map((c, i) => [c, i]));
  const size = n / m;
  const assigned = new Set<number>();
  const groups: number[][] = [];
  for (const head of order) {
    if (assigned.has(head)) continue;
    const candidates = order.filter((c) => c !== head && !assigned.has(c));
    candidates.sort((a, b) => distance(head, a) - distance(head, b) || rankInOrder.get(a)! - rankInOrder.get(b)!);
    const group = [head, ...candidates.slice(0, size - 1)];
    for (const c of group) assigned.add(c);
    groups.push(group.sort((a, b) => a - b));
  }
  return groups;
}

/** Prefix sharing: children with the same first k free-edge ops share a supernet (m = 4^k). */
export function prefixGroups(k: number): number[][] {
  if (!Number.isInteger(k) || k < 0 || k > 3) throw new RangeError(`prefix length k must be 0..3, got ${k}`);
  const byPrefix = new Map<string, number[]>();
  for (let c = 0; c < SUBSPACE_SIZE; c++) {
    const key = childDigits(c).slice(0, k).join(',');
    const g = byPrefix.get(key) ?? [];
    g.push(c);
    byPrefix.set(key, g);
  }
  return [...byPrefix.values()];
}

/** The groups of a grouping with m groups (prefix: m must be 4^k). */
export function groupsFor(grouping: Grouping, m: number, seed: number): number[][] {
  if (grouping === 'random') return randomGroups(m, seed);
  if (grouping === 'similarity') return similarityGroups(m, seed);
  const k = Math.round(Math.log(m) / Math.log(4));
  if (4 ** k !== m) throw new RangeError(`prefix sharing has m = 1, 4, 16 or 64 groups, got ${m}`);
  return prefixGroups(k);
}

/** Mean distance between members of one group, averaged over groups (how similar a grouping is). */
export function meanWithinGroupDistance(groups: readonly number[][], distance: (a: number, b: number) => number = opAwareDistance): number {
  let total = 0;
  let pairs = 0;
  for (const g of groups) for (let i = 0; i < g.length; i++) for (let j = i + 1; j < g.length; j++) {
    total += distance(g[i]!, g[j]!);
    pairs++;
  }
  return pairs === 0 ? 0 : total / pairs;
}
