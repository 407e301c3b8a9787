/**
 * Quantile of an ascending-sorted array by linear interpolation between order statistics
 * (Hyndman & Fan type 7, numpy.quantile's default), q in [0, 1]: simple-statistics'
 * `quantileSorted`, which implements exactly type 7. Kept as a wrapper for the project's
 * convention on an empty array: NaN (the bootstrap reports an interval of NaN when every resample
 * was undefined) where the library throws.
 */
import { quantileSorted as ssQuantileSorted } from 'simple-statistics';

export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be in [0, 1], got ${q}`);
  return ssQuantileSorted(Array.isArray(sorted) ? sorted : Array.from(sorted), q);
}
