/**
 * The zero-cost paper's "vote" (Abdelfattah et al., ICLR 2021, Table 1): for every pair of
 * architectures, each proxy votes for the one it scores higher; the majority's choice is compared
 * with the benchmark's order, and the result is the fraction of pairs the majority ranks
 * correctly. The paper gives no tie rule; ours: a proxy scoring the pair equal abstains, an
 * undecided majority (no side has more votes) counts as half right, and pairs whose accuracies are
 * equal, or where any proxy's score is not finite, are left out (their count is reported).
 * O(n² · proxies): 15,625 cells are 122M pairs, a few seconds.
 */
export interface VoteResult {
  /** Fraction of compared pairs whose majority vote matches the accuracy order. */
  agreement: number;
  /** Pairs compared. */
  pairs: number;
  /** Architectures left out for a non-finite score or accuracy. */
  dropped: number;
}

export function voteAgreement(scores: readonly ArrayLike<number>[], truth: ArrayLike<number>): VoteResult {
  const n = truth.length;
  for (const s of scores) {
    if (s.length !== n) throw new RangeError(`voteAgreement: score arrays must match truth's length ${n}, got ${s.length}`);
  }
  const keep: number[] = [];
  for (let i = 0; i < n; i++) {
    if (Number.isFinite(truth[i]!) && scores.every((s) => Number.isFinite(s[i]!))) keep.push(i);
  }
  let right = 0;
  let pairs = 0;
  for (let a = 0; a < keep.length; a++) {
    const i = keep[a]!;
    for (let b = a + 1; b < keep.length; b++) {
      const j = keep[b]!;
      const t = Math.sign(truth[i]! - truth[j]!);
      if (t === 0) continue;
      let votes = 0;
      for (const s of scores) votes += Math.sign(s[i]! - s[j]!);
      pairs++;
      if (votes === 0) right += 0.5;
      else if (Math.sign(votes) === t) right += 1;
    }
  }
  return { agreement: pairs > 0 ? right / pairs : NaN, pairs, dropped: n - keep.length };
}
