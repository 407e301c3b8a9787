import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataFile } from '../helpers/data.ts';
import { DataError } from '../../src/util/errors.ts';
import { encodeTfrecord } from '../../src/io/tfrecord.ts';
import type { NB101Record } from '../../src/benchmarks/records.ts';
import { encodeModelMetrics, decodeModelMetrics, type NB101ModelMetrics } from '../../src/benchmarks/nb101-model-metrics.ts';
import { readNB101Tfrecord } from '../../src/benchmarks/nb101-tfrecord.ts';
import { errorOf } from '../helpers/errors.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'nasrepro-nb101-tfrecord-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Two real cells (hashes from the official release, matrices and ops from nb101-cells-1k.csv).
const CELL_A = {
  hash: '00005c142e6f48ac74fdcf73e3439874',
  adjacency: '0100110001000000010010000010000001000000010000000',
  ops: 'input,conv3x3-bn-relu,maxpool3x3,conv3x3-bn-relu,conv3x3-bn-relu,conv1x1-bn-relu,output',
};
const CELL_B = {
  hash: '0000718c96730a92ea6d5242f8ce77e2',
  adjacency: '0100000001000000010000000111000001000000010000000',
  ops: 'input,conv1x1-bn-relu,conv1x1-bn-relu,conv3x3-bn-relu,conv1x1-bn-relu,conv3x3-bn-relu,output',
};

function fullMetrics(valid: number, params = 1234): NB101ModelMetrics {
  const ev = (epoch: number) => ({
    currentEpoch: epoch,
    trainingTime: 10 * epoch + valid,
    trainAccuracy: 0.99,
    validationAccuracy: valid,
    testAccuracy: valid - 0.01,
    checkpointPath: `/tmp/model.ckpt-${epoch}`,
  });
  return { evaluations: [ev(0), ev(54), ev(108)], trainableParameters: params, totalTime: 999 };
}

function payload(cell: typeof CELL_A, epochs: number, m: NB101ModelMetrics): Buffer {
  const b64 = Buffer.from(encodeModelMetrics(m)).toString('base64');
  // json.dumps spacing, as in the official files.
  return Buffer.from(`["${cell.hash}", ${epochs}, "${cell.adjacency}", "${cell.ops}", "${b64}"]`);
}

function writeFile(name: string, payloads: Buffer[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, Buffer.concat(payloads.map((p) => encodeTfrecord(p))));
  return file;
}

async function readAll(file: string): Promise<{ records: NB101Record[]; summary: Awaited<ReturnType<typeof readNB101Tfrecord>> }> {
  const records: NB101Record[] = [];
  const summary = await readNB101Tfrecord(file, (r) => records.push(r));
  return { records, summary };
}

describe('ModelMetrics decoding', () => {
  it('round-trips every field and keeps absent fields undefined', () => {
    const m = fullMetrics(0.9);
    expect(decodeModelMetrics(encodeModelMetrics(m))).toEqual(m);
    const sparse: NB101ModelMetrics = { evaluations: [{ currentEpoch: 0 }, {}, { validationAccuracy: 0.5 }] };
    const back = decodeModelMetrics(encodeModelMetrics(sparse));
    expect(back).toEqual(sparse);
    expect('testAccuracy' in back.evaluations[2]).toBe(false);
    expect(back.trainableParameters).toBeUndefined();
  });
});

describe('readNB101Tfrecord on the shared sample', () => {
  it('groups 4,000 records into 1,000 cells with all four budgets, hashes verified', async () => {
    const { records, summary } = await readAll(dataFile('nb101', 'nb101-sample.tfrecord'));
    expect(summary).toMatchObject({ records: 4000, cells: 1000, epochs: [4, 12, 36, 108], maxRepeats: 1, nonAdjacentCells: 0 });
    expect(records).toHaveLength(1000);
    expect(new Set(records.map((r) => r.hash)).size).toBe(1000);
    const a = records.find((r) => r.hash === CELL_A.hash)!;
    expect(a.ops).toEqual(CELL_A.ops.split(','));
    expect(a.matrix![0]).toEqual([0, 1, 0, 0, 1, 1, 0]);
    const valid = a.metrics.filter((m) => m.split === 'valid' && m.metric === 'accuracy');
    expect(valid.map((m) => [m.epochs, m.seed, m.value])).toEqual([
      [4, 'run0', 0.3604767620563507],
      [12, 'run0', 0.42197516560554504],
      [36, 'run0', 0.9001402258872986],
      [108, 'run0', 0.9304887652397156],
    ]);
    expect(a.metrics.find((m) => m.metric === 'time')).toMatchObject({ split: 'train', epochs: 108, value: 1768.9759521484375 });
    expect(a.metrics.find((m) => m.metric === 'params')?.value).toBe(8555530);
  });

  it('emits no value for fields the sample lacks (test and train accuracy), never 0', async () => {
    const { records } = await readAll(dataFile('nb101', 'nb101-sample.tfrecord'));
    const all = records.flatMap((r) => r.metrics);
    expect(all.some((m) => m.split === 'test')).toBe(false);
    expect(all.some((m) => m.split === 'train' && m.metric === 'accuracy')).toBe(false);
    // Training time is only in the 108-epoch records of the sample.
    expect(new Set(all.filter((m) => m.metric === 'time').map((m) => m.epochs))).toEqual(new Set([108]));
    expect(all.every((m) => m.value !== 0)).toBe(true);
    expect(all.filter((m) => m.split === 'valid')).toHaveLength(4000);
  });
});

describe('readNB101Tfrecord on constructed files', () => {
  it('names repeats run0..run2 in order of appearance and emits every present field', async () => {
    const file = writeFile('repeats.tfrecord', [
      payload(CELL_A, 108, fullMetrics(0.91)),
      payload(CELL_A, 108, fullMetrics(0.92)),
      payload(CELL_A, 4, fullMetrics(0.5)),
      payload(CELL_A, 108, fullMetrics(0.93)),
    ]);
    const { records, summary } = await readAll(file);
    expect(summary).toMatchObject({ records: 4, cells: 1, epochs: [4, 108], maxRepeats: 3 });
    const v108 = records[0].metrics.filter((m) => m.split === 'valid' && m.epochs === 108);
    expect(v108.map((m) => [m.seed, m.value])).toEqual([['run0', 0.91], ['run1', 0.92], ['run2', 0.93]]);
    const run1 = records[0].metrics.filter((m) => m.epochs === 108 && m.seed === 'run1');
    expect(run1.map((m) => `${m.split}/${m.metric}`).sort()).toEqual(['model/params', 'test/accuracy', 'train/accuracy', 'train/time', 'valid/accuracy']);
    expect(run1.find((m) => m.split === 'test')!.value).toBeCloseTo(0.91, 12);
  });

  it('collects the records of a cell that are not adjacent into one NB101Record', async () => {
    const file = writeFile('interleaved.tfrecord', [
      payload(CELL_A, 108, fullMetrics(0.91)),
      payload(CELL_B, 108, fullMetrics(0.81)),
      payload(CELL_A, 108, fullMetrics(0.92)),
    ]);
    const { records, summary } = await readAll(file);
    expect(summary).toMatchObject({ cells: 2, nonAdjacentCells: 1 });
    // B completes first (its only record), A when its second record arrives.
    expect(records.map((r) => r.hash)).toEqual([CELL_B.hash, CELL_A.hash]);
    expect(records[1].metrics.filter((m) => m.split === 'valid').map((m) => m.seed)).toEqual(['run0', 'run1']);
  });

  it('rejects a payload that is not JSON, naming the record offset', async () => {
    const good = payload(CELL_A, 108, fullMetrics(0.9));
    const file = writeFile('badjson.tfrecord', [good, Buffer.from('["00005c142e6f48ac74fdcf73e3439874", 108, ')]);
    const e = await errorOf(readAll(file));
    expect(e.message).toMatch(/not valid JSON/);
    expect(e.offset).toBe(good.length + 16);
  });

  it('rejects a record whose hash does not match its matrix and ops', async () => {
    const wrong = { ...CELL_B, hash: CELL_A.hash };
    const e = await errorOf(readAll(writeFile('badhash.tfrecord', [payload(wrong, 108, fullMetrics(0.9))])));
    expect(e.message).toMatch(/does not match the hash 0000718c96730a92ea6d5242f8ce77e2/);
    expect(e.offset).toBe(0);
  });

  it('rejects malformed protobuf and too few evaluations', async () => {
    const junk = Buffer.from(`["${CELL_A.hash}", 108, "${CELL_A.adjacency}", "${CELL_A.ops}", "${Buffer.from([0x0a, 0x40, 1]).toString('base64')}"]`);
    let e = await errorOf(readAll(writeFile('badproto.tfrecord', [junk])));
    expect(e.message).toMatch(/ModelMetrics protobuf is malformed/);
    const two = fullMetrics(0.9);
    two.evaluations.pop();
    e = await errorOf(readAll(writeFile('twoevals.tfrecord', [payload(CELL_A, 108, two)])));
    expect(e.message).toMatch(/2 evaluations, expected 3/);
  });

  it('rejects an invalid cell with the rule it breaks', async () => {
    // 4x4 with edges 0 -> 1 and 1 -> 0: a cycle, so an entry below the diagonal.
    const cyclic = { ...CELL_A, adjacency: '0100100000000000', ops: 'input,conv3x3-bn-relu,conv3x3-bn-relu,output' };
    const e = await errorOf(readAll(writeFile('cyclic.tfrecord', [payload(cyclic, 108, fullMetrics(0.9))])));
    expect(e.message).toMatch(/not-upper-triangular/);
  });
});
