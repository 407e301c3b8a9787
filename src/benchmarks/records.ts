/**
 * The neutral record every benchmark reader emits and the HDF5 store consumes.
 *
 * Readers of official formats (NB201 .pth, NATS-tss directory, NB101 tfrecord, CSV tables) turn
 * whatever nesting their format has into flat MetricValue rows, one architecture at a time, so
 * the store never depends on a source format and a reader never holds more than one architecture.
 *
 * Naming follows the official files so that a researcher recognises every key:
 * - dataset: 'cifar10-valid' | 'cifar10' | 'cifar100' | 'ImageNet16-120' (NB201), 'cifar10' (NB101)
 * - split:   the official eval names 'x-valid' | 'x-test' | 'ori-test', plus 'train';
 *            NB101 uses 'train' | 'valid' | 'test'; model properties use 'model'
 * - metric:  'accuracy' (percent for NB201 as the files store it, fraction for NB101 as its files
 *            store it) | 'loss' | 'time' (seconds) | 'params_M' | 'flops_M' | 'latency_s' |
 *            'params' (NB101 trainable parameters, a count)
 * - epochs:  the training budget (NB201 hp 12 / 200; NB101 4 / 12 / 36 / 108)
 * - seed:    the seed as a string ('777', '888', '999'; NB101 'run0'..'run2'), or 'mean' when the
 *            source only has the mean over seeds (CSV tables)
 */
export interface MetricValue {
  dataset: string;
  split: string;
  metric: string;
  epochs: number;
  seed: string;
  value: number;
  /**
   * Set only by sources that mix releases (the CSV tables); otherwise the reader's own origin
   * applies to every value.
   */
  origin?: string;
}

/** One architecture of NB201 as a reader emits it. */
export interface NB201Record {
  /** Row of meta_archs, 0..15624. */
  index: number;
  /** Official arch string, e.g. '|nor_conv_3x3~0|+|none~0|skip_connect~1|+|...|'. */
  arch: string;
  metrics: MetricValue[];
}

/** One NB101 cell as a reader emits it. matrix/ops are absent for hash-only tables. */
export interface NB101Record {
  /** Official module hash (32 hex chars). */
  hash: string;
  /** Row-major adjacency, upper triangular, n x n with n <= 7. */
  matrix?: number[][];
  /** Vertex labels: 'input', 'conv3x3-bn-relu', 'conv1x1-bn-relu', 'maxpool3x3', 'output'. */
  ops?: string[];
  metrics: MetricValue[];
}

/**
 * Where a store's values came from. The NB201 v1.0 release and NATS-Bench differ for about 2,400
 * cells, so every metric in the store carries its origin and reports name it in their
 * ground-truth column.
 *   'nb201-v1_0'   NAS-Bench-201-v1_0-e61699.pth
 *   'nb201-v1_1'   NAS-Bench-201-v1_1-096897.pth
 *   'nb201-pth'    another .pth in the official layout whose version the file name does not tell
 *   'nats-tss-v1_0' NATS-tss-v1_0-3ffb9 (simple directory)
 *   'nb101'        the official NB101 tfrecord
 * CSV tables name the origin per column (see the CSV reader).
 */
export type Origin = string;

/** Provenance recorded as attributes of the store. */
export interface SourceInfo {
  path: string;
  format: string;
  /** sha256 of the file (of the concatenated files, sorted by name, for a directory). */
  sha256: string;
  /** md5 likewise (NB201 names carry its last digits); absent in stores written before it was recorded. */
  md5?: string;
  bytes: number;
  /** Size and mtime digest (src/benchmarks/source-info.ts): tells an unchanged source from a new one. */
  fingerprint?: string;
}
