import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/util/errors.ts';
import { selectBatch, selectIndices } from '../../src/datasets/batch.ts';
import { loadCifar10 } from '../../src/datasets/cifar.ts';
import { CHANNEL_STATS, normalizeBatch, normalizedValue } from '../../src/datasets/normalize.ts';
import type { ImageSet } from '../../src/datasets/types.ts';
import { dataFile } from '../helpers/data.ts';

const cifar10 = loadCifar10(path.dirname(dataFile('cifar10', 'cifar-10-batches-bin', 'data_batch_1.bin')), 'train');

describe('selectIndices / selectBatch', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = selectIndices(4000, 128, 1);
    expect(selectIndices(4000, 128, 1)).toEqual(a);
    const b = selectIndices(4000, 128, 2);
    expect(b).not.toEqual(a);
    // Different seeds overlap only by chance (~4 of 128 expected for 4,000 images).
    expect(a.filter((i) => b.includes(i)).length).toBeLessThan(20);
  });

  it('picks distinct indices in range, and n = size is a permutation', () => {
    for (const seed of [0, 7, 12345]) {
      const idx = selectIndices(4000, 256, seed);
      expect(new Set(idx).size).toBe(256);
      expect(idx.every((i) => Number.isInteger(i) && i >= 0 && i < 4000)).toBe(true);
    }
    const all = selectIndices(50, 50, 3);
    expect([...all].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(all).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('is not biased toward the start of the set', () => {
    const idx = selectIndices(4000, 2000, 99);
    const mean = idx.reduce((s, i) => s + i, 0) / idx.length;
    expect(Math.abs(mean - 1999.5)).toBeLessThan(100);
  });

  it('refuses more images than the set has, and bad n or seed', () => {
    expect(() => selectIndices(10, 11, 0)).toThrow(DataError);
    expect(() => selectBatch(cifar10, 4001, 0)).toThrow(/cannot select 4001 distinct images from the cifar10 train set of 4000/);
    expect(() => selectIndices(10, 0, 0)).toThrow(/positive integer/);
    expect(() => selectIndices(10, 2, 0.5)).toThrow(/seed must be an integer/);
  });

  it('returns the chosen images, normalised, with their labels', () => {
    const batch = selectBatch(cifar10, 64, 5);
    expect(batch.indices).toEqual(selectIndices(4000, 64, 5));
    expect([batch.n, batch.height, batch.width, batch.channels]).toEqual([64, 32, 32, 3]);
    expect(batch.x.length).toBe(64 * 32 * 32 * 3);
    batch.indices.forEach((index, b) => expect(batch.labels[b]).toBe(cifar10.labels[index]));
    const [b, y, x, c] = [10, 4, 20, 2];
    const raw = cifar10.images[((batch.indices[b]! * 32 + y) * 32 + x) * 3 + c]!;
    expect(batch.x[((b * 32 + y) * 32 + x) * 3 + c]).toBeCloseTo((raw - 113.9) / 66.7, 5);
  });
});

describe('normalizeBatch', () => {
  it('uses the reference constants in float32 like torchvision', () => {
    expect(CHANNEL_STATS.cifar10).toEqual({ mean: [125.3, 123.0, 113.9], std: [63.0, 62.1, 66.7] });
    expect(CHANNEL_STATS.cifar100).toEqual({ mean: [129.3, 124.1, 112.4], std: [68.2, 65.4, 70.4] });
    expect(CHANNEL_STATS['ImageNet16-120']).toEqual({ mean: [122.68, 116.66, 104.01], std: [63.22, 61.26, 65.09] });
    const f = Math.fround;
    const expected = f(f(f(200 / 255) - f(124.1 / 255)) / f(65.4 / 255));
    expect(normalizedValue('cifar100', 1, 200)).toBe(expected);
    expect(normalizedValue('cifar10', 0, 0)).toBeCloseTo(-125.3 / 63.0, 5);
  });

  it('normalised real CIFAR-10 images have per-channel mean near 0 and std near 1', () => {
    const batch = normalizeBatch(cifar10, Array.from({ length: 4000 }, (_, i) => i));
    for (let c = 0; c < 3; c++) {
      let s = 0;
      let s2 = 0;
      for (let i = c; i < batch.x.length; i += 3) {
        s += batch.x[i]!;
        s2 += batch.x[i]! ** 2;
      }
      const n = batch.x.length / 3;
      const mean = s / n;
      expect(Math.abs(mean)).toBeLessThan(0.05);
      expect(Math.abs(Math.sqrt(s2 / n - mean ** 2) - 1)).toBeLessThan(0.05);
    }
  });

  it('works for any dataset and image size (16x16 ImageNet16-120)', () => {
    const set: ImageSet = {
      dataset: 'ImageNet16-120', split: 'train', files: [], height: 16, width: 16, channels: 3, numClasses: 120,
      size: 2, images: new Uint8Array(2 * 16 * 16 * 3).fill(7), labels: Int32Array.from([119, 0]),
    };
    const batch = normalizeBatch(set, [1, 0]);
    expect(Array.from(batch.labels)).toEqual([0, 119]);
    expect(batch.x[2]).toBe(normalizedValue('ImageNet16-120', 2, 7));
    expect(() => normalizeBatch(set, [2])).toThrow(RangeError);
  });
});
