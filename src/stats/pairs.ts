/**
 * Shared plumbing of the correlation functions: pairing two columns, dropping the pairs that
 * cannot be ranked, and the result shape every correlation returns.
 *
 * A proxy can return NaN or ±Infinity for some cells (e.g. a log-det of a singular kernel); those
 * cells are dropped from a correlation, never silently replaced, and the count of dropped pairs
 * travels with the value so a report can say "over 15,612 of 15,625 cells".
 */

/** The outcome of one correlation. */
export interface CorrelationResult {
  /** The coefficient, or NaN when it is undefined for this input (see `reason`). */
  value: number;
  /** Pairs used: both values finite. */
  n: number;
  /** Pairs dropped because either value was NaN or ±Infinity. */
  dropped: number;
  /** Why `value` is NaN, e.g. "all 12 x values are tied"; absent when `value` is a number. */
  reason?: string;
}

/** The finite pairs of two columns, copied into float64 arrays. */
export interface FinitePairs {
  x: Float64Array;
  y: Float64Array;
  dropped: number;
}

/**
 * Keep the pairs where both values are finite.
 * Throws (RangeError) when the columns differ in length or fewer than 2 finite pairs remain: no
 * correlation is defined there, and that is a bug or an empty experiment, not a value to report.
 */
export function finitePairs(x: ArrayLike<number>, y: ArrayLike<number>, what = 'correlation'): FinitePairs {
  if (x.length !== y.length) {
    throw new RangeError(`${what}: the two columns differ in length (${x.length} vs ${y.length})`);
  }
  const keep: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i]) && Number.isFinite(y[i])) keep.push(i);
  }
  const dropped = x.length - keep.length;
  if (keep.length < 2) {
    throw new RangeError(
      `${what}: needs at least 2 pairs with finite values, got ${keep.length} ` +
        `(${x.length} pairs, ${dropped} dropped as NaN/Infinity)`,
    );
  }
  const fx = new Float64Array(keep.length);
  const fy = new Float64Array(keep.length);
  for (let k = 0; k < keep.length; k++) {
    fx[k] = x[keep[k]];
    fy[k] = y[keep[k]];
  }
  return { x: fx, y: fy, dropped };
}

/**
 * The reason a coefficient is undefined because one column is constant, or undefined when both
 * vary. Every coefficient here divides by the spread of each column, so a constant column (all
 * values tied) gives 0/0: we report NaN with this reason rather than 0, because "no ranking
 * information" is not "no correlation".
 */
export function constantColumnReason(x: Float64Array, y: Float64Array): string | undefined {
  const xConst = isConstant(x);
  const yConst = isConstant(y);
  if (xConst && yConst) return `all ${x.length} x values and all y values are tied (both columns constant)`;
  if (xConst) return `all ${x.length} x values are tied (x is constant)`;
  if (yConst) return `all ${y.length} y values are tied (y is constant)`;
  return undefined;
}

function isConstant(v: Float64Array): boolean {
  for (let i = 1; i < v.length; i++) if (v[i] !== v[0]) return false;
  return true;
}
