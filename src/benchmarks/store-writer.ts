/**
 * Builds a benchmark store from reader records and writes it atomically.
 *
 * Memory: values are kept as one Float64Array per (column, seed), i.e. 8 bytes per row and seed,
 * whatever the source format was: about 0.1 MB per seed-column for NB201 and 3.4 MB for all of
 * NB101. Readers stream records in, so the store builder is the only thing that grows with the
 * number of architectures.
 *
 * Atomicity: the file is written under a temporary name in the destination directory and renamed
 * over the destination only after HDF5 has closed it, so an import killed at any point leaves
 * either the previous store or none, never a half-written one that opens as valid.
 */
import { existsSync, renameSync, rmSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { MetricValue, SourceInfo } from './records.ts';
import { ensureGroup, h5 } from './h5.ts';
import { DataError } from '../util/errors.ts';
import {
  type BenchmarkName,
  describeMetric,
  type MetricKey,
  MEAN_SEED,
  metricPath,
  NB101_NO_VERTEX,
  NB101_OP_CODES,
  STORE_FORMAT,
  STORE_VERSION,
} from './store-layout.ts';

interface ColumnData {
  key: MetricKey;
  /** seed -> values per row (NaN = missing). */
  seeds: Map<string, Float64Array>;
}

export interface StoreSource extends SourceInfo {
  origin: string;
}

export class StoreBuilder {
  private readonly rowOfKey = new Map<string, number>();
  private readonly keys: string[] = [];
  private readonly columns = new Map<string, ColumnData>();
  private capacity: number;
  private nb101Matrix?: Uint8Array;
  private nb101Ops?: Int8Array;
  private nb101Vertices?: Uint8Array;

  constructor(readonly benchmark: BenchmarkName, initialCapacity = 1024) {
    this.capacity = Math.max(1, initialCapacity);
    if (benchmark === 'nb101') this.allocNB101(this.capacity);
  }

  get size(): number {
    return this.keys.length;
  }

  /** The row of `key` (arch string or hash), appended if new. */
  row(key: string): number {
    let r = this.rowOfKey.get(key);
    if (r === undefined) {
      r = this.keys.length;
      this.keys.push(key);
      this.rowOfKey.set(key, r);
      if (r >= this.capacity) this.grow(r + 1);
    }
    return r;
  }

  /** Declares row `index` to be `key`; used where the source fixes the row (NB201's index). */
  setRow(index: number, key: string): void {
    const existing = this.rowOfKey.get(key);
    if (existing !== undefined && existing !== index) {
      throw new Error(`store builder: ${key} is already row ${existing}, cannot also be row ${index}`);
    }
    if (index !== this.keys.length) {
      if (index < this.keys.length && this.keys[index] === key) return;
      throw new Error(`store builder: rows must be declared in order (expected ${this.keys.length}, got ${index})`);
    }
    this.row(key);
  }

  /**
   * Sets one value. A slot that already holds a different value is a conflict between sources
   * (or a duplicate row in one source) and stops the import, naming `file` and both values.
   */
  addMetric(row: number, origin: string, m: MetricValue, file?: string): void {
    const key: MetricKey = { origin, dataset: m.dataset, split: m.split, metric: m.metric, epochs: m.epochs };
    const id = metricPath(key).join('/');
    let col = this.columns.get(id);
    if (!col) {
      col = { key, seeds: new Map() };
      this.columns.set(id, col);
    }
    let values = col.seeds.get(m.seed);
    if (!values) {
      values = new Float64Array(this.capacity).fill(NaN);
      col.seeds.set(m.seed, values);
    }
    const old = values[row]!;
    if (!Number.isNaN(old) && old !== m.value) {
      throw new DataError(
        `conflicting values for ${this.keys[row]} ${describeMetric(key)} seed ${m.seed}: ${old} and ${m.value}`,
        { file },
      );
    }
    values[row] = m.value;
  }

  /**
   * Sets a whole column's values for one seed at once (rows 0..values.length-1, NaN = missing):
   * how a store is assembled from other stores' columns. A column may be set once per seed.
   */
  setColumn(key: MetricKey, seed: string, values: Float64Array): void {
    if (values.length > this.size) throw new Error(`store builder: column has ${values.length} rows, the store ${this.size}`);
    const id = metricPath(key).join('/');
    let col = this.columns.get(id);
    if (!col) {
      col = { key: { ...key }, seeds: new Map() };
      this.columns.set(id, col);
    }
    if (col.seeds.has(seed)) throw new Error(`store builder: ${describeMetric(key)} seed ${seed} set twice`);
    const full = new Float64Array(this.capacity).fill(NaN);
    full.set(values);
    col.seeds.set(seed, full);
  }

  setNB101Cell(row: number, matrix: number[][], ops: string[]): void {
    if (this.benchmark !== 'nb101') throw new Error('setNB101Cell on a non-NB101 store');
    const n = ops.length;
    this.nb101Vertices![row] = n;
    for (let i = 0; i < 7; i++) {
      this.nb101Ops![row * 7 + i] = i < n ? NB101_OP_CODES[ops[i]!]! : NB101_NO_VERTEX;
      for (let j = 0; j < 7; j++) {
        this.nb101Matrix![row * 49 + i * 7 + j] = i < n && j < n ? matrix[i]![j]! : 0;
      }
    }
  }

  /** Writes the store to `out` atomically. */
  async write(out: string, sources: StoreSource[]): Promise<void> {
    const lib = await h5();
    const n = this.size;
    mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    const tmp = `${out}.tmp-${process.pid}`;
    if (existsSync(tmp)) rmSync(tmp);
    const file = new lib.File(tmp, 'w');
    try {
      file.create_attribute('format', STORE_FORMAT);
      file.create_attribute('version', STORE_VERSION);
      file.create_attribute('benchmark', this.benchmark);
      file.create_attribute('sources', JSON.stringify(sources));
      file.create_attribute('created', new Date().toISOString());
      file.create_dataset({ name: 'keys', data: this.keys });
      if (this.benchmark === 'nb101') {
        const g = ensureGroup(file, ['nb101']);
        g.create_dataset({ name: 'matrix', data: this.nb101Matrix!.subarray(0, n * 49), shape: [n, 49], dtype: '<B' });
        g.create_dataset({ name: 'ops', data: this.nb101Ops!.subarray(0, n * 7), shape: [n, 7], dtype: '<b' });
        g.create_dataset({ name: 'vertices', data: this.nb101Vertices!.subarray(0, n), shape: [n], dtype: '<B' });
      }
      for (const col of this.columns.values()) {
        const seeds = orderSeeds([...col.seeds.keys()]);
        const values = new Float64Array(n * seeds.length);
        const perSeed = seeds.map((s) => (s === MEAN_SEED ? seedMean(col, n) : col.seeds.get(s)!));
        for (let r = 0; r < n; r++) {
          for (let s = 0; s < seeds.length; s++) values[r * seeds.length + s] = perSeed[s]![r]!;
        }
        const p = metricPath(col.key);
        const g = ensureGroup(file, p.slice(0, -1));
        const ds = g.create_dataset({ name: p[p.length - 1]!, data: values, shape: [n, seeds.length], dtype: '<d' });
        ds.create_attribute('seeds', JSON.stringify(seeds));
      }
    } catch (e) {
      file.close();
      rmSync(tmp, { force: true });
      throw e;
    }
    file.close();
    renameSync(tmp, out);
  }

  private grow(minimum: number): void {
    let cap = this.capacity;
    while (cap < minimum) cap *= 2;
    for (const col of this.columns.values()) {
      for (const [seed, values] of col.seeds) {
        const next = new Float64Array(cap).fill(NaN);
        next.set(values);
        col.seeds.set(seed, next);
      }
    }
    if (this.benchmark === 'nb101') {
      const [m, o, v] = [this.nb101Matrix!, this.nb101Ops!, this.nb101Vertices!];
      this.allocNB101(cap);
      this.nb101Matrix!.set(m);
      this.nb101Ops!.set(o);
      this.nb101Vertices!.set(v);
    }
    this.capacity = cap;
  }

  private allocNB101(cap: number): void {
    this.nb101Matrix = new Uint8Array(cap * 49);
    this.nb101Ops = new Int8Array(cap * 7).fill(NB101_NO_VERTEX);
    this.nb101Vertices = new Uint8Array(cap);
  }
}

/** 'mean' first, then the seeds in numeric order where they are numbers ('777' < '888'). */
function orderSeeds(seeds: string[]): string[] {
  const rest = seeds.filter((s) => s !== MEAN_SEED).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return [MEAN_SEED, ...rest];
}

/**
 * The mean over seeds for every row: the source's own mean where it gave one (CSV tables only
 * have means), else the mean over the seeds that have a value for that row, which is what the
 * NB201 API's `get_more_info(..., is_random=False)` reports.
 */
function seedMean(col: ColumnData, n: number): Float64Array {
  const given = col.seeds.get(MEAN_SEED);
  const out = new Float64Array(n);
  const perSeed = [...col.seeds.entries()].filter(([s]) => s !== MEAN_SEED).map(([, v]) => v);
  for (let r = 0; r < n; r++) {
    if (given && !Number.isNaN(given[r]!)) {
      out[r] = given[r]!;
      continue;
    }
    let sum = 0;
    let count = 0;
    for (const v of perSeed) {
      const x = v[r]!;
      if (Number.isFinite(x)) {
        sum += x;
        count++;
      }
    }
    out[r] = count > 0 ? sum / count : NaN;
  }
  return out;
}
