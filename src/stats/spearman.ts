/**
 * Spearman's rho with ties: Pearson's r of the average ranks (as scipy.stats.spearmanr does), via
 * simple-statistics' `sampleRankCorrelation`, which gives tied values the mean of the ranks they
 * span (since 7.10). The shortcut 1 - 6Σd²/(n(n²-1)) is wrong under ties, so it is not used.
 * Clamped to [-1, 1] like Pearson's r.
 */
import { sampleRankCorrelation } from 'simple-statistics';
import { constantColumnReason, finitePairs, type CorrelationResult } from './pairs.ts';

export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): CorrelationResult {
  const p = finitePairs(x, y, 'spearman');
  const n = p.x.length;
  const reason = constantColumnReason(p.x, p.y);
  if (reason !== undefined) return { value: NaN, n, dropped: p.dropped, reason };
  // The library pairs each value with its index in a plain array (a typed array cannot hold pairs).
  const rho = sampleRankCorrelation(Array.from(p.x), Array.from(p.y));
  return { value: Math.max(-1, Math.min(1, rho)), n, dropped: p.dropped };
}
