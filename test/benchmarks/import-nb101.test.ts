import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectNB101Source, importNB101 } from '../../src/benchmarks/import-nb101.ts';
import { BenchmarkStore } from '../../src/benchmarks/store.ts';
import { NB101_OP_CODES } from '../../src/benchmarks/store-layout.ts';
import { dataFile } from '../helpers/data.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'nasrepro-import-nb101-'));

describe('NB101 import', () => {
  it('detects the format from the content, not the name', () => {
    expect(detectNB101Source(dataFile('nb101', 'nb101-sample.tfrecord'))).toBe('tfrecord');
    expect(detectNB101Source(dataFile('nb101', 'nb101-cells-1k.csv'))).toBe('csv');
    expect(detectNB101Source(dataFile('nb101', 'nb101-hash-accuracy-20k.csv'))).toBe('csv');
    const junk = path.join(dir, 'junk.tfrecord');
    writeFileSync(junk, Buffer.from([1, 2, 3, 0, 0, 0, 0, 0, 9, 9, 9, 9, 0, 0]));
    expect(() => detectNB101Source(junk)).toThrow(/junk\.tfrecord: unrecognised NB101 source/);
  });

  it('merges the tfrecord sample and both CSV tables into one store keyed by hash', async () => {
    const out = path.join(dir, 'nb101.h5');
    const s = await importNB101(
      [dataFile('nb101', 'nb101-sample.tfrecord'), dataFile('nb101', 'nb101-cells-1k.csv'), dataFile('nb101', 'nb101-hash-accuracy-20k.csv')],
      out,
    );
    expect(s.cellsWithMatrix).toBe(1000);
    const store = await BenchmarkStore.open(out);
    try {
      expect(store.size).toBe(s.cells);
      expect(store.size).toBeGreaterThanOrEqual(20000);
      // The sample has no test accuracy: it is absent, not stored as 0.
      expect(store.columns.some((c) => c.split === 'test')).toBe(false);
      const tf = store.column({ dataset: 'cifar10', split: 'valid', epochs: 108, origin: 'nb101', seed: 'run0' });
      const csv = store.column({ dataset: 'cifar10', split: 'valid', epochs: 108, origin: 'nb101-csv', seed: 'one-run' });
      let withMatrix = 0;
      for (let r = 0; r < store.size; r++) {
        if (!Number.isNaN(tf[r]!)) {
          withMatrix++;
          // the tfrecord sample and the CSV tables are the same single run
          expect(csv[r]).toBe(tf[r]);
          const cell = store.nb101Cell(r)!;
          expect(cell.ops[0]).toBe(NB101_OP_CODES.input);
          expect(cell.ops[cell.ops.length - 1]).toBe(NB101_OP_CODES.output);
        }
      }
      expect(withMatrix).toBe(1000);
      expect(store.sources.map((x) => x.origin)).toEqual(['nb101', 'nb101-csv', 'nb101-csv']);
    } finally {
      store.close();
    }
  });

  it('stops on two sources that disagree about a value, naming both values', async () => {
    const a = path.join(dir, 'a.csv');
    const b = path.join(dir, 'b.csv');
    const header = '4_final_validation_accuracy,12_final_validation_accuracy,36_final_validation_accuracy,108_final_validation_accuracy,final_training_time,trainable_parameters,key';
    writeFileSync(a, `${header}\n0.1,0.2,0.3,0.9,100,1000,00005c142e6f48ac74fdcf73e3439874\n`);
    writeFileSync(b, `${header}\n0.1,0.2,0.3,0.8,100,1000,00005c142e6f48ac74fdcf73e3439874\n`);
    await expect(importNB101([a, b], path.join(dir, 'c.h5'))).rejects.toThrow(/b\.csv: conflicting values .* 0\.9 and 0\.8/);
  });
});
