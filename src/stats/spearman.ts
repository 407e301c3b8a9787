/**
 * Spearman's rho with ties: Pearson's r of the average ranks (as scipy.stats.spearmanr does).
 * The shortcut 1 - 6Σd²/(n(n²-1)) is wrong under ties, so it is not used.
 */
import { averageRanks } from './ranks.ts';
import { constantColumnReason, finitePairs, type CorrelationResult } from './pairs.ts';
import { pearsonOfVarying } from './pearson.ts';

export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): CorrelationResult {
  const p = finitePairs(x, y, 'spearman');
  const n = p.x.length;
  const reason = constantColumnReason(p.x, p.y);
  if (reason !== undefined) return { value: NaN, n, dropped: p.dropped, reason };
  return { value: pearsonOfVarying(averageRanks(p.x), averageRanks(p.y)), n, dropped: p.dropped };
}
