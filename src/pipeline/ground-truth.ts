/**
 * Ground truths as the papers define them, resolved against the store. The label written into the
 * report names the dataset, split, budget, the release the values came from and the file that
 * release was read from, because the releases differ for ~2,400 NB201 cells and the papers did
 * not all use the same one.
 *
 * Which release, when the store has several (data discovery imports every file in DATA): the one
 * each experiment documents, in this order of preference (GROUND_TRUTH_ORIGINS):
 * - cifar10 ori-test, 200 epochs: NATS-tss first (the NASWOT experiment's extra CIFAR-10 test row
 *   and FreeDARTS document NATS), then v1.1, then v1.0;
 * - every other 200-epoch truth: NB201 v1.0 first, the release the papers' numbers were computed
 *   on (the zero-cost reference's README downloads NAS-Bench-201-v1_0-e61699.pth; the NASWOT and
 *   BN-NAS experiments document v1.0 for cifar10-valid), then v1.1, then NATS-tss;
 * - 12 epochs: v1.1 first (v1.0 has 12-epoch results for cifar10-valid only), then NATS-tss, then v1.0;
 * - then any other origin (a `.pth` whose version its name does not tell, 'nb201-pth').
 * A query that names its origin gets exactly that one.
 *
 * A ground truth none of the files provides gets a `missing` text that names the official files
 * that would (releases.ts knows what each release holds).
 */
import path from 'node:path';
import { MissingColumnError, type BenchmarkStore, type MetricQuery } from '../benchmarks/store.ts';
import { releasesHolding } from '../benchmarks/releases.ts';
import { describeMetric, metricPath, type MetricColumn } from '../benchmarks/store-layout.ts';
import type { AssembledSource } from './data-sources.ts';

export interface GroundTruth {
  /** e.g. 'cifar10-valid x-valid 200ep (nb201-v1_0: NAS-Bench-201-v1_0-e61699.pth)'. */
  label: string;
  values: Float64Array;
  origin: string;
  /** The file the column was read from (absolute path), when the store records it. */
  file?: string;
}

/** The preferred origins for a ground truth, best first (see the module comment). */
export function groundTruthOrigins(q: Pick<MetricQuery, 'dataset' | 'split' | 'epochs'>): string[] {
  if (q.epochs === 12) return ['nb201-v1_1', 'nats-tss-v1_0', 'nb201-v1_0', 'nb201-pth'];
  if (q.dataset === 'cifar10' && q.split === 'ori-test') return ['nats-tss-v1_0', 'nb201-v1_1', 'nb201-v1_0', 'nb201-pth'];
  return ['nb201-v1_0', 'nb201-v1_1', 'nats-tss-v1_0', 'nb201-pth'];
}

/** The column a ground truth is read from: the query's origin, or the preferred one present. */
export function resolveGroundTruth(store: BenchmarkStore, q: MetricQuery): MetricColumn | undefined {
  const metric = q.metric ?? 'accuracy';
  const matches = store.columns.filter(
    (c) => c.dataset === q.dataset && c.split === q.split && c.metric === metric && c.epochs === q.epochs && (q.origin === undefined || c.origin === q.origin),
  );
  if (matches.length <= 1) return matches[0];
  const order = groundTruthOrigins(q);
  const rank = (o: string) => (order.includes(o) ? order.indexOf(o) : order.length);
  return [...matches].sort((a, b) => rank(a.origin) - rank(b.origin) || a.origin.localeCompare(b.origin))[0];
}

/** The file a store column came from, when the store records it. */
export function sourceFileOf(store: BenchmarkStore, col: MetricColumn): string | undefined {
  const id = metricPath(col).join('/');
  const sources = store.sources as AssembledSource[];
  const byColumn = sources.find((s) => s.provides?.includes(id));
  if (byColumn) return byColumn.path;
  const byOrigin = sources.filter((s) => s.origin === col.origin);
  if (byOrigin.length === 1) return byOrigin[0]!.path;
  return sources.length === 1 ? sources[0]!.path : undefined;
}

/** "origin: file, file" for report labels: the files a store's origin was read from. */
export function originWithFiles(store: BenchmarkStore, origin: string): string {
  const files = store.sources.filter((s) => s.origin === origin).map((s) => path.basename(s.path));
  return files.length > 0 ? `${origin}: ${files.join(', ')}` : origin;
}

/** "X, Y or Z would provide it" for a ground truth the store lacks. */
export function missingGroundTruthText(store: BenchmarkStore, q: MetricQuery): string {
  const base = `${q.dataset} ${q.split} ${q.epochs}ep`;
  const order = groundTruthOrigins(q);
  const files = releasesHolding(store.benchmark, q.dataset, q.split, q.epochs)
    .sort((a, b) => (order.indexOf(a.origin) + 1 || 99) - (order.indexOf(b.origin) + 1 || 99))
    .map((r) => r.name);
  const would = files.length > 0 ? `; ${files.join(', ')} would provide it (put one in DATA/${store.benchmark}/)` : '';
  const origin = q.origin ? ` from ${q.origin}` : '';
  return `none of the files in the store has ${base}${origin}${would}`;
}

export function groundTruth(store: BenchmarkStore, q: MetricQuery): GroundTruth | { label: string; missing: string } {
  const base = `${q.dataset} ${q.split} ${q.epochs}ep`;
  const col = resolveGroundTruth(store, q);
  if (!col) return { label: base, missing: missingGroundTruthText(store, q) };
  try {
    const values = store.column({ ...q, origin: col.origin });
    const file = sourceFileOf(store, col);
    return { label: `${base} (${col.origin}${file ? `: ${path.basename(file)}` : ''})`, values, origin: col.origin, file };
  } catch (e) {
    // Only "no such column/seed" (e.g. the column lacks the seed asked for) is a missing truth; a
    // failing read or corrupt store must surface, not become a "not in store" row.
    if (!(e instanceof MissingColumnError)) throw e;
    return { label: base, missing: `${describeMetric(col)}: ${e.message}` };
  }
}

/** The accuracies of `cells` (store rows = NB201 indices). */
export function valuesAt(values: Float64Array, cells: readonly number[]): Float64Array {
  return Float64Array.from(cells, (i) => values[i]!);
}
