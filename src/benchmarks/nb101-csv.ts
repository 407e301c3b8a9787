/**
 * Readers of the two NB101 CSV layouts in the shared data, detected from the header:
 *
 *   'cells'      nb101-cells-1k.csv: hash, n_vertices, adjacency_rowmajor ('0'/'1', row major),
 *                ops ('|'-joined), val_acc_{4,12,36,108}ep, trainable_parameters,
 *                final_training_time_108ep
 *   'hash-only'  nb101-hash-accuracy-20k.csv (tiga1231/nasbench-vis): {4,12,36,108}_final_validation_accuracy,
 *                final_training_time, trainable_parameters, key (the module hash); no matrices
 *
 * Emitted rows: split 'valid' metric 'accuracy' at 4/12/36/108 epochs; 'train' 'time' and 'model'
 * 'params' at 108 epochs (the time column is the 108-epoch training time; params do not depend on
 * the budget, 108 is the budget the column was taken with). An empty cell is missing, not 0.
 *
 * Seed: every value in both tables is exactly a float32, which a mean over three float32 runs
 * almost never is, so the tables hold ONE training run per cell (which of the three is not
 * recorded). They are therefore not labelled 'mean'; the default seed is NB101_CSV_SEED.
 *
 * Row numbers in errors are 1-based file lines (the header is row 1).
 */
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import type { MetricValue, NB101Record } from './records.ts';
import { DataError } from '../util/errors.ts';
import { hashSpec, specFromStrings } from '../spaces/nb101.ts';
import { NB101_DATASET } from './nb101-tfrecord.ts';

export type NB101CsvLayout = 'cells' | 'hash-only';

/** Seed label for CSV values: one run per cell, which run unknown (see the file comment). */
export const NB101_CSV_SEED = 'one-run';
export const NB101_CSV_EPOCHS = [4, 12, 36, 108] as const;

interface LayoutColumns {
  hash: string;
  nVertices?: string;
  adjacency?: string;
  ops?: string;
  validAccuracy: Record<(typeof NB101_CSV_EPOCHS)[number], string>;
  params: string;
  time: string;
}

const LAYOUTS: Record<NB101CsvLayout, LayoutColumns> = {
  cells: {
    hash: 'hash',
    nVertices: 'n_vertices',
    adjacency: 'adjacency_rowmajor',
    ops: 'ops',
    validAccuracy: { 4: 'val_acc_4ep', 12: 'val_acc_12ep', 36: 'val_acc_36ep', 108: 'val_acc_108ep' },
    params: 'trainable_parameters',
    time: 'final_training_time_108ep',
  },
  'hash-only': {
    hash: 'key',
    validAccuracy: {
      4: '4_final_validation_accuracy',
      12: '12_final_validation_accuracy',
      36: '36_final_validation_accuracy',
      108: '108_final_validation_accuracy',
    },
    params: 'trainable_parameters',
    time: 'final_training_time',
  },
};

function layoutColumnNames(c: LayoutColumns): string[] {
  return [c.hash, c.nVertices, c.adjacency, c.ops, ...Object.values(c.validAccuracy), c.params, c.time].filter(
    (x): x is string => x !== undefined,
  );
}

/**
 * Picks the layout from the header: a matrix column ('adjacency_rowmajor', 'ops', 'n_vertices') or
 * 'hash' means 'cells', 'key' means 'hash-only'. Then every column of that layout must be there.
 */
export function detectNB101CsvLayout(header: string[], file?: string): NB101CsvLayout {
  const has = new Set(header);
  let layout: NB101CsvLayout;
  if (['hash', 'adjacency_rowmajor', 'ops', 'n_vertices'].some((c) => has.has(c))) layout = 'cells';
  else if (has.has('key')) layout = 'hash-only';
  else {
    throw new DataError(
      `header matches no NB101 CSV layout (expected a 'hash' column with matrices or a 'key' column), got: ${header.join(', ')}`,
      { file, row: 1 },
    );
  }
  const missing = layoutColumnNames(LAYOUTS[layout]).filter((c) => !has.has(c));
  if (missing.length > 0) {
    throw new DataError(`NB101 CSV (${layout} layout) is missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}`, {
      file,
      row: 1,
    });
  }
  return layout;
}

export interface NB101CsvOptions {
  /** Recompute each cell's hash from its matrix and ops and compare ('cells' layout; default true). */
  verifyHash?: boolean;
  /** Seed label of the emitted values (default NB101_CSV_SEED). */
  seed?: string;
}

export interface NB101CsvSummary {
  layout: NB101CsvLayout;
  /** Data rows read (records emitted). */
  rows: number;
}

const HASH_RE = /^[0-9a-f]{32}$/;

/** Streams `file` row by row, calling onRecord once per cell. */
export async function readNB101Csv(
  file: string,
  onRecord: (r: NB101Record) => void,
  options: NB101CsvOptions = {},
): Promise<NB101CsvSummary> {
  const verifyHash = options.verifyHash ?? true;
  const seed = options.seed ?? NB101_CSV_SEED;
  const source = createReadStream(file);
  const parser = source.pipe(parse({ info: true, relax_column_count: false, skip_empty_lines: true, bom: true }));
  let layout: NB101CsvLayout | undefined;
  let index = new Map<string, number>();
  let rows = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const row = info.lines;
      if (layout === undefined) {
        layout = detectNB101CsvLayout(record, file);
        index = new Map(record.map((name, i) => [name, i]));
        continue;
      }
      onRecord(parseRow(record, index, LAYOUTS[layout], { file, row, seed, verifyHash }));
      rows++;
    }
  } catch (e) {
    if (e instanceof DataError) throw e;
    const row = (e as { lines?: number }).lines;
    throw new DataError(`malformed CSV (${(e as Error).message})`, { file, row }, { cause: e });
  } finally {
    // pipe() does not close the source when the parser stops early (an error, a thrown DataError).
    source.destroy();
  }
  if (layout === undefined) throw new DataError('CSV file is empty (no header)', { file });
  return { layout, rows };
}

interface RowContext {
  file: string;
  row: number;
  seed: string;
  verifyHash: boolean;
}

function parseRow(record: string[], index: Map<string, number>, cols: LayoutColumns, ctx: RowContext): NB101Record {
  const where = { file: ctx.file, row: ctx.row };
  const cell = (name: string): string => record[index.get(name)!].trim();
  const number = (name: string, integer = false): number | undefined => {
    const text = cell(name);
    if (text === '') return undefined;
    const v = Number(text);
    if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) {
      throw new DataError(`column '${name}' is '${text}', not ${integer ? 'an integer' : 'a number'}`, where);
    }
    return v;
  };

  const hash = cell(cols.hash);
  if (!HASH_RE.test(hash)) throw new DataError(`column '${cols.hash}' is '${hash}', not a 32-character lowercase hex hash`, where);
  const out: NB101Record = { hash, metrics: [] };

  if (cols.adjacency !== undefined && cols.ops !== undefined && cols.nVertices !== undefined) {
    const spec = specFromStrings(cell(cols.adjacency), cell(cols.ops), '|', where);
    const n = number(cols.nVertices, true);
    if (n !== spec.matrix.length) {
      throw new DataError(`column '${cols.nVertices}' says ${n} vertices but the adjacency is ${spec.matrix.length}x${spec.matrix.length}`, where);
    }
    if (ctx.verifyHash) {
      const computed = hashSpec(spec, where);
      if (computed !== hash) throw new DataError(`hash ${hash} does not match the hash ${computed} of the row's matrix and ops`, where);
    }
    out.matrix = spec.matrix;
    out.ops = spec.ops;
  }

  const push = (split: string, metric: string, epochs: number, value: number | undefined) => {
    if (value !== undefined) out.metrics.push({ dataset: NB101_DATASET, split, metric, epochs, seed: ctx.seed, value } satisfies MetricValue);
  };
  for (const epochs of NB101_CSV_EPOCHS) push('valid', 'accuracy', epochs, number(cols.validAccuracy[epochs]));
  push('train', 'time', 108, number(cols.time));
  push('model', 'params', 108, number(cols.params, true));
  return out;
}
