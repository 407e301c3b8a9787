import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectNB201Source, importNB201 } from '../../src/benchmarks/import-nb201.ts';
import { BenchmarkStore } from '../../src/benchmarks/store.ts';
import { dataFile } from '../helpers/data.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'nasrepro-import-official-'));

async function importAndOpen(src: string, name: string): Promise<BenchmarkStore> {
  const out = path.join(dir, name);
  await importNB201(src, out);
  return BenchmarkStore.open(out);
}

describe('NB201 import from the official formats', () => {
  it('detects each format from the content', () => {
    expect(detectNB201Source(dataFile('nb201', 'NAS-Bench-201-sample-legacy.pth'))).toBe('pth');
    expect(detectNB201Source('test/fixtures/nb201/nb201-small-zip.pth')).toBe('pth');
    expect(detectNB201Source(dataFile('nb201', 'NATS-tss-v1_0-3ffb9-simple'))).toBe('nats-tss');
    expect(detectNB201Source(dataFile('nb201', 'nb201-accuracies.csv'))).toBe('csv');
    const junk = path.join(dir, 'junk.bin');
    writeFileSync(junk, Buffer.from([0, 1, 2, 3, 4]));
    expect(() => detectNB201Source(junk)).toThrow(/junk\.bin: unrecognised NB201 source/);
  });

  it('gives the same 200-epoch values from the .pth sample, the NATS sample and the CSV for cells 0, 11, 284', async () => {
    const pth = await importAndOpen(dataFile('nb201', 'NAS-Bench-201-sample-legacy.pth'), 'pth.h5');
    const nats = await importAndOpen(dataFile('nb201', 'NATS-tss-v1_0-3ffb9-simple'), 'nats.h5');
    const csv = await importAndOpen(dataFile('nb201', 'nb201-accuracies.csv'), 'csv.h5');
    try {
      expect(pth.sources[0]!.origin).toBe('nb201-pth');
      expect(nats.sources[0]!.origin).toBe('nats-tss-v1_0');
      const q = { dataset: 'cifar10', split: 'ori-test', epochs: 200 };
      expect(pth.value(0, q)).toBeCloseTo(85.8633, 4);
      for (const cell of [0, 11, 284]) {
        expect(nats.value(cell, q)).toBeCloseTo(csv.value(cell, q), 9);
        expect(pth.value(cell, q)).toBeCloseTo(csv.value(cell, q), 9);
        const c100 = { dataset: 'cifar100', split: 'x-test', epochs: 200 };
        expect(nats.value(cell, c100)).toBeCloseTo(csv.value(cell, c100), 9);
      }
      // cells the samples do not hold are missing, not 0
      expect(nats.value(1, q)).toBeNaN();
      expect(pth.value(1, q)).toBeNaN();
      // per-seed values and the train split survive the import
      const seeds = pth.resolve(q).seeds;
      expect(seeds[0]).toBe('mean');
      expect(seeds.length).toBeGreaterThan(1);
      expect(pth.columns.some((c) => c.split === 'train' && c.metric === 'loss')).toBe(true);
    } finally {
      pth.close();
      nats.close();
      csv.close();
    }
  });

  it('leaves no store behind when an import fails part-way', async () => {
    const lines = readFileSync(dataFile('nb201', 'nb201-accuracies.csv'), 'utf8').trim().split('\n').slice(0, 50);
    lines.push(lines[49]!.replace('|', '|bogus_op~0|'));
    const bad = path.join(dir, 'bad-last-row.csv');
    writeFileSync(bad, lines.join('\n'));
    const out = path.join(dir, 'never.h5');
    await expect(importNB201(bad, out)).rejects.toThrow(/bad-last-row\.csv, row 51/);
    expect(existsSync(out)).toBe(false);
  });
});
