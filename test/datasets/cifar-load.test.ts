import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/util/errors.ts';
import { datasetDir, loadImageSet } from '../../src/datasets/load.ts';
import { DATA_DIR, dataFile } from '../helpers/data.ts';

const empty = mkdtempSync(path.join(tmpdir(), 'nasrepro-load-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('loadImageSet', () => {
  it('finds CIFAR-10 under its official directory names', () => {
    dataFile('cifar10', 'cifar-10-batches-bin', 'data_batch_1.bin');
    const set = loadImageSet(DATA_DIR, 'cifar10', 'test');
    expect(set.size).toBe(846);
    expect(set.dataset).toBe('cifar10');
    expect(set.split).toBe('test');
    expect(datasetDir(DATA_DIR, 'cifar100')).toBe(path.join(DATA_DIR, 'cifar100', 'cifar-100-binary'));
    expect(datasetDir(DATA_DIR, 'ImageNet16-120')).toBe(path.join(DATA_DIR, 'ImageNet16'));
  });

  it('names the missing directory and where to get the dataset', () => {
    const c100 = thrown(() => loadImageSet(empty, 'cifar100', 'train'));
    expect(c100).toBeInstanceOf(DataError);
    expect(c100.message).toContain(path.join(empty, 'cifar100', 'cifar-100-binary'));
    expect(c100.message).toContain('cifar-100-binary.tar.gz');
    const c10 = thrown(() => loadImageSet(empty, 'cifar10', 'train'));
    expect(c10.message).toContain('cifar-10-binary.tar.gz');
    const inet = thrown(() => loadImageSet(empty, 'ImageNet16-120', 'train'));
    expect(inet).toBeInstanceOf(DataError);
    expect(inet.message).toContain(path.join(empty, 'ImageNet16'));
    expect(inet.message).toMatch(/Downsampled ImageNet 16x16/);
  });

  it('refuses splits the official files do not have', () => {
    expect(() => loadImageSet(DATA_DIR, 'cifar10', 'valid')).toThrow(/cifar10 has no 'valid' split.*available: train, test/);
    expect(() => loadImageSet(empty, 'ImageNet16-120', 'test')).toThrow(/available: train, valid/);
  });
});
