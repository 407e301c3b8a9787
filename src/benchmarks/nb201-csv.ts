/**
 * NB201 tabular exports: a CSV with an `arch` column (official arch string) and metric columns.
 *
 * Two kinds of metric column are understood:
 * 1. The columns of the shared `nb201-accuracies.csv` (and the public exports it was joined from),
 *    whose meaning and release are fixed by KNOWN_COLUMNS below (see shared/data/README.md).
 * 2. Self-describing columns `<origin>:<dataset>:<split>:<metric>:<epochs>[:<seed>]`, e.g.
 *    `nats-tss-v1_0:cifar100:x-test:accuracy:200`, for tables of other provenance.
 * Any other column is an error naming it, since silently dropping a column would hide a typo
 * that leaves a ground truth missing.
 *
 * Values are seed means unless the column names a seed. Empty cells and 'nan' are missing values.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { DataError } from '../util/errors.ts';
import type { MetricValue, NB201Record } from './records.ts';

interface ColumnMeaning {
  origin: string;
  dataset: string;
  split: string;
  metric: string;
  epochs: number;
  seed: string;
}

/**
 * The shared table's columns. Releases: 200-epoch cifar10 / cifar100 / ImageNet16-120 columns are
 * NATS-Bench (tss), the cifar10-valid 200-epoch columns are NB201 v1.0, and every 12-epoch
 * column comes from NB201 v1.1 (shared/data/README.md). params_M is a property of the
 * architecture, identical in every release; it is filed under NATS.
 */
const KNOWN_COLUMNS: Record<string, ColumnMeaning> = {
  cifar10_test_200: m('nats-tss-v1_0', 'cifar10', 'ori-test', 'accuracy', 200),
  cifar100_test_200: m('nats-tss-v1_0', 'cifar100', 'x-test', 'accuracy', 200),
  imagenet16_test_200: m('nats-tss-v1_0', 'ImageNet16-120', 'x-test', 'accuracy', 200),
  cifar10valid_val_200: m('nb201-v1_0', 'cifar10-valid', 'x-valid', 'accuracy', 200),
  cifar10valid_test_200: m('nb201-v1_0', 'cifar10-valid', 'ori-test', 'accuracy', 200),
  cifar10_test_12: m('nb201-v1_1', 'cifar10', 'ori-test', 'accuracy', 12),
  cifar10valid_val_12: m('nb201-v1_1', 'cifar10-valid', 'x-valid', 'accuracy', 12),
  cifar100_test_12: m('nb201-v1_1', 'cifar100', 'x-test', 'accuracy', 12),
  cifar100_val_12: m('nb201-v1_1', 'cifar100', 'x-valid', 'accuracy', 12),
  imagenet16_test_12: m('nb201-v1_1', 'ImageNet16-120', 'x-test', 'accuracy', 12),
  imagenet16_val_12: m('nb201-v1_1', 'ImageNet16-120', 'x-valid', 'accuracy', 12),
  params_M: m('nats-tss-v1_0', 'cifar10', 'model', 'params_M', 200),
};

/** The shared table's known columns and what each holds (for "which file provides" answers). */
export const NB201_CSV_COLUMNS: Readonly<Record<string, Readonly<ColumnMeaning>>> = KNOWN_COLUMNS;

function m(origin: string, dataset: string, split: string, metric: string, epochs: number): ColumnMeaning {
  return { origin, dataset, split, metric, epochs, seed: 'mean' };
}

/** Columns that identify the row rather than carry a metric. */
const ID_COLUMNS = new Set(['arch', 'index']);

function parseColumn(file: string, name: string): ColumnMeaning {
  const known = KNOWN_COLUMNS[name];
  if (known) return known;
  const parts = name.split(':');
  if (parts.length === 5 || parts.length === 6) {
    const epochs = Number(parts[4]);
    if (Number.isInteger(epochs) && epochs > 0 && parts.slice(0, 4).every((p) => p.length > 0)) {
      return { origin: parts[0]!, dataset: parts[1]!, split: parts[2]!, metric: parts[3]!, epochs, seed: parts[5] ?? 'mean' };
    }
  }
  throw new DataError(
    `unknown column '${name}': expected one of ${Object.keys(KNOWN_COLUMNS).join(', ')} ` +
      `or '<origin>:<dataset>:<split>:<metric>:<epochs>[:<seed>]'`,
    { file, row: 1 },
  );
}

export interface NB201CsvSummary {
  format: 'csv';
  rows: number;
  columns: string[];
}

/**
 * Reads the table and hands each row to `onRecord`. The row's `index` column, when present, is
 * used as given (the caller checks it against the arch string); without it the caller derives
 * the index from the arch string, so the record's index is -1.
 */
export function readNB201Csv(file: string, onRecord: (r: NB201Record) => void): NB201CsvSummary {
  let rows: string[][];
  try {
    rows = parse(readFileSync(file), { relax_column_count: false, skip_empty_lines: true }) as string[][];
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw new DataError(`not a readable CSV: ${err.message}`, { file, row: err.lines }, { cause: e });
  }
  if (rows.length === 0) throw new DataError('empty CSV (no header row)', { file });
  const header = rows[0]!.map((h) => h.trim());
  const archCol = header.indexOf('arch');
  if (archCol < 0) throw new DataError(`missing column 'arch' (header: ${header.join(', ')})`, { file, row: 1 });
  const indexCol = header.indexOf('index');
  const metricCols = header
    .map((name, i) => ({ name, i }))
    .filter(({ name }) => !ID_COLUMNS.has(name))
    .map(({ name, i }) => ({ i, meaning: parseColumn(file, name) }));
  if (metricCols.length === 0) throw new DataError('no metric columns besides arch/index', { file, row: 1 });

  for (let r = 1; r < rows.length; r++) {
    const row = rows[r]!;
    const arch = row[archCol]!.trim();
    let index = -1;
    if (indexCol >= 0) {
      index = Number(row[indexCol]);
      if (!Number.isInteger(index) || index < 0) {
        throw new DataError(`index '${row[indexCol]}' is not a non-negative integer`, { file, row: r + 1 });
      }
    }
    const metrics: MetricValue[] = [];
    for (const { i, meaning } of metricCols) {
      const raw = row[i]!.trim();
      if (raw === '' || raw.toLowerCase() === 'nan') continue;
      const value = Number(raw);
      if (!Number.isFinite(value)) {
        throw new DataError(`column '${header[i]}' has non-numeric value '${raw}'`, { file, row: r + 1 });
      }
      metrics.push({ ...meaning, value });
    }
    onRecord({ index, arch, metrics });
  }
  return { format: 'csv', rows: rows.length - 1, columns: header };
}
