/**
 * Mean and standard deviation of repeated runs (search protocols report "mean ± std over 500
 * runs"). ddof defaults to 0, numpy.std's default; pass 1 for the sample standard deviation.
 */
export interface MeanStd {
  mean: number;
  std: number;
  n: number;
}

export function meanStd(values: ArrayLike<number>, ddof: 0 | 1 = 0): MeanStd {
  const n = values.length;
  if (n === 0) throw new RangeError('meanStd: no values');
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i])) throw new RangeError(`meanStd: value ${i} is not finite (${values[i]})`);
    sum += values[i];
  }
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  const std = n - ddof > 0 ? Math.sqrt(ss / (n - ddof)) : NaN;
  return { mean, std, n };
}
