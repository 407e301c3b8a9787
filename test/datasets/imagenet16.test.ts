import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/util/errors.ts';
import { loadImageNet16 } from '../../src/datasets/imagenet16.ts';

const DIR = path.resolve('test/fixtures/imagenet16');

/** What test/fixtures/make-imagenet16.py writes: pixel formula and labels per file. */
const pixel = (f: number, i: number, c: number, y: number, x: number) => (f * 37 + i * 31 + c * 7 + y * 3 + x) % 256;
const labelsOf = (f: number) => [0, 1, 2, 3].map((i) => (i !== 3 ? [1, 120, 121, 1000][(i + f) % 4]! : 1000 - f));

function expected(files: number[]) {
  const images: { f: number; i: number }[] = [];
  const labels: number[] = [];
  for (const f of files) {
    labelsOf(f).forEach((y, i) => {
      if (y <= 120) {
        images.push({ f, i });
        labels.push(y - 1);
      }
    });
  }
  return { images, labels };
}

describe('loadImageNet16', () => {
  it('keeps classes 1..120 as 0..119 and stores images HWC from the R,G,B planes (train)', () => {
    const set = loadImageNet16(DIR, 'train');
    const want = expected([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(set.dataset).toBe('ImageNet16-120');
    expect(set.numClasses).toBe(120);
    expect([set.height, set.width, set.channels]).toEqual([16, 16, 3]);
    expect(set.files).toHaveLength(10);
    expect(Array.from(set.labels)).toEqual(want.labels);
    expect(set.size).toBe(want.labels.length);
    expect(set.images.length).toBe(set.size * 768);
    want.images.forEach(({ f, i }, n) => {
      for (const [y, x, c] of [[0, 0, 0], [0, 0, 2], [3, 5, 1], [15, 15, 2], [7, 0, 0]] as const) {
        expect(set.images[((n * 16 + y) * 16 + x) * 3 + c], `image ${n} (${y},${x},${c})`).toBe(pixel(f, i, c, y, x));
      }
    });
  });

  it('reads val_data for the valid split', () => {
    const set = loadImageNet16(DIR, 'valid');
    const want = expected([0]);
    expect(set.split).toBe('valid');
    expect(Array.from(set.labels)).toEqual(want.labels);
    expect(set.images[((1 * 16 + 2) * 16 + 3) * 3 + 1]).toBe(pixel(0, want.images[1]!.i, 1, 2, 3));
  });

  it('names a missing batch file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'in16-'));
    cpSync(DIR, dir, { recursive: true });
    rmSync(path.join(dir, 'train_data_batch_7'));
    expect(() => loadImageNet16(dir, 'train')).toThrow(DataError);
    expect(() => loadImageNet16(dir, 'train')).toThrow(/train_data_batch_7.*missing ImageNet16 file/);
  });
});
