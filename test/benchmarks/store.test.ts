import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BenchmarkStore } from '../../src/benchmarks/store.ts';
import { StoreBuilder } from '../../src/benchmarks/store-writer.ts';
import { DataError } from '../../src/util/errors.ts';

const source = { origin: 'test', path: '/x', format: 'synthetic', sha256: '0'.repeat(64), bytes: 0 };

function tmp(): string {
  return mkdtempSync(path.join(tmpdir(), 'nasrepro-store-'));
}

async function smallStore(dir: string): Promise<string> {
  const b = new StoreBuilder('nb201', 2); // capacity 2 forces a grow on the third row
  const keys = ['a', 'b', 'c'];
  keys.forEach((k, i) => b.setRow(i, k));
  const acc = (seed: string, value: number) => ({ dataset: 'cifar10', split: 'ori-test', metric: 'accuracy', epochs: 200, seed, value });
  b.addMetric(0, 'nats', acc('777', 90));
  b.addMetric(0, 'nats', acc('888', 92));
  b.addMetric(1, 'nats', acc('777', 80)); // row 1 has one seed only
  // row 2 has no value: stays missing (NaN), never 0
  b.addMetric(0, 'v1_0', { ...acc('mean', 50), dataset: 'cifar10-valid', split: 'x-valid' });
  b.addMetric(0, 'v1_1', { ...acc('mean', 51), dataset: 'cifar10-valid', split: 'x-valid' });
  const out = path.join(dir, 'nb201.h5');
  await b.write(out, [source]);
  return out;
}

describe('benchmark store', () => {
  it('round-trips values, computes seed means over present seeds and keeps missing values missing', async () => {
    const dir = tmp();
    const store = await BenchmarkStore.open(await smallStore(dir));
    try {
      expect(store.benchmark).toBe('nb201');
      expect(store.size).toBe(3);
      expect(store.rowOf('c')).toBe(2);
      const q = { dataset: 'cifar10', split: 'ori-test', epochs: 200 };
      expect(store.value(0, q)).toBe(91);
      expect(store.value(0, { ...q, seed: '888' })).toBe(92);
      expect(store.value(1, q)).toBe(80);
      expect(store.value(2, q)).toBeNaN();
      expect(Array.from(store.column(q))).toEqual([91, 80, NaN]);
      // after the column is cached, value() answers from memory
      expect(store.value(0, { ...q, seed: '777' })).toBe(90);
      expect(store.sources[0]!.origin).toBe('test');
    } finally {
      store.close();
    }
    expect(readdirSync(dir)).toEqual(['nb201.h5']); // no temporary file left behind
  });

  it('names the origins when a column exists in several and resolves it when told which', async () => {
    const store = await BenchmarkStore.open(await smallStore(tmp()));
    try {
      const q = { dataset: 'cifar10-valid', split: 'x-valid', epochs: 200 };
      expect(() => store.value(0, q)).toThrow(/several origins \(v1_0, v1_1\)|several origins \(v1_1, v1_0\)/);
      expect(store.value(0, { ...q, origin: 'v1_1' })).toBe(51);
      expect(() => store.value(0, { ...q, epochs: 12 })).toThrow(/has no cifar10-valid x-valid accuracy @12 epochs/);
      expect(() => store.value(0, { dataset: 'cifar10', split: 'ori-test', epochs: 200, seed: '999' })).toThrow(/no seed '999'/);
      expect(() => store.value(7, { dataset: 'cifar10', split: 'ori-test', epochs: 200 })).toThrow(/out of range/);
    } finally {
      store.close();
    }
  });

  it('rejects a missing file, a non-HDF5 file and an HDF5 file that is not a store', async () => {
    const dir = tmp();
    await expect(BenchmarkStore.open(path.join(dir, 'none.h5'))).rejects.toThrow(/none\.h5: store not found/);
    const junk = path.join(dir, 'junk.h5');
    writeFileSync(junk, 'hello');
    await expect(BenchmarkStore.open(junk)).rejects.toBeInstanceOf(DataError);
    await expect(BenchmarkStore.open(junk)).rejects.toThrow(/junk\.h5: not an HDF5 file/);
    const half = path.join(dir, 'half.h5');
    const full = await smallStore(dir);
    const bytes = (await import('node:fs')).readFileSync(full);
    writeFileSync(half, bytes.subarray(0, 8)); // signature only: what an interrupted copy would leave
    await expect(BenchmarkStore.open(half)).rejects.toThrow(/half\.h5: truncated HDF5 file/);
    writeFileSync(half, bytes.subarray(0, bytes.length - 100));
    await expect(BenchmarkStore.open(half)).rejects.toThrow(/half\.h5: truncated HDF5 file: the superblock says \d+ bytes/);
  });

  it('stores NB101 cells with matrices and marks hash-only rows', async () => {
    const b = new StoreBuilder('nb101', 1);
    const r0 = b.row('h0');
    b.setNB101Cell(r0, [[0, 1, 1], [0, 0, 1], [0, 0, 0]], ['input', 'maxpool3x3', 'output']);
    b.row('h1');
    b.addMetric(r0, 'nb101', { dataset: 'cifar10', split: 'valid', metric: 'accuracy', epochs: 108, seed: 'run0', value: 0.9 });
    const out = path.join(tmp(), 'nb101.h5');
    await b.write(out, [source]);
    const store = await BenchmarkStore.open(out);
    try {
      expect(store.nb101Cell(0)).toEqual({ matrix: [[0, 1, 1], [0, 0, 1], [0, 0, 0]], ops: [-1, 2, -2] });
      expect(store.nb101Cell(1)).toBeUndefined();
      expect(store.value(0, { dataset: 'cifar10', split: 'valid', epochs: 108 })).toBeCloseTo(0.9, 15);
      expect(store.value(1, { dataset: 'cifar10', split: 'valid', epochs: 108 })).toBeNaN();
    } finally {
      store.close();
    }
  });
});
