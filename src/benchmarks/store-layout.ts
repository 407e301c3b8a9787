/**
 * The canonical on-disk layout of a benchmark store (HDF5), shared by the writer and the reader.
 *
 *   /                       attrs: format='nasrepro-store', version, benchmark ('nb201'|'nb101'),
 *                                  sources (JSON array of SourceInfo + origin), created (ISO time)
 *   /keys                   one string per row: the NB201 arch string (row = official index) or
 *                           the NB101 module hash
 *   /nb101/matrix           uint8 [rows, 49]: 7x7 row-major adjacency, zero-padded (NB101 only)
 *   /nb101/ops              int8  [rows, 7]: op codes (OP_CODES), -9 = no vertex (NB101 only)
 *   /nb101/vertices         uint8 [rows]: vertex count, 0 = matrix unknown (hash-only sources)
 *   /metrics/<origin>/<dataset>/<split>/<metric>/<epochs>
 *                           float64 [rows, slots]; attr seeds = JSON list, slot 0 is always 'mean';
 *                           NaN = the source has no value (never 0)
 *
 * Why columns per (origin, dataset, split, metric, epochs) with seeds as a second axis: a proxy
 * study reads one ground truth for every cell at once, which is then one contiguous read; and
 * the origin level keeps NB201 v1.0 and NATS values side by side where they disagree.
 */
export const STORE_FORMAT = 'nasrepro-store';
export const STORE_VERSION = 1;

export type BenchmarkName = 'nb201' | 'nb101';

/** Identifies one column of the store (every seed of one metric). */
export interface MetricKey {
  origin: string;
  dataset: string;
  split: string;
  metric: string;
  epochs: number;
}

/** A column as the store lists it. */
export interface MetricColumn extends MetricKey {
  seeds: string[];
}

export const MEAN_SEED = 'mean';

export function metricPath(k: MetricKey): string[] {
  return ['metrics', k.origin, k.dataset, k.split, k.metric, String(k.epochs)];
}

export function describeMetric(k: MetricKey): string {
  return `${k.dataset} ${k.split} ${k.metric} @${k.epochs} epochs (${k.origin})`;
}

/** NB101 vertex labels and the codes stored in /nb101/ops (the NB101 hash's labels). */
export const NB101_OP_CODES: Record<string, number> = {
  input: -1,
  output: -2,
  'conv3x3-bn-relu': 0,
  'conv1x1-bn-relu': 1,
  maxpool3x3: 2,
};
export const NB101_NO_VERTEX = -9;
