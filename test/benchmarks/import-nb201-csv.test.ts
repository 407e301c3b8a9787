import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { importNB201 } from '../../src/benchmarks/import-nb201.ts';
import { BenchmarkStore } from '../../src/benchmarks/store.ts';
import { dataFile } from '../helpers/data.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'nasrepro-import-csv-'));
let store: BenchmarkStore;

beforeAll(async () => {
  const out = path.join(dir, 'nb201.h5');
  const summary = await importNB201(dataFile('nb201', 'nb201-accuracies.csv'), out);
  expect(summary).toMatchObject({ format: 'csv', records: 15625, cellsWithValues: 15625 });
  store = await BenchmarkStore.open(out);
});
afterAll(() => store?.close());

describe('NB201 CSV import (shared table, all 15,625 cells)', () => {
  it('keeps every column under the release it came from', () => {
    expect(store.size).toBe(15625);
    expect(store.value(0, { dataset: 'cifar10', split: 'ori-test', epochs: 200 })).toBeCloseTo(85.8633, 4);
    expect(store.value(0, { dataset: 'cifar10-valid', split: 'x-valid', epochs: 200 })).toBeCloseTo(81.9827, 4);
    expect(store.value(0, { dataset: 'cifar10-valid', split: 'ori-test', epochs: 200 })).toBeCloseTo(81.52, 4);
    expect(store.value(0, { dataset: 'cifar10-valid', split: 'x-valid', epochs: 12 })).toBeCloseTo(63.364, 3);
    const c = store.resolve({ dataset: 'cifar10-valid', split: 'x-valid', epochs: 200 });
    expect(c.origin).toBe('nb201-v1_0');
    expect(store.resolve({ dataset: 'cifar100', split: 'x-test', epochs: 200 }).origin).toBe('nats-tss-v1_0');
    expect(store.resolve({ dataset: 'cifar10', split: 'ori-test', epochs: 12 }).origin).toBe('nb201-v1_1');
  });

  it('agrees with the CSV on every row of a column (no row shifted)', () => {
    const lines = readFileSync(dataFile('nb201', 'nb201-accuracies.csv'), 'utf8').trim().split('\n');
    const header = lines[0]!.split(',');
    const col = header.indexOf('imagenet16_test_200');
    const values = store.column({ dataset: 'ImageNet16-120', split: 'x-test', epochs: 200 });
    for (let i = 1; i < lines.length; i++) {
      const cells = lines[i]!.split(',');
      expect(store.keys[Number(cells[0])]).toBe(cells[1]);
      expect(values[Number(cells[0])]).toBe(Number(cells[col]));
    }
  });

  it('refuses a table whose index and arch disagree, naming the file and row', async () => {
    const lines = readFileSync(dataFile('nb201', 'nb201-accuracies.csv'), 'utf8').split('\n').slice(0, 4);
    const [a, b] = [lines[2]!.split(','), lines[3]!.split(',')];
    [a[1], b[1]] = [b[1]!, a[1]!]; // swap the arch strings of rows 1 and 2
    const bad = path.join(dir, 'shifted.csv');
    writeFileSync(bad, [lines[0], lines[1], a.join(','), b.join(',')].join('\n'));
    await expect(importNB201(bad, path.join(dir, 'x.h5'))).rejects.toThrow(/shifted\.csv, row 3: index 1 is .* but the source says/);
  });

  it('refuses a table without an arch column, a bad arch string and an unknown column', async () => {
    const noArch = path.join(dir, 'noarch.csv');
    writeFileSync(noArch, 'index,cifar10_test_200\n0,85\n');
    await expect(importNB201(noArch, path.join(dir, 'x.h5'))).rejects.toThrow(/noarch\.csv, row 1: missing column 'arch'/);
    const badArch = path.join(dir, 'badarch.csv');
    writeFileSync(badArch, 'arch,cifar10_test_200\n|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|,85\n');
    await expect(importNB201(badArch, path.join(dir, 'x.h5'))).rejects.toThrow(/badarch\.csv, row 2: .*unknown .*op/i);
    const unknown = path.join(dir, 'unknown.csv');
    writeFileSync(unknown, 'arch,cifar10_tset_200\n|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,85\n');
    await expect(importNB201(unknown, path.join(dir, 'x.h5'))).rejects.toThrow(/unknown column 'cifar10_tset_200'/);
  });
});
