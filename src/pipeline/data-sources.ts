/**
 * Data discovery for the `make reproduce-*` runners: find the benchmark files a researcher has put
 * in DATA under their official names, import each once, and open one store holding all of them.
 *
 * What is looked for (DATA/nb201/ and DATA/nb101/, not recursively):
 * - NB201: every `*.pth` (the official NAS-Bench-201-v1_0-e61699.pth / -v1_1-096897.pth, or
 *   another file in their layout), every NATS-tss "-simple" directory (one holding
 *   meta.pickle.pbz2), every `*.csv` table (nb201-accuracies.csv and self-describing tables).
 * - NB101: every `*.tfrecord` (nasbench_only108 / nasbench_full) and `*.csv` table.
 * Anything else there is listed as ignored, with the reason (e.g. a NATS `.pickle.pbz2` that
 * should be unpacked first).
 *
 * Import once: NB201 sources are imported one by one into per-source stores
 * (<store-dir>/sources/nb201/<name>.h5), each recording the fingerprint (size + mtime) of the file
 * it came from; the runner's store <store-dir>/nb201.h5 is then assembled from those. A run whose
 * files are unchanged opens the existing store; a new or replaced file imports that file alone
 * (a 4.7 GB .pth is not read again because a CSV was added). NB101's sources complement each
 * other (tfrecord and tables are different origins, the tables are merged slot by slot, see
 * import-nb101.ts), so its store is re-imported from all of them when the set changes.
 *
 * Assembling NB201: a column (origin, dataset, split, metric, epochs) present in several sources
 * (the shared nb201-accuracies.csv has NATS and v1.0 columns, as have the official files) is
 * taken whole from the source with the most cells having a value; on a tie an official file wins
 * over a CSV table. A column is never mixed from two files, so every number in a report comes
 * from the one file its row names. The store's `sources` attribute records, per source, the
 * columns it provided (`provides`) and those set aside for another file's (`setAside`).
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { importNB101 } from '../benchmarks/import-nb101.ts';
import { importNB201 } from '../benchmarks/import-nb201.ts';
import type { SourceInfo } from '../benchmarks/records.ts';
import { NB101_RELEASES, NB201_RELEASES, releaseOf, type ReleaseFile } from '../benchmarks/releases.ts';
import { sourceFingerprint } from '../benchmarks/source-info.ts';
import { describeMetric, metricPath, type BenchmarkName, type MetricColumn } from '../benchmarks/store-layout.ts';
import { StoreBuilder, type StoreSource } from '../benchmarks/store-writer.ts';
import { BenchmarkStore } from '../benchmarks/store.ts';
import { NB201_NUM_CELLS } from '../spaces/nb201.ts';
import { archStringFromIndex } from '../spaces/nb201-index.ts';
import { DataError } from '../util/errors.ts';

export type SourceKind = 'pth' | 'nats-tss' | 'csv' | 'tfrecord';

export interface FoundSource {
  path: string;
  name: string;
  kind: SourceKind;
  /** The official release it is, by name. */
  release?: ReleaseFile;
  fingerprint: string;
}

export interface Discovery {
  benchmark: BenchmarkName;
  dir: string;
  sources: FoundSource[];
  ignored: Array<{ path: string; why: string }>;
}

/** The store metadata of a source in an assembled store. */
export interface AssembledSource extends StoreSource {
  /** Metric columns (store paths) this source provided. */
  provides?: string[];
  /** Its columns not used because another source had the same column with more cells. */
  setAside?: string[];
}

function kindOf(benchmark: BenchmarkName, p: string): SourceKind | string {
  const name = path.basename(p);
  const isDir = statSync(p).isDirectory();
  if (benchmark === 'nb201') {
    if (isDir) return existsSync(path.join(p, 'meta.pickle.pbz2')) ? 'nats-tss' : 'a directory without meta.pickle.pbz2 (not a NATS-tss "-simple" directory)';
    if (name.endsWith('.pth')) return 'pth';
    if (name.endsWith('.csv')) return 'csv';
    if (name.endsWith('.pickle.pbz2')) return 'a NATS benchmark file: unpack the matching "-simple.tar" instead (tar xf), which is what is read';
    if (name.endsWith('.part')) return 'an incomplete download';
    return 'not a benchmark format read here (.pth, NATS-tss directory, .csv)';
  }
  if (isDir) return 'a directory';
  if (name.endsWith('.tfrecord')) return 'tfrecord';
  if (name.endsWith('.csv')) return 'csv';
  return 'not a benchmark format read here (.tfrecord, .csv)';
}

/** Lists the benchmark sources under DATA/<benchmark>/ (sorted by name). */
export function discoverSources(dataDir: string, benchmark: BenchmarkName): Discovery {
  const dir = path.join(dataDir, benchmark);
  const out: Discovery = { benchmark, dir, sources: [], ignored: [] };
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.') || name.toLowerCase() === 'readme.md') continue;
    const p = path.join(dir, name);
    let kind: string;
    try {
      kind = kindOf(benchmark, p);
    } catch (e) {
      out.ignored.push({ path: p, why: `cannot read (${(e as Error).message})` });
      continue;
    }
    if (kind === 'pth' || kind === 'nats-tss' || kind === 'csv' || kind === 'tfrecord') {
      out.sources.push({ path: p, name, kind, release: releaseOf(p), fingerprint: sourceFingerprint(p) });
    } else {
      out.ignored.push({ path: p, why: kind });
    }
  }
  return out;
}

function sameSource(s: SourceInfo, f: FoundSource): boolean {
  return s.path === path.resolve(f.path) && s.fingerprint === f.fingerprint;
}

/** Does `store` come from exactly these files, unchanged? */
export function storeMatches(store: BenchmarkStore, found: readonly FoundSource[]): boolean {
  return store.sources.length === found.length && found.every((f) => store.sources.some((s) => sameSource(s, f)));
}

export interface OpenStoreOptions {
  benchmark: BenchmarkName;
  data: string;
  storeDir: string;
  /** Use this store as is (no discovery). */
  store?: string;
  skipChecksum?: boolean;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

export interface OpenedStore {
  store: BenchmarkStore;
  discovery?: Discovery;
  /** Files imported during this call (empty when everything was already in the store). */
  imported: string[];
  /** Lines for the results page: where the store came from. */
  notes: string[];
}

/** The official names looked for, for the "nothing found" message. */
function expectedNames(benchmark: BenchmarkName): string {
  const names = (benchmark === 'nb201' ? NB201_RELEASES : NB101_RELEASES).map((r) => r.name);
  return benchmark === 'nb201' ? names.join(', ') : `${names.join(', ')} or the NB101 CSV tables`;
}

export async function openBenchmarkStore(o: OpenStoreOptions): Promise<OpenedStore> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (o.store) {
    if (!existsSync(o.store)) throw new DataError('store not found', { file: o.store });
    return { store: await BenchmarkStore.open(o.store), imported: [], notes: [`the store given with --store (${o.store}); DATA was not searched for benchmark files`] };
  }
  const file = path.join(o.storeDir, `${o.benchmark}.h5`);
  const discovery = discoverSources(o.data, o.benchmark);
  if (discovery.sources.length === 0) {
    if (existsSync(file)) {
      return { store: await BenchmarkStore.open(file), discovery, imported: [], notes: [`no benchmark files in ${discovery.dir}/; using the existing store ${file}`] };
    }
    throw new DataError(
      `no ${o.benchmark.toUpperCase()} benchmark files here: put ${expectedNames(o.benchmark)} in this directory (see README, "Where the data goes"), ` +
        `or pass --store with a store made by \`nasrepro import\``,
      { file: discovery.dir },
    );
  }
  if (existsSync(file)) {
    const existing = await BenchmarkStore.open(file);
    if (storeMatches(existing, discovery.sources)) {
      return { store: existing, discovery, imported: [], notes: [`${file}: up to date with the files in ${discovery.dir}/`] };
    }
    existing.close();
    log(`${file} was built from other files than those now in ${discovery.dir}/: rebuilding it`);
  }
  const imported = o.benchmark === 'nb201' ? await assembleNB201(discovery, file, o, log) : await importAllNB101(discovery, file, o, log);
  return { store: await BenchmarkStore.open(file), discovery, imported, notes: [`${file}: built from the files in ${discovery.dir}/ (imported this run: ${imported.map((f) => path.basename(f)).join(', ') || 'none'})`] };
}

async function importAllNB101(d: Discovery, file: string, o: OpenStoreOptions, log: (l: string) => void): Promise<string[]> {
  const paths = d.sources.map((s) => s.path);
  log(`importing ${paths.map((p) => path.basename(p)).join(', ')} -> ${file}`);
  await importNB101(paths, file, { skipChecksum: o.skipChecksum });
  return paths;
}

/** Per-source stores, then the assembled store; returns the sources imported this run. */
async function assembleNB201(d: Discovery, file: string, o: OpenStoreOptions, log: (l: string) => void): Promise<string[]> {
  const dir = path.join(o.storeDir, 'sources', 'nb201');
  mkdirSync(dir, { recursive: true });
  const imported: string[] = [];
  const parts: Array<{ found: FoundSource; store: BenchmarkStore }> = [];
  try {
    for (const found of d.sources) {
      const perSource = path.join(dir, `${found.name}.h5`);
      let store = existsSync(perSource) ? await BenchmarkStore.open(perSource) : undefined;
      if (store && !(store.sources.length === 1 && sameSource(store.sources[0]!, found))) {
        store.close();
        store = undefined;
      }
      if (!store) {
        log(`importing ${found.path} -> ${perSource}`);
        const s = await importNB201(found.path, perSource, { skipChecksum: o.skipChecksum });
        log(`  ${s.records} records (${s.format}, origin ${s.origin}) in ${s.seconds.toFixed(1)} s`);
        imported.push(found.path);
        store = await BenchmarkStore.open(perSource);
      }
      parts.push({ found, store });
    }
    log(`assembling ${file} from ${parts.length} source(s)`);
    await writeAssembled(parts, file);
  } finally {
    for (const p of parts) p.store.close();
  }
  return imported;
}

function finiteCount(v: Float64Array): number {
  let n = 0;
  for (const x of v) if (Number.isFinite(x)) n++;
  return n;
}

async function writeAssembled(parts: Array<{ found: FoundSource; store: BenchmarkStore }>, out: string): Promise<void> {
  const builder = new StoreBuilder('nb201', NB201_NUM_CELLS);
  for (let i = 0; i < NB201_NUM_CELLS; i++) builder.setRow(i, archStringFromIndex(i));
  // Every column id -> its candidates: (part, column, cells with a mean value).
  const candidates = new Map<string, Array<{ part: number; col: MetricColumn; cells: number }>>();
  parts.forEach((p, part) => {
    for (const col of p.store.columns) {
      const id = metricPath(col).join('/');
      const list = candidates.get(id) ?? [];
      list.push({ part, col, cells: finiteCount(p.store.column(col)) });
      candidates.set(id, list);
    }
  });
  const provides = parts.map(() => [] as string[]);
  const setAside = parts.map(() => [] as string[]);
  for (const [id, list] of candidates) {
    // Most cells first; on a tie an official file before a CSV table; then discovery (name) order.
    const ranked = [...list].sort(
      (a, b) => b.cells - a.cells || Number(parts[a.part]!.found.kind === 'csv') - Number(parts[b.part]!.found.kind === 'csv') || a.part - b.part,
    );
    const best = ranked[0]!;
    const store = parts[best.part]!.store;
    for (const seed of best.col.seeds) builder.setColumn(best.col, seed, store.column({ ...best.col, seed }));
    provides[best.part]!.push(id);
    for (const other of ranked.slice(1)) setAside[other.part]!.push(id);
  }
  const sources: AssembledSource[] = parts.map((p, i) => ({
    ...p.store.sources[0]!,
    provides: provides[i]!,
    ...(setAside[i]!.length > 0 ? { setAside: setAside[i]! } : {}),
  }));
  await builder.write(out, sources);
}

/** Markdown lines naming every source of a store: file, format, checksums, what it provided. */
export function describeStoreSources(store: BenchmarkStore): string[] {
  return (store.sources as AssembledSource[]).map((s) => {
    const sums = `sha256 ${s.sha256.slice(0, 16)}…${s.md5 ? `, md5 ${s.md5}` : ''}`;
    const used = s.provides ? `; ${s.provides.length} columns used` : '';
    const aside = s.setAside?.length
      ? `, ${s.setAside.length} set aside for another file's with more cells (e.g. ${describeMetric(keyOf(s.setAside[0]!))})`
      : '';
    return `- ${s.origin}: ${s.path} (${s.format}, ${s.bytes} bytes, ${sums}${used}${aside})`;
  });
}

function keyOf(id: string): MetricColumn {
  const [, origin, dataset, split, metric, epochs] = id.split('/');
  return { origin: origin!, dataset: dataset!, split: split!, metric: metric!, epochs: Number(epochs), seeds: [] };
}

/** Lines listing what discovery ignored, for the results page. */
export function describeIgnored(d: Discovery | undefined): string[] {
  return (d?.ignored ?? []).map((x) => `- ignored ${x.path}: ${x.why}`);
}
