/**
 * The correlation metrics the papers report, by the names published.csv uses in its `metric`
 * column, so an experiment can compute "the same metric as the paper" from that one string.
 */
import { kendallTauB } from './kendall.ts';
import type { CorrelationResult } from './pairs.ts';
import { pearson } from './pearson.ts';
import { spearman } from './spearman.ts';

export const CORRELATION_METRICS = ['kendall_tau', 'spearman', 'spearman_abs', 'pearson'] as const;
/**
 * kendall_tau: tau-b. spearman: rho. spearman_abs: |rho|, the zero-cost-proxies paper's Table 1
 * shows magnitudes. pearson: r (not used by the papers' tables; for diagnostics).
 */
export type CorrelationMetric = (typeof CORRELATION_METRICS)[number];

export interface MetricResult extends CorrelationResult {
  metric: CorrelationMetric;
  /** The signed coefficient; equals `value` except for spearman_abs, whose value is |signed|. */
  signed: number;
}

export function isCorrelationMetric(s: string): s is CorrelationMetric {
  return (CORRELATION_METRICS as readonly string[]).includes(s);
}

export function correlate(metric: CorrelationMetric, x: ArrayLike<number>, y: ArrayLike<number>): MetricResult {
  switch (metric) {
    case 'kendall_tau':
      return withSigned(metric, kendallTauB(x, y), false);
    case 'spearman':
      return withSigned(metric, spearman(x, y), false);
    case 'spearman_abs':
      return withSigned(metric, spearman(x, y), true);
    case 'pearson':
      return withSigned(metric, pearson(x, y), false);
    default: {
      const never: never = metric;
      throw new RangeError(`unknown correlation metric: ${String(never)}`);
    }
  }
}

function withSigned(metric: CorrelationMetric, r: CorrelationResult, abs: boolean): MetricResult {
  return { ...r, metric, signed: r.value, value: abs ? Math.abs(r.value) : r.value };
}

/**
 * correlate, but a sample too small to correlate (fewer than two finite pairs, e.g. a proxy run
 * on zero cells) gives NaN with the reason instead of throwing, for report rows.
 */
export function correlateOrReason(metric: CorrelationMetric, x: ArrayLike<number>, y: ArrayLike<number>): MetricResult {
  try {
    return correlate(metric, x, y);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return { metric, value: NaN, signed: NaN, n: 0, dropped: x.length, reason: e.message };
  }
}
