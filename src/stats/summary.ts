/**
 * Mean and standard deviation of repeated runs (search protocols report "mean ± std over 500
 * runs"), from simple-statistics: `mean` (Kahan-Babuska summation), `standardDeviation` (the
 * population one, ddof 0) and `sampleStandardDeviation` (ddof 1).
 *
 * Convention: ddof defaults to 0, numpy.std's default, which is what the papers' code reports;
 * pass 1 for the sample standard deviation. Where the library and the project differ we keep the
 * project's: one value with ddof 1 gives NaN (undefined) where the library throws, and a
 * non-finite value is an error naming its position where the library would return NaN silently.
 */
import { mean, sampleStandardDeviation, standardDeviation } from 'simple-statistics';

export interface MeanStd {
  mean: number;
  std: number;
  n: number;
}

export function meanStd(values: ArrayLike<number>, ddof: 0 | 1 = 0): MeanStd {
  const n = values.length;
  if (n === 0) throw new RangeError('meanStd: no values');
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i])) throw new RangeError(`meanStd: value ${i} is not finite (${values[i]})`);
  }
  const v = Array.from(values);
  const std = ddof === 0 ? standardDeviation(v) : n > 1 ? sampleStandardDeviation(v) : NaN;
  return { mean: mean(v), std, n };
}
