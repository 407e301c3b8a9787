/**
 * Ground truths as the papers define them, resolved against the store. The label written into the
 * report names the dataset, split, budget and the release the values came from, because the
 * releases differ for ~2,400 NB201 cells and the papers did not all use the same one.
 */
import type { BenchmarkStore, MetricQuery } from '../benchmarks/store.ts';

export interface GroundTruth {
  /** e.g. 'cifar10-valid x-valid 200ep (nb201-v1_0)'. */
  label: string;
  values: Float64Array;
}

export function groundTruth(store: BenchmarkStore, q: MetricQuery): GroundTruth | { label: string; missing: string } {
  const base = `${q.dataset} ${q.split} ${q.epochs}ep`;
  try {
    const col = store.resolve(q);
    return { label: `${base} (${col.origin})`, values: store.column(q) };
  } catch (e) {
    return { label: base, missing: (e as Error).message };
  }
}

/** The accuracies of `cells` (store rows = NB201 indices). */
export function valuesAt(values: Float64Array, cells: readonly number[]): Float64Array {
  return Float64Array.from(cells, (i) => values[i]!);
}
