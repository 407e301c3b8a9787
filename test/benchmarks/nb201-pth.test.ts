import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataFile } from '../helpers/data.ts';
import { DataError } from '../../src/util/errors.ts';
import { nb201PthOriginFromName, readNB201Pth } from '../../src/benchmarks/nb201-pth.ts';
import { readNATSTss } from '../../src/benchmarks/nats-tss.ts';
import type { NB201Record } from '../../src/benchmarks/records.ts';
import { CSV_COLUMNS, csvRows, seedMean } from './nb201-agreement.ts';

const FIXTURES = path.resolve('test/fixtures/nb201');
const fixture = (name: string) => path.join(FIXTURES, name);

async function readAll(file: string) {
  const records: NB201Record[] = [];
  const summary = await readNB201Pth(file, (r) => records.push(r));
  return { records, summary };
}

/** The formula test/fixtures/make-nb201-pth.py writes. */
function fixtureValue(index: number, hp: number, dataset: string, seed: number, split: string, epoch: number, kind: string): number {
  const ds = ['cifar10-valid', 'cifar10', 'cifar100', 'ImageNet16-120'].indexOf(dataset);
  const sp = ['train', 'x-valid', 'x-test', 'ori-test'].indexOf(split);
  const kd = ['acc', 'loss', 'time'].indexOf(kind);
  return index * 1000 + ds * 100 + sp * 10 + kd + (seed % 100) / 100 + epoch / 1000 + hp / 1e6;
}

describe('readNB201Pth on the shared sample (legacy serialization)', () => {
  it('agrees with the NATS files and the accuracy table for cells 0, 11 and 284', async () => {
    const { records, summary } = await readAll(dataFile('nb201', 'NAS-Bench-201-sample-legacy.pth'));
    expect(summary.format).toBe('pth-legacy');
    expect(summary.origin).toBe('nb201-pth');
    expect(summary.archCount).toBe(15625);
    expect(summary.metaArchs).toHaveLength(15625);
    expect(records.map((r) => r.index)).toEqual([0, 11, 284]);
    expect(summary.pickle.promoted).toBeLessThan(20);

    const nats: NB201Record[] = [];
    await readNATSTss(dataFile('nb201', 'NATS-tss-v1_0-3ffb9-simple'), (r) => nats.push(r));
    const table = csvRows(dataFile('nb201', 'nb201-accuracies.csv'));

    const cell0 = records[0]!;
    expect(seedMean(cell0, 'cifar10', 'ori-test', 200).mean).toBeCloseTo(85.8633, 4);
    expect(seedMean(cell0, 'cifar10-valid', 'x-valid', 200).mean).toBeCloseTo(81.9827, 4);
    expect(seedMean(cell0, 'cifar10-valid', 'ori-test', 200).mean).toBeCloseTo(81.52, 4);
    const less = seedMean(cell0, 'cifar10-valid', 'x-valid', 12);
    expect(less.seeds).toEqual(['111', '777']);
    expect(less.mean).toBeCloseTo(63.364, 3);

    for (const r of records) {
      const n = nats.find((x) => x.index === r.index)!;
      expect(n.arch).toBe(r.arch);
      const row = table.get(r.index)!;
      expect(row.arch).toBe(r.arch);
      expect(Number(row.params_M)).toBeCloseTo(seedMean(r, 'cifar10', 'model', 200, 'params_M').mean, 6);
      for (const [col, dataset, split, epochs] of CSV_COLUMNS) {
        const ours = seedMean(r, dataset, split, epochs);
        expect(ours.mean, `${r.index} ${col}`).toBeCloseTo(Number(row[col]), 6);
        expect(seedMean(n, dataset, split, epochs).mean, `${r.index} ${col} (NATS)`).toBeCloseTo(ours.mean, 9);
      }
    }
  });
});

describe('readNB201Pth on generated fixtures', () => {
  it('reads the same records from the legacy and the zip serialization', async () => {
    const legacy = await readAll(fixture('nb201-small-legacy.pth'));
    const zip = await readAll(fixture('nb201-small-zip.pth'));
    expect(legacy.summary.format).toBe('pth-legacy');
    expect(zip.summary.format).toBe('pth-zip');
    expect(zip.records).toEqual(legacy.records);
    expect(legacy.summary.storageCount).toBe(2); // the net_state_dict's two tensors
    expect(zip.summary.storageCount).toBe(2);
    expect(legacy.records.map((r) => r.index)).toEqual([0, 5, 11]);
    expect(legacy.summary.evaluatedCount).toBe(3);
  });

  it('takes the final epoch (199 / 11), sums times, averages latency, keys seeds by the all_results key', async () => {
    const { records } = await readAll(fixture('nb201-small-zip.pth'));
    const r = records[1]!; // cell 5
    const find = (dataset: string, split: string, metric: string, epochs: number) =>
      r.metrics.filter((m) => m.dataset === dataset && m.split === split && m.metric === metric && m.epochs === epochs);
    const [xv] = find('cifar10-valid', 'x-valid', 'accuracy', 200);
    expect(xv!.seed).toBe('777');
    expect(xv!.value).toBeCloseTo(fixtureValue(5, 200, 'cifar10-valid', 777, 'x-valid', 199, 'acc'), 9);
    const [lessAcc] = find('cifar100', 'x-test', 'accuracy', 12);
    expect(lessAcc!.seed).toBe('111');
    expect(lessAcc!.value).toBeCloseTo(fixtureValue(5, 12, 'cifar100', 111, 'x-test', 11, 'acc'), 9);
    const [trainLoss] = find('cifar10-valid', 'train', 'loss', 200);
    expect(trainLoss!.value).toBeCloseTo(fixtureValue(5, 200, 'cifar10-valid', 777, 'train', 199, 'loss'), 9);
    let total = 0;
    for (let e = 0; e < 200; e++) total += fixtureValue(5, 200, 'cifar10-valid', 777, 'ori-test', e, 'time');
    expect(find('cifar10-valid', 'ori-test', 'time', 200)[0]!.value).toBeCloseTo(total, 6);
    expect(find('cifar10-valid', 'model', 'latency_s', 200)[0]!.value).toBeCloseTo(0.02, 12);
    expect(find('cifar10-valid', 'model', 'params_M', 200)[0]!.value).toBeCloseTo(0.105, 12);
    expect(find('cifar10-valid', 'model', 'flops_M', 200)[0]!.value).toBeCloseTo(15.005, 12);
    expect(find('cifar10-valid', 'x-test', 'accuracy', 200)).toHaveLength(0); // not an eval split of cifar10-valid here
  });

  it('keeps the memo flat over many cells (bounded memory)', async () => {
    const { records, summary } = await readAll(fixture('nb201-many-legacy.pth'));
    expect(records).toHaveLength(150);
    const s = summary.pickle;
    const perRecord = (s.released + s.memoSize - 150) / 150; // memo entries written per cell
    expect(perRecord).toBeGreaterThan(20);
    // Without release the memo would end with ~150 x perRecord entries; it holds the 150 meta
    // strings, the shared objects and about 5 cells (probation window 4 + the open one; one spare).
    expect(s.maxMemoSize).toBeLessThan(150 + 40 + 6 * perRecord);
    expect(s.maxMemoSize).toBeLessThan(0.2 * 150 * perRecord);
  });

  it('names the release from the official file names', () => {
    expect(nb201PthOriginFromName('/x/NAS-Bench-201-v1_0-e61699.pth')).toBe('nb201-v1_0');
    expect(nb201PthOriginFromName('NAS-Bench-201-v1_1-096897.pth')).toBe('nb201-v1_1');
    expect(nb201PthOriginFromName('other.pth')).toBe('nb201-pth');
  });
});

describe('readNB201Pth on bad input', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'nb201-pth-'));

  it('reports truncated files with the file and the byte offset', async () => {
    for (const name of ['nb201-small-legacy.pth', 'nb201-small-zip.pth']) {
      const whole = readFileSync(fixture(name));
      for (const cut of [0, 1, 5, 40, 140, 1000, 60_000, whole.length - 40, whole.length - 1]) {
        const file = path.join(tmp, `cut-${cut}-${name}`);
        writeFileSync(file, whole.subarray(0, cut));
        let err: unknown;
        try {
          await readNB201Pth(file, () => {});
        } catch (e) {
          err = e;
        }
        expect(err, `${name} cut at ${cut}`).toBeInstanceOf(DataError);
        expect((err as DataError).file).toBe(file);
        expect((err as DataError).offset, `${name} cut at ${cut}: ${(err as Error).message}`).toBeTypeOf('number');
      }
    }
  });

  it('says "ends early" for a legacy file cut inside the object pickle', async () => {
    const file = path.join(tmp, 'cut-mid.pth');
    writeFileSync(file, readFileSync(fixture('nb201-small-legacy.pth')).subarray(0, 50_000));
    await expect(readNB201Pth(file, () => {})).rejects.toThrow(/byte 50000: ends early at byte 50000/);
  });

  it('refuses a zip without data.pkl', async () => {
    await expect(readNB201Pth(fixture('nb201-no-data-pkl.zip'), () => {})).rejects.toThrow(/no <archive>\/data\.pkl entry/);
  });

  it('refuses a meta_archs entry that is not an NB201 arch string, naming the row', async () => {
    await expect(readNB201Pth(fixture('nb201-bad-arch.pth'), () => {})).rejects.toThrow(/meta_archs\[1\] is not a valid NB201 arch string.*bogus_op/);
  });

  it('refuses a file that is not a .pth', async () => {
    const file = path.join(tmp, 'text.pth');
    writeFileSync(file, 'hello');
    await expect(readNB201Pth(file, () => {})).rejects.toThrow(DataError);
  });
});
