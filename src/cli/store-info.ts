import type { Command } from 'commander';
import { BenchmarkStore } from '../benchmarks/store.ts';
import { describeMetric } from '../benchmarks/store-layout.ts';

/** `nasrepro store-info FILE`: what a store holds and where it came from. */
export function registerStoreInfo(program: Command): void {
  program
    .command('store-info')
    .description('list the benchmark, sources and metric columns of a store')
    .argument('<store>', 'an HDF5 store written by `nasrepro import`')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const store = await BenchmarkStore.open(file);
      try {
        const info = { benchmark: store.benchmark, rows: store.size, sources: store.sources, columns: store.columns };
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
          return;
        }
        process.stdout.write(`${file}: ${store.benchmark}, ${store.size} rows\n`);
        for (const s of store.sources) process.stdout.write(`source  ${s.origin}  ${s.format}  ${s.path}  sha256 ${s.sha256}\n`);
        for (const c of store.columns) process.stdout.write(`column  ${describeMetric(c)}  seeds: ${c.seeds.join(', ')}\n`);
      } finally {
        store.close();
      }
    });
}
