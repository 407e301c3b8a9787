/**
 * Pearson's product-moment correlation over the finite pairs: simple-statistics'
 * `sampleCorrelation` (the sample covariance over both sample standard deviations; the n-1 cancels).
 *
 * Each column is first divided by its largest magnitude: r is invariant to that scaling, and it
 * keeps squares of very large or very small proxy scores (synflow reaches 1e30+, squares of 1e200
 * overflow float64) from becoming Infinity or 0, which the library would turn into NaN. The result
 * is clamped to [-1, 1]: rounding can push |r| a hair past 1 for perfectly (anti)correlated columns.
 */
import { sampleCorrelation } from 'simple-statistics';
import { constantColumnReason, finitePairs, type CorrelationResult } from './pairs.ts';

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): CorrelationResult {
  const p = finitePairs(x, y, 'pearson');
  const n = p.x.length;
  const reason = constantColumnReason(p.x, p.y);
  if (reason !== undefined) return { value: NaN, n, dropped: p.dropped, reason };
  return { value: pearsonOfVarying(p.x, p.y), n, dropped: p.dropped };
}

/** r for two finite columns that both vary (callers have checked). Clamped to [-1, 1]. */
export function pearsonOfVarying(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const r = sampleCorrelation(scaledToUnit(x), scaledToUnit(y));
  return Math.max(-1, Math.min(1, r));
}

/** The column divided by its largest |value| (unchanged when that is 0 or not finite). */
function scaledToUnit(v: ArrayLike<number>): number[] {
  let scale = 0;
  for (let i = 0; i < v.length; i++) scale = Math.max(scale, Math.abs(v[i]!));
  const out = Array.from(v);
  if (scale > 0 && Number.isFinite(scale)) for (let i = 0; i < out.length; i++) out[i]! /= scale;
  return out;
}
