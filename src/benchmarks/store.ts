/**
 * Read access to a benchmark store: "accuracy of cell X on dataset D, split S, epochs E".
 *
 * Opening reads only the root attributes, the row keys and the list of columns. A column is read
 * from disk the first time it is asked for (one contiguous read of rows x seeds float64) and kept,
 * so every later query is an array lookup. A one-off query of a column not yet read uses a
 * one-element hyperslab instead of reading the column.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { DataError, type DataErrorWhere } from '../util/errors.ts';
import { h5, type H5Dataset, type H5File, type H5Group } from './h5.ts';
import type { StoreSource } from './store-writer.ts';
import {
  type BenchmarkName,
  type MetricColumn,
  type MetricKey,
  describeMetric,
  MEAN_SEED,
  metricPath,
  STORE_FORMAT,
  STORE_VERSION,
} from './store-layout.ts';

export interface MetricQuery {
  dataset: string;
  split: string;
  epochs: number;
  /** Default 'accuracy'. */
  metric?: string;
  /** Default 'mean' (over seeds). */
  seed?: string;
  /** Which release the value comes from; may be omitted when only one origin has the column. */
  origin?: string;
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * The store has no column (or no seed of a column) that a query names: the one store failure a
 * caller may turn into "not in the store". Every other failure (HDF5 read, corrupt data) is a
 * plain DataError or worse, and must surface.
 */
export class MissingColumnError extends DataError {
  constructor(what: string, where: DataErrorWhere = {}) {
    super(what, where);
    this.name = 'MissingColumnError';
  }
}

export class BenchmarkStore {
  private readonly rowOfKey = new Map<string, number>();
  private readonly cache = new Map<string, { seeds: string[]; values: Float64Array }>();

  private constructor(
    readonly file: string,
    private readonly h5file: H5File,
    readonly benchmark: BenchmarkName,
    readonly keys: string[],
    readonly columns: MetricColumn[],
    readonly sources: StoreSource[],
  ) {
    keys.forEach((k, i) => this.rowOfKey.set(k, i));
  }

  static async open(file: string): Promise<BenchmarkStore> {
    if (!existsSync(file)) {
      throw new DataError('store not found; create it with `nasrepro import`', { file });
    }
    assertHdf5(file);
    const lib = await h5();
    const f = new lib.File(file, 'r');
    if (f.file_id < 0n) throw new DataError('HDF5 could not open the file (corrupt?)', { file });
    try {
      const attrs = f.attrs;
      if (attrs.format?.value !== STORE_FORMAT) {
        throw new DataError(`not a nasrepro store (no format='${STORE_FORMAT}' attribute)`, { file });
      }
      const version = Number(attrs.version?.value);
      if (version !== STORE_VERSION) {
        throw new DataError(`store version ${version} is not supported (expected ${STORE_VERSION}); re-import it`, { file });
      }
      const benchmark = String(attrs.benchmark?.value) as BenchmarkName;
      const keysDs = f.get('keys') as H5Dataset | null;
      if (!keysDs) throw new DataError('store has no /keys dataset', { file });
      const keys = keysDs.value as string[];
      const sources = JSON.parse(String(attrs.sources?.value ?? '[]')) as StoreSource[];
      const columns = listColumns(f);
      return new BenchmarkStore(file, f, benchmark, keys, columns, sources);
    } catch (e) {
      f.close();
      throw e;
    }
  }

  get size(): number {
    return this.keys.length;
  }

  /** Row of an arch string / hash, or undefined. */
  rowOf(key: string): number | undefined {
    return this.rowOfKey.get(key);
  }

  /** The column a query names; the origin is inferred when only one origin has it. */
  resolve(q: MetricQuery): MetricColumn {
    const metric = q.metric ?? 'accuracy';
    const matches = this.columns.filter(
      (c) =>
        c.dataset === q.dataset &&
        c.split === q.split &&
        c.metric === metric &&
        c.epochs === q.epochs &&
        (q.origin === undefined || c.origin === q.origin),
    );
    const wanted = `${q.dataset} ${q.split} ${metric} @${q.epochs} epochs${q.origin ? ` (${q.origin})` : ''}`;
    if (matches.length === 0) {
      throw new MissingColumnError(`store has no ${wanted}; it has: ${this.describeColumns()}`, { file: this.file });
    }
    if (matches.length > 1) {
      throw new DataError(
        `${wanted} exists in several origins (${matches.map((m) => m.origin).join(', ')}); choose one with --origin`,
        { file: this.file },
      );
    }
    const col = matches[0]!;
    const seed = q.seed ?? MEAN_SEED;
    if (!col.seeds.includes(seed)) {
      throw new MissingColumnError(`${describeMetric(col)} has no seed '${seed}' (seeds: ${col.seeds.join(', ')})`, {
        file: this.file,
      });
    }
    return col;
  }

  /** Every row's value of one column and seed (NaN = missing). Read once, then cached. */
  column(q: MetricQuery): Float64Array {
    const col = this.resolve(q);
    const seed = q.seed ?? MEAN_SEED;
    const data = this.loadColumn(col);
    const s = data.seeds.indexOf(seed);
    const width = data.seeds.length;
    const out = new Float64Array(this.size);
    for (let r = 0; r < this.size; r++) out[r] = data.values[r * width + s]!;
    return out;
  }

  /** One value (NaN = missing). */
  value(row: number, q: MetricQuery): number {
    if (!Number.isInteger(row) || row < 0 || row >= this.size) {
      throw new DataError(`row ${row} is out of range 0..${this.size - 1}`, { file: this.file });
    }
    const col = this.resolve(q);
    const seed = q.seed ?? MEAN_SEED;
    const s = col.seeds.indexOf(seed);
    const cached = this.cache.get(metricPath(col).join('/'));
    if (cached) return cached.values[row * cached.seeds.length + s]!;
    const ds = this.h5file.get(metricPath(col).join('/')) as H5Dataset;
    const v = ds.slice([[row, row + 1], [s, s + 1]]) as Float64Array;
    return v[0]!;
  }

  /** NB101 cell of a row: matrix and op codes; undefined for hash-only rows. */
  nb101Cell(row: number): { matrix: number[][]; ops: number[] } | undefined {
    if (this.benchmark !== 'nb101') throw new Error('nb101Cell on a non-NB101 store');
    const n = Number(((this.h5file.get('nb101/vertices') as H5Dataset).slice([[row, row + 1]]) as Uint8Array)[0]);
    if (n === 0) return undefined;
    const flat = (this.h5file.get('nb101/matrix') as H5Dataset).slice([[row, row + 1], []]) as Uint8Array;
    const opsFlat = (this.h5file.get('nb101/ops') as H5Dataset).slice([[row, row + 1], []]) as Int8Array;
    const matrix = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => flat[i * 7 + j]!));
    return { matrix, ops: Array.from(opsFlat.subarray(0, n)) };
  }

  describeColumns(): string {
    return this.columns.map((c) => describeMetric(c)).join('; ');
  }

  close(): void {
    this.h5file.close();
    this.cache.clear();
  }

  private loadColumn(col: MetricKey): { seeds: string[]; values: Float64Array } {
    const id = metricPath(col).join('/');
    let data = this.cache.get(id);
    if (!data) {
      const ds = this.h5file.get(id) as H5Dataset;
      data = { seeds: JSON.parse(String(ds.attrs.seeds!.value)) as string[], values: ds.value as Float64Array };
      this.cache.set(id, data);
    }
    return data;
  }
}

/**
 * Checks the HDF5 signature and, for the superblock versions h5wasm writes (2 and 3), that the file
 * is as long as its superblock says. HDF5 itself would print pages of diagnostics on a truncated
 * or foreign file; this turns both into one error naming the file.
 */
function assertHdf5(file: string): void {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(48);
    const n = readSync(fd, head, 0, 48, 0);
    if (n < 8 || !head.subarray(0, 8).equals(HDF5_SIGNATURE)) {
      throw new DataError('not an HDF5 file (bad signature); was the import interrupted or is this another format?', {
        file,
      });
    }
    if (n < 12) throw new DataError('truncated HDF5 file (superblock incomplete)', { file });
    const version = head[8]!;
    if ((version === 2 || version === 3) && head[9] === 8) {
      if (n < 36) throw new DataError('truncated HDF5 file (superblock incomplete)', { file });
      const eof = Number(head.readBigUInt64LE(28));
      const size = fstatSync(fd).size;
      if (size < eof) {
        throw new DataError(`truncated HDF5 file: the superblock says ${eof} bytes, the file has ${size}`, { file });
      }
    }
  } finally {
    closeSync(fd);
  }
}

function listColumns(f: H5File): MetricColumn[] {
  const out: MetricColumn[] = [];
  const metrics = f.get('metrics') as H5Group | null;
  if (!metrics) return out;
  // metrics/<origin>/<dataset>/<split>/<metric>/<epochs>
  const walk = (g: H5Group, parts: string[]): void => {
    for (const name of g.keys()) {
      const child = g.get(name);
      if (parts.length === 4) {
        const ds = child as H5Dataset;
        out.push({
          origin: parts[0]!,
          dataset: parts[1]!,
          split: parts[2]!,
          metric: parts[3]!,
          epochs: Number(name),
          seeds: JSON.parse(String(ds.attrs.seeds!.value)) as string[],
        });
      } else {
        walk(child as H5Group, [...parts, name]);
      }
    }
  };
  walk(metrics, []);
  return out;
}
