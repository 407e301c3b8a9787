import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataFile } from '../helpers/data.ts';
import { DataError } from '../../src/util/errors.ts';
import type { MetricValue, NB101Record } from '../../src/benchmarks/records.ts';
import { NB101_CSV_SEED, detectNB101CsvLayout, readNB101Csv } from '../../src/benchmarks/nb101-csv.ts';
import { readNB101Tfrecord } from '../../src/benchmarks/nb101-tfrecord.ts';
import { errorOf } from '../helpers/errors.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'nasrepro-nb101-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readAll(file: string): Promise<{ records: NB101Record[]; layout: string; rows: number }> {
  const records: NB101Record[] = [];
  const s = await readNB101Csv(file, (r) => records.push(r));
  return { records, ...s };
}

/** (split/metric/epochs) -> value, ignoring seed, for comparing sources. */
function byKey(metrics: MetricValue[]): Map<string, number> {
  return new Map(metrics.map((m) => [`${m.split}/${m.metric}/${m.epochs}`, m.value]));
}

/** The 1k table with one column removed or one cell replaced, written to a temp file. */
function edited1k(name: string, edit: (rows: string[][]) => void): string {
  const lines = readFileSync(dataFile('nb101', 'nb101-cells-1k.csv'), 'utf8').trim().split('\n').slice(0, 6);
  const rows = lines.map((l) => l.split(','));
  edit(rows);
  const file = path.join(dir, name);
  writeFileSync(file, rows.map((r) => r.join(',')).join('\n') + '\n');
  return file;
}

describe('readNB101Csv', () => {
  it('reads nb101-cells-1k.csv: 1,000 cells with matrices, four budgets, params and time', async () => {
    const { records, layout, rows } = await readAll(dataFile('nb101', 'nb101-cells-1k.csv'));
    expect(layout).toBe('cells');
    expect(rows).toBe(1000);
    const first = records[0];
    expect(first.hash).toBe('00005c142e6f48ac74fdcf73e3439874');
    expect(first.ops).toEqual(['input', 'conv3x3-bn-relu', 'maxpool3x3', 'conv3x3-bn-relu', 'conv3x3-bn-relu', 'conv1x1-bn-relu', 'output']);
    expect(first.matrix).toHaveLength(7);
    const m = byKey(first.metrics);
    expect(m.get('valid/accuracy/108')).toBe(0.9304887652397156);
    expect(m.get('valid/accuracy/4')).toBe(0.3604767620563507);
    expect(m.get('model/params/108')).toBe(8555530);
    expect(m.get('train/time/108')).toBe(1768.9759521484375);
    expect(first.metrics.every((x) => x.seed === NB101_CSV_SEED && x.dataset === 'cifar10')).toBe(true);
  });

  it('reads nb101-hash-accuracy-20k.csv as hash-only records', async () => {
    const { records, layout, rows } = await readAll(dataFile('nb101', 'nb101-hash-accuracy-20k.csv'));
    expect(layout).toBe('hash-only');
    expect(rows).toBe(records.length);
    expect(rows).toBeGreaterThanOrEqual(20000);
    expect(records[0].matrix).toBeUndefined();
    expect(records.every((r) => r.metrics.length === 6)).toBe(true);
  });

  it('agrees with the tfrecord sample on every value of the same 1,000 cells', async () => {
    const fromTf = new Map<string, NB101Record>();
    await readNB101Tfrecord(dataFile('nb101', 'nb101-sample.tfrecord'), (r) => fromTf.set(r.hash, r));
    const { records } = await readAll(dataFile('nb101', 'nb101-cells-1k.csv'));
    let compared = 0;
    for (const csv of records) {
      const tf = fromTf.get(csv.hash);
      expect(tf, csv.hash).toBeDefined();
      expect(csv.matrix).toEqual(tf!.matrix);
      expect(csv.ops).toEqual(tf!.ops);
      const tfValues = byKey(tf!.metrics);
      for (const [key, value] of byKey(csv.metrics)) {
        expect(tfValues.get(key), `${csv.hash} ${key}`).toBe(value);
        compared++;
      }
    }
    expect(compared).toBe(6000);
  });

  it('agrees with the 20k table on the cells both tables hold', async () => {
    const big = new Map<string, NB101Record>();
    await readNB101Csv(dataFile('nb101', 'nb101-hash-accuracy-20k.csv'), (r) => big.set(r.hash, r));
    const { records } = await readAll(dataFile('nb101', 'nb101-cells-1k.csv'));
    for (const r of records) {
      expect(big.has(r.hash)).toBe(true);
      expect(byKey(big.get(r.hash)!.metrics)).toEqual(byKey(r.metrics));
    }
  });

  it('names the missing column', async () => {
    const file = edited1k('missing-col.csv', (rows) => {
      const i = rows[0].indexOf('val_acc_36ep');
      for (const r of rows) r.splice(i, 1);
    });
    const e = await errorOf(readAll(file));
    expect(e.message).toMatch(/missing column 'val_acc_36ep'/);
    expect(e.file).toBe(file);
    expect(e.row).toBe(1);
    expect(() => detectNB101CsvLayout(['foo', 'bar'])).toThrow(/no NB101 CSV layout/);
  });

  it('names the row of a bad number, a bad hash, a wrong hash and an invalid matrix', async () => {
    const cases: Array<[string, (rows: string[][]) => void, RegExp]> = [
      ['bad-number.csv', (rows) => (rows[3][rows[0].indexOf('val_acc_108ep')] = 'abc'), /column 'val_acc_108ep' is 'abc', not a number/],
      ['bad-hash.csv', (rows) => (rows[3][0] = 'xyz'), /not a 32-character lowercase hex hash/],
      ['wrong-hash.csv', (rows) => (rows[3][0] = rows[2][0]), /does not match the hash/],
      ['bad-matrix.csv', (rows) => (rows[3][rows[0].indexOf('adjacency_rowmajor')] = '1' + rows[3][2].slice(1)), /not-upper-triangular/],
      ['bad-vertices.csv', (rows) => (rows[3][rows[0].indexOf('n_vertices')] = '6'), /says 6 vertices but the adjacency is 7x7/],
    ];
    for (const [name, edit, re] of cases) {
      const e = await errorOf(readAll(edited1k(name, edit)));
      expect(e.message, name).toMatch(re);
      expect(e.row, name).toBe(4);
    }
  });

  it('treats an empty value as missing, not 0', async () => {
    const file = edited1k('empty.csv', (rows) => (rows[1][rows[0].indexOf('val_acc_4ep')] = ''));
    const { records } = await readAll(file);
    expect(byKey(records[0].metrics).has('valid/accuracy/4')).toBe(false);
    expect(records[0].metrics).toHaveLength(5);
  });
});
