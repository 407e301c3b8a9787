/**
 * What every experiment does to turn scores into a report row: correlate (NaN with the reason
 * when too few cells have finite values), bootstrap a 95% interval over cells, and attach the
 * published number; or a row that says why there is no number.
 */
import type { CorrelationEntry, PublishedValue } from '../report/correlation-table.ts';
import { bootstrapCI, correlateOrReason, type CorrelationMetric } from '../stats/index.ts';

export const BOOTSTRAP_RESAMPLES = 1000;

export interface RowIdentity {
  /** published.csv's paper id of the table the row belongs to. */
  paper?: string;
  /** The cell population the value is over (a check identity; e.g. 'nb201:sample(1000,seed=0)'). */
  population?: string;
  method: string;
  benchmark: string;
  dataset: string;
  groundTruth: string;
  metric: CorrelationMetric;
  published?: PublishedValue | null;
}

export function measuredEntry(
  id: RowIdentity,
  x: Float64Array,
  y: Float64Array,
  run: { backend: string; wallSeconds: number; notes: string[] },
): CorrelationEntry {
  const result = correlateOrReason(id.metric, x, y);
  const ci = Number.isNaN(result.value) ? null : bootstrapCI(x, y, id.metric, { resamples: BOOTSTRAP_RESAMPLES, seed: 0 });
  return { ...id, published: id.published ?? null, result, ci: ci ? { low: ci.low, high: ci.high } : null, ...run };
}

export function missingEntry(id: RowIdentity, reason: string): CorrelationEntry {
  return { ...id, published: id.published ?? null, result: { value: NaN, n: 0, dropped: 0, reason }, ci: null, backend: 'n/a', wallSeconds: 0 };
}
