import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/util/errors.ts';
import { CIFAR_PIXEL_BYTES, loadCifar10, loadCifar100 } from '../../src/datasets/cifar.ts';
import { dataFile } from '../helpers/data.ts';

const tmpRoot = mkdtempSync(path.join(tmpdir(), 'nasrepro-cifar-'));
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));

function tmpDir(name: string): string {
  const dir = path.join(tmpRoot, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('CIFAR-10 on the shared real images', () => {
  const dir = path.dirname(dataFile('cifar10', 'cifar-10-batches-bin', 'data_batch_1.bin'));
  const train = loadCifar10(dir, 'train');
  const test = loadCifar10(dir, 'test');

  it('reads the 4,000 train and 846 test images that are present', () => {
    expect(train.size).toBe(4000);
    expect(test.size).toBe(846);
    expect(train.files).toEqual([path.join(dir, 'data_batch_1.bin')]);
    expect(test.files).toEqual([path.join(dir, 'test_batch.bin')]);
    expect([train.height, train.width, train.channels, train.numClasses]).toEqual([32, 32, 3, 10]);
    expect(train.images.length).toBe(4000 * 32 * 32 * 3);
    expect(train.labels.length).toBe(4000);
  });

  it('has labels in 0..9 with every class present, and the known first labels', () => {
    for (const set of [train, test]) {
      const counts = new Array<number>(10).fill(0);
      for (const label of set.labels) {
        expect(label).toBeGreaterThanOrEqual(0);
        expect(label).toBeLessThan(10);
        counts[label]!++;
      }
      expect(counts.every((c) => c > 0)).toBe(true);
    }
    // First images of the official files: frog, truck, truck, deer, automobile / cat, ship, ship, airplane, frog.
    expect(Array.from(train.labels.subarray(0, 5))).toEqual([6, 9, 9, 4, 1]);
    expect(Array.from(test.labels.subarray(0, 5))).toEqual([3, 8, 8, 0, 6]);
  });

  it('has per-channel means close to the published CIFAR-10 training means', () => {
    // 125.3, 123.0, 113.9 (0..255) are the constants NB201 normalises with, computed on all
    // 50,000 training images; 4,000 of them must agree within a few levels.
    const sums = [0, 0, 0];
    for (let i = 0; i < train.images.length; i++) sums[i % 3]! += train.images[i]!;
    const means = sums.map((s) => s / (train.size * 32 * 32));
    [125.3, 123.0, 113.9].forEach((published, c) => expect(Math.abs(means[c]! - published)).toBeLessThan(3));
  });

  it('converts planes to NHWC: a hand-decoded pixel equals the file bytes', () => {
    const raw = readFileSync(path.join(dir, 'data_batch_1.bin'));
    const record = 1 + CIFAR_PIXEL_BYTES;
    for (const [r, y, x] of [[0, 5, 7], [0, 31, 31], [3999, 0, 0], [1234, 17, 2]] as const) {
      const base = r * record;
      expect(train.labels[r]).toBe(raw[base]);
      for (let c = 0; c < 3; c++) {
        const fileByte = raw[base + 1 + c * 1024 + y * 32 + x];
        expect(train.images[((r * 32 + y) * 32 + x) * 3 + c]).toBe(fileByte);
      }
    }
  });
});

/** A CIFAR-100 file in the official layout: coarse byte, fine byte, R, G, B planes. */
function cifar100Records(fine: number[], coarse: (i: number) => number = (i) => i % 20): Buffer {
  const record = 2 + CIFAR_PIXEL_BYTES;
  const buf = Buffer.alloc(fine.length * record);
  fine.forEach((label, i) => {
    buf[i * record] = coarse(i);
    buf[i * record + 1] = label;
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < 1024; p++) buf[i * record + 2 + c * 1024 + p] = (i * 7 + c * 50 + p) % 256;
    }
  });
  return buf;
}

describe('CIFAR-100 on a generated fixture', () => {
  const dir = tmpDir('cifar-100-binary');
  const trainFine = [0, 99, 42, 7, 63];
  writeFileSync(path.join(dir, 'train.bin'), cifar100Records(trainFine));
  writeFileSync(path.join(dir, 'test.bin'), cifar100Records([5, 6]));

  it('uses the fine label (100 classes) and decodes planes to NHWC', () => {
    const train = loadCifar100(dir, 'train');
    expect(train.size).toBe(5);
    expect(train.numClasses).toBe(100);
    expect(train.dataset).toBe('cifar100');
    expect(Array.from(train.labels)).toEqual(trainFine);
    // image 3, pixel (y=2, x=9): p = 73; channel c byte = (3*7 + c*50 + 73) % 256.
    const p = 2 * 32 + 9;
    expect(Array.from(train.images.subarray((3 * 1024 + p) * 3, (3 * 1024 + p) * 3 + 3))).toEqual([94, 144, 194]);
    expect(loadCifar100(dir, 'test').size).toBe(2);
  });

  it('rejects a fine label above 99 with the record number and byte offset', () => {
    const bad = tmpDir('cifar100-bad-label');
    writeFileSync(path.join(bad, 'train.bin'), cifar100Records([1, 2, 100]));
    const error = thrown(() => loadCifar100(bad, 'train'));
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toContain(path.join(bad, 'train.bin'));
    expect(error.message).toMatch(/record 2: label 100 is out of range 0..99/);
    expect((error as DataError).offset).toBe(2 * (2 + CIFAR_PIXEL_BYTES) + 1);
  });
});

describe('CIFAR file checks', () => {
  it('rejects a file whose size is not a whole number of records, naming file and size', () => {
    const dir = tmpDir('cifar10-bad-size');
    const file = path.join(dir, 'test_batch.bin');
    writeFileSync(file, Buffer.alloc(2 * 3073 + 100));
    const error = thrown(() => loadCifar10(dir, 'test'));
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/size 6246 bytes/);
    // A CIFAR-10 file read as CIFAR-100 (3,073 vs 3,074-byte records) is caught the same way.
    const asC100 = tmpDir('cifar100-from-c10');
    writeFileSync(path.join(asC100, 'test.bin'), Buffer.alloc(3 * 3073));
    expect(() => loadCifar100(asC100, 'test')).toThrow(/not a whole, non-zero number of cifar100 records of 3074 bytes/);
  });

  it('rejects an empty file', () => {
    const dir = tmpDir('cifar10-empty');
    writeFileSync(path.join(dir, 'test_batch.bin'), Buffer.alloc(0));
    expect(() => loadCifar10(dir, 'test')).toThrow(DataError);
  });

  it('rejects a CIFAR-10 label above 9', () => {
    const dir = tmpDir('cifar10-bad-label');
    const buf = Buffer.alloc(2 * 3073);
    buf[3073] = 10;
    writeFileSync(path.join(dir, 'test_batch.bin'), buf);
    expect(() => loadCifar10(dir, 'test')).toThrow(/record 1: label 10 is out of range 0..9/);
  });

  it('names every missing file when a split has none of them', () => {
    const dir = tmpDir('cifar10-empty-dir');
    const error = thrown(() => loadCifar10(dir, 'train'));
    expect(error).toBeInstanceOf(DataError);
    for (let k = 1; k <= 5; k++) expect(error.message).toContain(path.join(dir, `data_batch_${k}.bin`));
    expect(() => loadCifar100(dir, 'test')).toThrow(/no cifar100 test files found; looked for .*test\.bin/);
  });

  it('concatenates the train batches that are present, in file order', () => {
    const dir = tmpDir('cifar10-two-batches');
    const one = Buffer.alloc(2 * 3073);
    one[0] = 1;
    one[3073] = 2;
    const three = Buffer.alloc(3073);
    three[0] = 3;
    writeFileSync(path.join(dir, 'data_batch_3.bin'), three);
    writeFileSync(path.join(dir, 'data_batch_1.bin'), one);
    const set = loadCifar10(dir, 'train');
    expect(Array.from(set.labels)).toEqual([1, 2, 3]);
    expect(set.files.map((f) => path.basename(f))).toEqual(['data_batch_1.bin', 'data_batch_3.bin']);
  });
});
