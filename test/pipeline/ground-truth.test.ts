import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreBuilder } from '../../src/benchmarks/store-writer.ts';
import { BenchmarkStore } from '../../src/benchmarks/store.ts';
import { DataError } from '../../src/util/errors.ts';
import { groundTruth, groundTruthOrigins } from '../../src/pipeline/ground-truth.ts';
import { archStringFromIndex } from '../../src/spaces/nb201-index.ts';

// Which release a ground truth is read from when the store has several, the file named in the
// label, and what a missing ground truth says.

const tmp = mkdtempSync(path.join(tmpdir(), 'nasrepro-gt-'));
let store: BenchmarkStore;

beforeAll(async () => {
  const b = new StoreBuilder('nb201', 4);
  for (let i = 0; i < 4; i++) b.setRow(i, archStringFromIndex(i));
  const put = (origin: string, dataset: string, split: string, epochs: number, base: number) => {
    for (let i = 0; i < 4; i++) b.addMetric(i, origin, { dataset, split, metric: 'accuracy', epochs, seed: 'mean', value: base + i });
  };
  put('nb201-v1_0', 'cifar10-valid', 'x-valid', 200, 10);
  put('nats-tss-v1_0', 'cifar10-valid', 'x-valid', 200, 20);
  put('nb201-v1_0', 'cifar10', 'ori-test', 200, 30);
  put('nats-tss-v1_0', 'cifar10', 'ori-test', 200, 40);
  put('nb201-pth', 'cifar100', 'x-test', 200, 50);
  const file = path.join(tmp, 'two-releases.h5');
  await b.write(file, [
    { path: '/data/nb201/NAS-Bench-201-v1_0-e61699.pth', format: 'pth-zip', sha256: 'a', bytes: 1, origin: 'nb201-v1_0' },
    { path: '/data/nb201/NATS-tss-v1_0-3ffb9-simple', format: 'nats-tss', sha256: 'b', bytes: 1, origin: 'nats-tss-v1_0' },
    { path: '/data/nb201/sample.pth', format: 'pth-legacy', sha256: 'c', bytes: 1, origin: 'nb201-pth' },
  ]);
  store = await BenchmarkStore.open(file);
});

afterAll(() => store.close());

describe('groundTruth', () => {
  it('reads each truth from the release its experiment documents and names the file', () => {
    const valid = groundTruth(store, { dataset: 'cifar10-valid', split: 'x-valid', epochs: 200 });
    expect(valid).toMatchObject({ label: 'cifar10-valid x-valid 200ep (nb201-v1_0: NAS-Bench-201-v1_0-e61699.pth)', origin: 'nb201-v1_0' });
    expect('values' in valid && valid.values[0]).toBe(10);
    const test = groundTruth(store, { dataset: 'cifar10', split: 'ori-test', epochs: 200 });
    expect(test).toMatchObject({ label: 'cifar10 ori-test 200ep (nats-tss-v1_0: NATS-tss-v1_0-3ffb9-simple)', origin: 'nats-tss-v1_0' });
    // a named origin is taken as asked
    expect(groundTruth(store, { dataset: 'cifar10', split: 'ori-test', epochs: 200, origin: 'nb201-v1_0' })).toMatchObject({ origin: 'nb201-v1_0' });
    // the only release that has it, whatever it is
    expect(groundTruth(store, { dataset: 'cifar100', split: 'x-test', epochs: 200 })).toMatchObject({ label: 'cifar100 x-test 200ep (nb201-pth: sample.pth)' });
    expect(groundTruthOrigins({ dataset: 'cifar100', split: 'x-test', epochs: 12 })[0]).toBe('nb201-v1_1');
  });

  it('says which official files would provide a missing truth, the preferred release first', () => {
    const m = groundTruth(store, { dataset: 'ImageNet16-120', split: 'x-test', epochs: 200 });
    expect('missing' in m && m.missing).toBe(
      'none of the files in the store has ImageNet16-120 x-test 200ep; NAS-Bench-201-v1_0-e61699.pth, NAS-Bench-201-v1_1-096897.pth, ' +
        'NATS-tss-v1_0-3ffb9-simple, nb201-accuracies.csv would provide it (put one in DATA/nb201/)',
    );
    // v1.0 has 12-epoch results for cifar10-valid only: not offered for cifar100 @12
    const m12 = groundTruth(store, { dataset: 'cifar100', split: 'x-valid', epochs: 12 });
    expect('missing' in m12 && m12.missing).toMatch(/; NAS-Bench-201-v1_1-096897\.pth, NATS-tss-v1_0-3ffb9-simple, nb201-accuracies\.csv would provide it/);
    // the shared table has cifar10-valid @12 on x-valid only
    const ori12 = groundTruth(store, { dataset: 'cifar10-valid', split: 'ori-test', epochs: 12 });
    expect('missing' in ori12 && ori12.missing).toMatch(/; NAS-Bench-201-v1_1-096897\.pth, NATS-tss-v1_0-3ffb9-simple, NAS-Bench-201-v1_0-e61699\.pth would provide it/);
  });

  it('turns only a missing column or seed into a missing truth; any other store failure surfaces', () => {
    const seedless = groundTruth(store, { dataset: 'cifar10-valid', split: 'x-valid', epochs: 200, seed: 'seed-777' });
    expect('missing' in seedless && seedless.missing).toMatch(/has no seed 'seed-777'/);
    // the same store whose column read fails (an HDF5 error, corrupt data): not "missing"
    const failing = (error: Error) => Object.create(store, { column: { value: () => { throw error; } } }) as BenchmarkStore;
    const q = { dataset: 'cifar10-valid', split: 'x-valid', epochs: 200 } as const;
    expect(() => groundTruth(failing(new DataError('HDF5 could not read dataset /metrics/x', { file: 'store.h5' })), q)).toThrow('store.h5: HDF5 could not read dataset /metrics/x');
    expect(() => groundTruth(failing(new RangeError('offset out of bounds')), q)).toThrow(RangeError);
  });
});
