import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { runFreeDartsExperiment } from '../../experiments/nb201-freedarts.ts';
import type { BenchmarkStore, MetricQuery } from '../../src/benchmarks/store.ts';
import { archStringFromIndex, indexOfArchString } from '../../src/spaces/nb201-index.ts';
import { NB201_NUM_CELLS } from '../../src/spaces/nb201.ts';
import { DataError } from '../../src/util/errors.ts';

/**
 * A store with one ground truth (cifar10-valid x-valid) whose accuracy is the cell's index / 200,
 * so a test can tell which cell a row names. The experiment only needs columns / resolve / column /
 * rowOf (and sources, to name the file: none here).
 */
function fakeStore(): BenchmarkStore {
  const keys = Array.from({ length: NB201_NUM_CELLS }, (_, i) => archStringFromIndex(i));
  const rows = new Map(keys.map((k, i) => [k, i]));
  const has = (q: MetricQuery) => q.dataset === 'cifar10-valid' && q.split === 'x-valid' && q.epochs === 200;
  const store = {
    file: 'fake.h5',
    benchmark: 'nb201',
    keys,
    columns: [{ origin: 'fake', dataset: 'cifar10-valid', split: 'x-valid', metric: 'accuracy', epochs: 200, seeds: ['mean'] }],
    sources: [],
    rowOf: (k: string) => rows.get(k),
    resolve: (q: MetricQuery) => {
      if (!has(q)) throw new DataError(`store has no ${q.dataset} ${q.split}`, { file: 'fake.h5' });
      return { origin: 'fake', dataset: q.dataset, split: q.split, metric: 'accuracy', epochs: 200, seeds: ['mean'] };
    },
    column: () => Float64Array.from(keys, (_, i) => i / 200),
  };
  return store as unknown as BenchmarkStore;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('runFreeDartsExperiment', () => {
  it('writes per-seed rows, mean/std per variant and the store best, with the columns the store has', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'nasrepro-freedarts-'));
    const result = await runFreeDartsExperiment({
      store: fakeStore(),
      outDir: out,
      seeds: 2,
      alphaInits: ['ones'],
      removals: ['per-edge', 'global'],
      backend: 'cpu',
      search: { C: 2, N: 1, inputSize: 8 },
      log: () => undefined,
    });
    expect(result.files).toEqual(['freedarts/table.csv', 'freedarts/table.md']);
    const rows = parse(readFileSync(path.join(out, 'freedarts', 'table.csv')), { columns: true }) as Record<string, string>[];
    const accColumn = 'cifar10-valid x-valid 200ep (fake)';
    expect(Object.keys(rows[0]!)).toContain(accColumn);
    expect(Object.keys(rows[0]!).some((c) => c.startsWith('cifar100'))).toBe(false);

    const searches = rows.filter((r) => r.row === 'search');
    // 2 seeds x (iterative per-edge, one-shot, iterative global).
    expect(searches).toHaveLength(6);
    expect(new Set(searches.map((r) => r.variant))).toEqual(new Set(['iterative (per-edge)', 'one-shot', 'iterative (global)']));
    for (const r of searches) {
      expect(r.arch).not.toContain('none');
      expect(Number(r.nb201_index)).toBe(indexOfArchString(r.arch!));
      expect(Number(r[accColumn])).toBeCloseTo(Number(r.nb201_index) / 200, 4);
      expect(Number(r.search_seconds)).toBeGreaterThan(0);
    }
    const perEdge = searches.filter((r) => r.variant === 'iterative (per-edge)');
    const mean = rows.find((r) => r.row === 'mean' && r.variant === 'iterative (per-edge)')!;
    expect(Number(mean[accColumn])).toBeCloseTo((Number(perEdge[0]![accColumn]) + Number(perEdge[1]![accColumn])) / 2, 3);
    expect(rows.find((r) => r.row === 'std' && r.variant === 'one-shot')).toBeDefined();
    const best = rows.find((r) => r.row === 'best in store')!;
    expect(Number(best[accColumn])).toBeCloseTo((NB201_NUM_CELLS - 1) / 200, 4);
    expect(best.nb201_index).toBe(String(NB201_NUM_CELLS - 1));

    const md = readFileSync(path.join(out, 'freedarts', 'table.md'), 'utf8');
    expect(md).toContain('### Mean ± std over seeds');
    expect(md).toContain('best cell in the store');
    expect(md).toMatch(/Not in the store: cifar10 ori-test/);
  });
});
