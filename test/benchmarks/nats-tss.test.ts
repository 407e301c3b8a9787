import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataFile } from '../helpers/data.ts';
import { DataError } from '../../src/util/errors.ts';
import { readNATSTss } from '../../src/benchmarks/nats-tss.ts';
import type { NB201Record } from '../../src/benchmarks/records.ts';
import { CSV_COLUMNS, csvRows, seedMean } from './nb201-agreement.ts';

const natsDir = () => dataFile('nb201', 'NATS-tss-v1_0-3ffb9-simple');

describe('readNATSTss on the shared sample', () => {
  it('yields cells 0, 11, 284 with the accuracies of the shared table', async () => {
    const records: NB201Record[] = [];
    const s = await readNATSTss(natsDir(), (r) => records.push(r));
    expect(s.origin).toBe('nats-tss-v1_0');
    expect(s.archCount).toBe(15625);
    expect(s.recordCount).toBe(3);
    expect(records.map((r) => r.index)).toEqual([0, 11, 284]);
    expect(records[0]!.arch).toBe(s.metaArchs[0]);
    const table = csvRows(dataFile('nb201', 'nb201-accuracies.csv'));
    for (const r of records) {
      const row = table.get(r.index)!;
      expect(r.arch).toBe(row.arch);
      for (const [col, dataset, split, epochs] of CSV_COLUMNS) {
        expect(seedMean(r, dataset, split, epochs).mean, `${r.index} ${col}`).toBeCloseTo(Number(row[col]), 6);
      }
    }
    const c0 = records[0]!;
    expect(seedMean(c0, 'cifar10', 'ori-test', 200)).toEqual({ mean: expect.closeTo(85.8633, 4), seeds: ['777', '888', '999'] });
    expect(seedMean(c0, 'cifar10-valid', 'x-valid', 12).seeds).toEqual(['111', '777']);
    // every run has the model properties and final train metrics
    const runs = c0.metrics.filter((m) => m.split === 'model' && m.metric === 'params_M');
    expect(runs).toHaveLength(17); // 12 runs at 200 epochs + 5 at 12
  });
});

describe('readNATSTss on bad input', () => {
  function copyOf(): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'nats-'));
    for (const f of ['meta.pickle.pbz2', '000011.pickle.pbz2']) copyFileSync(path.join(natsDir(), f), path.join(dir, f));
    return dir;
  }

  it('reports a corrupted .pbz2 by file name', async () => {
    const dir = copyOf();
    const file = path.join(dir, '000011.pickle.pbz2');
    const b = readFileSync(file);
    for (let i = 2000; i < 2100; i++) b[i] = b[i]! ^ 0x5a;
    writeFileSync(file, b);
    const err = await readNATSTss(dir, () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).file).toBe(file);
  });

  it('reports a truncated .pbz2 by file name', async () => {
    const dir = copyOf();
    const file = path.join(dir, '000011.pickle.pbz2');
    writeFileSync(file, readFileSync(file).subarray(0, 40_000));
    const err = await readNATSTss(dir, () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toContain('000011.pickle.pbz2');
  });

  it('refuses a directory without meta.pickle.pbz2', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nats-empty-'));
    await expect(readNATSTss(dir, () => {})).rejects.toThrow(/missing meta\.pickle\.pbz2/);
  });
});
