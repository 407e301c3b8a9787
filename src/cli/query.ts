/**
 * `nasrepro query nb201|nb101 CELL [filters] --store FILE [--json]`: values of one cell.
 * With every filter given it prints one value; with some left out it prints every matching
 * column (all datasets, splits, epochs, seeds), so a user can see what the store has for a cell.
 */
import type { Command } from 'commander';
import { BenchmarkStore } from '../benchmarks/store.ts';
import { describeMetric } from '../benchmarks/store-layout.ts';
import { DataError } from '../util/errors.ts';
import { archStringFromIndex } from '../spaces/nb201-index.ts';
import { formatNB201, parseNB201 } from '../spaces/nb201.ts';
import { hashSpec, specFromStrings } from '../spaces/nb101.ts';

interface QueryOptions {
  store: string;
  dataset?: string;
  split?: string;
  epochs?: string;
  metric?: string;
  seed?: string;
  origin?: string;
  matrix?: string;
  ops?: string;
  json?: boolean;
}

interface QueryRow {
  cell: string;
  row: number;
  origin: string;
  dataset: string;
  split: string;
  metric: string;
  epochs: number;
  seed: string;
  value: number | null;
}

/** An NB201 cell given as an index (0..15624) or an arch string; returns its arch string. */
function nb201Key(cell: string): string {
  if (/^\d+$/.test(cell)) {
    const i = Number(cell);
    if (i >= 15625) throw new DataError(`NB201 index ${i} is out of range 0..15624`);
    return archStringFromIndex(i);
  }
  return formatNB201(parseNB201(cell));
}

function runQuery(store: BenchmarkStore, key: string, opts: QueryOptions): QueryRow[] {
  const row = store.rowOf(key);
  if (row === undefined) throw new DataError(`cell ${key} is not in the store`, { file: store.file });
  const epochs = opts.epochs === undefined ? undefined : Number(opts.epochs);
  const columns = store.columns.filter(
    (c) =>
      (opts.dataset === undefined || c.dataset === opts.dataset) &&
      (opts.split === undefined || c.split === opts.split) &&
      (epochs === undefined || c.epochs === epochs) &&
      (opts.metric === undefined || c.metric === opts.metric) &&
      (opts.origin === undefined || c.origin === opts.origin),
  );
  if (columns.length === 0) {
    throw new DataError(`no column matches the filters; the store has: ${store.describeColumns()}`, { file: store.file });
  }
  const rows: QueryRow[] = [];
  for (const c of columns) {
    const seeds = opts.seed === undefined ? c.seeds : c.seeds.filter((s) => s === opts.seed);
    for (const seed of seeds) {
      const v = store.value(row, { ...c, seed });
      rows.push({ cell: key, row, ...c, seed, value: Number.isNaN(v) ? null : v });
    }
  }
  if (rows.length === 0) throw new DataError(`no seed '${opts.seed}' in the matching columns`, { file: store.file });
  return rows;
}

function print(rows: QueryRow[], json: boolean | undefined): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(rows.length === 1 ? rows[0] : rows)}\n`);
    return;
  }
  for (const r of rows) {
    process.stdout.write(`${describeMetric(r)} seed ${r.seed}: ${r.value === null ? 'missing' : r.value}\n`);
  }
}

function addFilters(cmd: Command, defaultStore: string): Command {
  return cmd
    .option('--store <file>', 'the HDF5 store', defaultStore)
    .option('--dataset <name>', "e.g. cifar10-valid, cifar10, cifar100, ImageNet16-120 (NB101: cifar10)")
    .option('--split <name>', 'e.g. x-valid, x-test, ori-test, train (NB101: train, valid, test)')
    .option('--epochs <n>', 'training budget: NB201 12 or 200; NB101 4, 12, 36, 108')
    .option('--metric <name>', 'accuracy (default when filtering), loss, time, params_M, flops_M, latency_s, params')
    .option('--seed <seed>', "a seed, or 'mean' (over seeds)")
    .option('--origin <origin>', 'which release, where several are in the store (e.g. nb201-v1_0, nats-tss-v1_0)')
    .option('--json', 'print JSON');
}

export function registerQuery(program: Command): void {
  const cmd = program.command('query').description('look up a cell in a benchmark store');
  addFilters(
    cmd.command('nb201').description('an NB201 cell by index (0..15624) or arch string').argument('<cell>', 'index or arch string'),
    'data/nb201.h5',
  ).action(async (cell: string, opts: QueryOptions) => {
    const store = await BenchmarkStore.open(opts.store);
    try {
      print(runQuery(store, nb201Key(cell), opts), opts.json);
    } finally {
      store.close();
    }
  });
  addFilters(
    cmd
      .command('nb101')
      .description('an NB101 cell by module hash, or by --matrix and --ops')
      .argument('[hash]', 'official module hash')
      .option('--matrix <bits>', "row-major adjacency as 0/1 digits, e.g. '0110000...' (n*n digits)")
      .option('--ops <list>', "comma-separated vertex ops, e.g. 'input,conv3x3-bn-relu,output'"),
    'data/nb101.h5',
  ).action(async (hash: string | undefined, opts: QueryOptions) => {
    let key = hash;
    if (key === undefined) {
      if (!opts.matrix || !opts.ops) throw new DataError('give a hash, or both --matrix and --ops');
      key = hashSpec(specFromStrings(opts.matrix, opts.ops, ','));
    }
    const store = await BenchmarkStore.open(opts.store);
    try {
      print(runQuery(store, key, opts), opts.json);
    } finally {
      store.close();
    }
  });
}
