/**
 * A toy NB201 experiment context on the shared data, for the experiments' tests: a store imported
 * from the 15,625-cell accuracy table into a fresh temporary folder, results and cache beside it.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { importNB201 } from '../../src/benchmarks/import-nb201.ts';
import { BenchmarkStore } from '../../src/benchmarks/store.ts';
import { nb201ExperimentContext, type ExperimentContext } from '../../src/pipeline/context.ts';
import { PublishedTable } from '../../src/report/published.ts';
import { DATA_DIR, dataFile } from './data.ts';

export interface ToyContext {
  tmp: string;
  ctx: ExperimentContext;
  /** A CSV the run wrote, relative to its results folder, as records. */
  rows(file: string): Record<string, string>[];
}

export async function toyNB201Context(prefix: string, sample: number, extra: { workers?: number } = {}): Promise<ToyContext> {
  const tmp = mkdtempSync(path.join(tmpdir(), prefix));
  const store = path.join(tmp, 'nb201.h5');
  await importNB201(dataFile('nb201', 'nb201-accuracies.csv'), store);
  const ctx = nb201ExperimentContext({
    dataDir: DATA_DIR,
    store: await BenchmarkStore.open(store),
    published: PublishedTable.load(path.resolve('reference', 'published.csv')),
    selection: { kind: 'sample', size: sample, seed: 0 },
    cacheDir: path.join(tmp, 'cache'),
    outDir: path.join(tmp, 'results'),
    backend: 'wasm',
    ...extra,
  });
  return { tmp, ctx, rows: (file) => parse(readFileSync(path.join(tmp, 'results', file)), { columns: true }) as Record<string, string>[] };
}
