/**
 * Reader of the official NB101 files `nasbench_only108.tfrecord` / `nasbench_full.tfrecord`.
 *
 * Each TFRecord payload is UTF-8 JSON `[hash, epochs, adjacency '0'/'1' string, ops joined by ',',
 * base64 ModelMetrics]`, one training run of one cell at one budget. The reader turns the records
 * of one cell into one NB101Record holding every epochs budget and repeat of that cell.
 *
 * Grouping, and why two passes: the official files keep the records of a cell adjacent, but
 * nothing in the format promises it. Pass 1 streams the file once and counts the records of each
 * hash (reading only the hash, no CRC, JSON or protobuf work); pass 2 decodes everything and emits a
 * cell as soon as its last record has arrived. So every NB101Record is complete whatever the order,
 * and memory holds only the counts (one small entry per cell, ~423k for the full file) plus the cells
 * whose records are still arriving: one cell at a time for the official files. The price is reading
 * the file twice, which costs far less than the JSON and protobuf decoding of pass 2.
 *
 * Repeats: records with the same (hash, epochs) are repeats, named seed 'run0', 'run1', 'run2' in
 * order of appearance. Metrics come from the final evaluation (index 2) and a field absent from the
 * protobuf is not emitted: missing, never 0.
 *
 * Each record's hash is checked against the hash computed from its matrix and ops (once per
 * distinct matrix/ops text in a cell, since the repeats carry the same text).
 */
import type { MetricValue, NB101Record } from './records.ts';
import { DataError, type DataErrorWhere } from '../util/errors.ts';
import { readTfrecord } from '../io/tfrecord.ts';
import { hashSpec, parseAdjacency } from '../spaces/nb101.ts';
import { decodeModelMetrics, type NB101ModelMetrics } from './nb101-model-metrics.ts';

export const NB101_DATASET = 'cifar10';
/** Index of the end-of-training evaluation in ModelMetrics.evaluation_data. */
export const NB101_FINAL_EVALUATION = 2;

/** One decoded tfrecord payload: one training run of one cell at one budget. */
export interface NB101Run {
  hash: string;
  epochs: number;
  adjacency: string;
  ops: string[];
  metrics: NB101ModelMetrics;
}

const HASH_RE = /^[0-9a-f]{32}$/;
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/** Parses and checks one payload; every problem is a DataError at `where`. */
export function parseNB101Payload(payload: Uint8Array, where: DataErrorWhere): NB101Run {
  let row: unknown;
  try {
    row = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch (e) {
    throw new DataError(`NB101 record payload is not valid JSON (${(e as Error).message})`, where, { cause: e });
  }
  if (!Array.isArray(row) || row.length !== 5) {
    throw new DataError('NB101 record payload must be a JSON array [hash, epochs, adjacency, ops, metrics]', where);
  }
  const [hash, epochs, adjacency, ops, metrics64] = row as unknown[];
  if (typeof hash !== 'string' || !HASH_RE.test(hash)) {
    throw new DataError(`NB101 record hash ${JSON.stringify(hash)} is not 32 lowercase hex characters`, where);
  }
  if (typeof epochs !== 'number' || !Number.isInteger(epochs) || epochs <= 0) {
    throw new DataError(`NB101 record epochs ${JSON.stringify(epochs)} is not a positive integer`, where);
  }
  if (typeof adjacency !== 'string') throw new DataError('NB101 record adjacency is not a string', where);
  if (typeof ops !== 'string') throw new DataError('NB101 record ops is not a string', where);
  if (typeof metrics64 !== 'string' || metrics64.length % 4 !== 0 || !BASE64_RE.test(metrics64)) {
    throw new DataError('NB101 record metrics is not a base64 string', where);
  }
  let metrics: NB101ModelMetrics;
  try {
    metrics = decodeModelMetrics(Buffer.from(metrics64, 'base64'));
  } catch (e) {
    throw new DataError(`NB101 record ModelMetrics protobuf is malformed (${(e as Error).message})`, where, { cause: e });
  }
  return { hash, epochs, adjacency, ops: ops.split(','), metrics };
}

/** The MetricValue rows of one run: final evaluation plus the parameter count; absent = omitted. */
export function runMetricValues(run: NB101Run, seed: string, where: DataErrorWhere): MetricValue[] {
  const final = run.metrics.evaluations[NB101_FINAL_EVALUATION];
  if (final === undefined) {
    throw new DataError(`NB101 record has ${run.metrics.evaluations.length} evaluations, expected 3 (init, halfway, final)`, where);
  }
  const out: MetricValue[] = [];
  const push = (split: string, metric: string, value: number | undefined) => {
    if (value !== undefined) out.push({ dataset: NB101_DATASET, split, metric, epochs: run.epochs, seed, value });
  };
  push('train', 'accuracy', final.trainAccuracy);
  push('valid', 'accuracy', final.validationAccuracy);
  push('test', 'accuracy', final.testAccuracy);
  push('train', 'time', final.trainingTime);
  push('model', 'params', run.metrics.trainableParameters);
  return out;
}

export interface NB101TfrecordSummary {
  /** TFRecord records read. */
  records: number;
  /** NB101Records emitted (distinct hashes). */
  cells: number;
  /** Bytes read (the file size). */
  bytes: number;
  /** Distinct epoch budgets seen, ascending. */
  epochs: number[];
  /** Most repeats of one (hash, epochs). */
  maxRepeats: number;
  /** Cells whose records were not all adjacent in the file (0 for the official files). */
  nonAdjacentCells: number;
}

export interface NB101TfrecordOptions {
  /** Recompute and compare every cell's hash (default true). */
  verifyHash?: boolean;
  /** Check TFRecord CRCs (default true). */
  verifyCrc?: boolean;
}

/** The hash of a payload without parsing it: the writer's json.dumps puts it at bytes 2..34. */
function payloadHash(payload: Buffer, where: DataErrorWhere): string {
  if (payload.length > 35 && payload[0] === 0x5b && payload[1] === 0x22 && payload[34] === 0x22) {
    return payload.toString('latin1', 2, 34);
  }
  // Any other spacing: fall back to a full parse (it also reports a malformed payload early).
  return parseNB101Payload(payload, where).hash;
}

interface PendingCell {
  record: NB101Record;
  remaining: number;
  runsByEpochs: Map<number, number>;
  verified: Set<string>;
  firstOffset: number;
  lastOffset: number;
  interrupted: boolean;
}

export async function readNB101Tfrecord(
  file: string,
  onRecord: (r: NB101Record) => void,
  options: NB101TfrecordOptions = {},
): Promise<NB101TfrecordSummary> {
  const verifyHash = options.verifyHash ?? true;
  const verifyCrc = options.verifyCrc ?? true;

  // Pass 1: records per hash.
  const counts = new Map<string, number>();
  await readTfrecord(
    file,
    (payload, offset) => {
      const h = payloadHash(payload, { file, offset });
      counts.set(h, (counts.get(h) ?? 0) + 1);
    },
    { verifyCrc: false },
  );

  // Pass 2: decode, group, emit each cell on its last record.
  const pending = new Map<string, PendingCell>();
  const epochsSeen = new Set<number>();
  let cells = 0;
  let maxRepeats = 0;
  let nonAdjacentCells = 0;
  let previousHash: string | undefined;
  const summary = await readTfrecord(
    file,
    (payload, offset) => {
      const where = { file, offset };
      const run = parseNB101Payload(payload, where);
      let cell = pending.get(run.hash);
      if (cell === undefined) {
        const total = counts.get(run.hash);
        if (total === undefined) throw new DataError(`NB101 record hash ${run.hash} changed between the two passes over the file`, where);
        cell = {
          record: { hash: run.hash, metrics: [] },
          remaining: total,
          runsByEpochs: new Map(),
          verified: new Set(),
          firstOffset: offset,
          lastOffset: offset,
          interrupted: false,
        };
        pending.set(run.hash, cell);
      } else if (previousHash !== run.hash) {
        cell.interrupted = true;
      }
      previousHash = run.hash;
      cell.lastOffset = offset;

      const specKey = `${run.adjacency}|${run.ops.join(',')}`;
      if (!cell.verified.has(specKey)) {
        const spec = { matrix: parseAdjacency(run.adjacency, where), ops: run.ops };
        if (verifyHash) {
          const computed = hashSpec(spec, where);
          if (computed !== run.hash) {
            throw new DataError(`NB101 record hash ${run.hash} does not match the hash ${computed} of its matrix and ops`, where);
          }
        }
        if (cell.record.matrix === undefined) {
          cell.record.matrix = spec.matrix;
          cell.record.ops = spec.ops;
        }
        cell.verified.add(specKey);
      }

      const repeat = cell.runsByEpochs.get(run.epochs) ?? 0;
      cell.runsByEpochs.set(run.epochs, repeat + 1);
      maxRepeats = Math.max(maxRepeats, repeat + 1);
      epochsSeen.add(run.epochs);
      for (const m of runMetricValues(run, `run${repeat}`, where)) cell.record.metrics.push(m);

      cell.remaining--;
      if (cell.remaining === 0) {
        pending.delete(run.hash);
        if (cell.interrupted) nonAdjacentCells++;
        cells++;
        onRecord(cell.record);
      }
    },
    { verifyCrc },
  );
  if (pending.size > 0) {
    const [hash, cell] = pending.entries().next().value as [string, PendingCell];
    throw new DataError(`NB101 cell ${hash} is missing ${cell.remaining} records that the first pass counted`, { file, offset: cell.lastOffset });
  }
  return {
    records: summary.records,
    cells,
    bytes: summary.bytes,
    epochs: [...epochsSeen].sort((a, b) => a - b),
    maxRepeats,
    nonAdjacentCells,
  };
}
