/** Helpers shared by the NB201 reader tests: seed means and the shared accuracy table. */
import { readFileSync } from 'node:fs';
import type { NB201Record } from '../../src/benchmarks/records.ts';

export function seedMean(r: NB201Record, dataset: string, split: string, epochs: number, metric = 'accuracy'): { mean: number; seeds: string[] } {
  const ms = r.metrics.filter((m) => m.dataset === dataset && m.split === split && m.epochs === epochs && m.metric === metric);
  return { mean: ms.reduce((s, m) => s + m.value, 0) / ms.length, seeds: ms.map((m) => m.seed).sort() };
}

export function csvRows(file: string): Map<number, Record<string, string>> {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const cols = header!.split(',');
  const rows = new Map<number, Record<string, string>>();
  for (const line of lines) {
    const cells = line.split(',');
    rows.set(Number(cells[0]), Object.fromEntries(cols.map((c, i) => [c, cells[i]!])));
  }
  return rows;
}

/** CSV column -> (dataset, eval split, epochs), as the data README defines them. */
export const CSV_COLUMNS: [string, string, string, number][] = [
  ['cifar10_test_200', 'cifar10', 'ori-test', 200],
  ['cifar100_test_200', 'cifar100', 'x-test', 200],
  ['imagenet16_test_200', 'ImageNet16-120', 'x-test', 200],
  ['cifar10valid_val_200', 'cifar10-valid', 'x-valid', 200],
  ['cifar10valid_test_200', 'cifar10-valid', 'ori-test', 200],
  ['cifar10_test_12', 'cifar10', 'ori-test', 12],
  ['cifar10valid_val_12', 'cifar10-valid', 'x-valid', 12],
  ['cifar100_test_12', 'cifar100', 'x-test', 12],
  ['cifar100_val_12', 'cifar100', 'x-valid', 12],
  ['imagenet16_test_12', 'ImageNet16-120', 'x-test', 12],
  ['imagenet16_val_12', 'ImageNet16-120', 'x-valid', 12],
];
