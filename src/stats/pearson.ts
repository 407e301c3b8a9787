/**
 * Pearson's product-moment correlation over the finite pairs.
 *
 * Two-pass (centre first, then sum products) and each column scaled by its largest deviation
 * before multiplying: r is invariant to that scaling, and it keeps squares of very large or very
 * small proxy scores (synflow reaches 1e30+) from overflowing or underflowing float64.
 */
import { constantColumnReason, finitePairs, type CorrelationResult } from './pairs.ts';

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): CorrelationResult {
  const p = finitePairs(x, y, 'pearson');
  const n = p.x.length;
  const reason = constantColumnReason(p.x, p.y);
  if (reason !== undefined) return { value: NaN, n, dropped: p.dropped, reason };
  return { value: pearsonOfVarying(p.x, p.y), n, dropped: p.dropped };
}

/** r for two finite columns that both vary (callers have checked). Clamped to [-1, 1]. */
export function pearsonOfVarying(x: Float64Array, y: Float64Array): number {
  const dx = centredAndScaled(x);
  const dy = centredAndScaled(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < dx.length; i++) {
    sxy += dx[i] * dy[i];
    sxx += dx[i] * dx[i];
    syy += dy[i] * dy[i];
  }
  const r = sxy / Math.sqrt(sxx * syy);
  // Rounding can push |r| a hair past 1 for perfectly (anti)correlated columns.
  return Math.max(-1, Math.min(1, r));
}

function centredAndScaled(v: Float64Array): Float64Array {
  const n = v.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += v[i];
  let mean = sum / n;
  if (!Number.isFinite(mean)) {
    // The sum of huge values overflowed: sum v/n instead (a little less exact, never infinite).
    mean = 0;
    for (let i = 0; i < n; i++) mean += v[i] / n;
  }
  const d = new Float64Array(n);
  let scale = 0;
  for (let i = 0; i < n; i++) {
    d[i] = v[i] - mean;
    scale = Math.max(scale, Math.abs(d[i]));
  }
  if (scale > 0 && Number.isFinite(scale)) for (let i = 0; i < n; i++) d[i] /= scale;
  return d;
}
