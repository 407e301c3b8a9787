import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { reproduceNB201 } from '../../experiments/reproduce-nb201.ts';
import { openBenchmarkStore } from '../../src/pipeline/data-sources.ts';
import { archStringFromIndex } from '../../src/spaces/nb201-index.ts';
import { dataFile } from '../helpers/data.ts';

// A fresh clone with a DATA that holds only official benchmark files (the shared NATS-tss
// directory and the legacy .pth sample, linked under their own names; no CSV table, no images):
// `make reproduce-nb201` finds them, imports each once, runs the experiments at the smallest
// settings the runner offers, names the file of every ground truth, and reports "data not present"
// where images are needed. Then: an unchanged DATA imports nothing; a new file imports that file only.
// End to end with worker processes (~1 minute on a loaded 2-core machine), so a safety net above
// the suite's default timeout.
const END_TO_END_TIMEOUT_MS = 600_000;

describe('reproduce-nb201 from official files only', () => {
  it('imports the official files found in DATA, runs, and names the file of each number', async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'nasrepro-official-'));
    const data = path.join(tmp, 'data');
    mkdirSync(path.join(data, 'nb201'), { recursive: true });
    symlinkSync(dataFile('nb201', 'NATS-tss-v1_0-3ffb9-simple'), path.join(data, 'nb201', 'NATS-tss-v1_0-3ffb9-simple'));
    symlinkSync(dataFile('nb201', 'NAS-Bench-201-sample-legacy.pth'), path.join(data, 'nb201', 'NAS-Bench-201-sample-legacy.pth'));
    const storeDir = path.join(tmp, 'store');
    const options = {
      data,
      storeDir,
      sample: '0',
      sampleSeed: '0',
      cells: '0,11,284', // the cells the official samples hold
      batch: '8',
      workers: '1',
      out: path.join(tmp, 'results'),
      cacheDir: path.join(tmp, 'cache'),
      zeroCostCells: '3',
      graspCells: '1',
      // FreeDARTS is data-free and covered by the quick reproduction test; skipped to keep this one short
      only: 'naswot,zero-cost,bn-nas,fair-bn',
      supernetSteps: '1',
      supernetC: '2',
      supernetN: '1',
      supernetBatch: '8',
    };
    const page = await reproduceNB201(options);
    // each official file became a per-source store, assembled into the runner's store
    for (const name of ['NATS-tss-v1_0-3ffb9-simple', 'NAS-Bench-201-sample-legacy.pth']) {
      expect(existsSync(path.join(storeDir, 'sources', 'nb201', `${name}.h5`)), name).toBe(true);
      expect(page).toContain(path.join(data, 'nb201', name));
    }
    expect(page).toContain('imported this run: NAS-Bench-201-sample-legacy.pth, NATS-tss-v1_0-3ffb9-simple');

    // zero-cost: the data-free proxies ran on the three cells against NATS (preferred over the
    // legacy sample, whose release its name does not tell), and the row names the file
    const zc = parse(readFileSync(path.join(tmp, 'results', 'zero-cost', 'correlation.csv')), { columns: true }) as Record<string, string>[];
    const synflow = zc.find((r) => r.method === 'synflow' && r.dataset === 'cifar10' && r.metric === 'spearman')!;
    expect(synflow.ground_truth).toBe('cifar10-valid ori-test 200ep (nats-tss-v1_0: NATS-tss-v1_0-3ffb9-simple)');
    expect(Number(synflow.n)).toBe(3);
    expect(Number.isFinite(Number(synflow.ours))).toBe(true);
    // proxies that need images say so instead of a number
    const snip = zc.find((r) => r.method === 'snip' && r.dataset === 'cifar10' && r.metric === 'spearman')!;
    expect(snip.ours).toBe('NaN');
    expect(snip.notes).toMatch(/data not present/);
    const naswot = parse(readFileSync(path.join(tmp, 'results', 'naswot', 'correlation.csv')), { columns: true }) as Record<string, string>[];
    expect(naswot.every((r) => r.ours === 'NaN' && /data not present/.test(r.notes!))).toBe(true);
    // the supernet experiments completed with rows that say why there is no number
    expect(readFileSync(path.join(tmp, 'results', 'bn-nas', 'correlation.csv'), 'utf8')).toMatch(/data not present/);
    expect(readFileSync(path.join(tmp, 'results', 'fair-bn', 'correlation.csv'), 'utf8')).toMatch(/data not present/);
    expect(existsSync(path.join(tmp, 'results', 'freedarts'))).toBe(false);

    // unchanged files: nothing is imported again
    const again = await openBenchmarkStore({ benchmark: 'nb201', data, storeDir, log: () => {} });
    expect(again.imported).toEqual([]);
    expect(again.notes.join(' ')).toMatch(/up to date/);
    again.store.close();

    // a new file (a CSV table with one v1.0 column) imports that file only, and its column is used
    const csv = path.join(data, 'nb201', 'extra.csv');
    writeFileSync(csv, `index,arch,cifar10valid_val_200\n0,${archStringFromIndex(0)},81.9827\n11,${archStringFromIndex(11)},84.0\n`);
    const lines: string[] = [];
    const third = await openBenchmarkStore({ benchmark: 'nb201', data, storeDir, log: (l) => lines.push(l) });
    try {
      expect(third.imported).toEqual([csv]);
      expect(lines.filter((l) => l.startsWith('importing'))).toHaveLength(1);
      const { groundTruth } = await import('../../src/pipeline/ground-truth.ts');
      const t = groundTruth(third.store, { dataset: 'cifar10-valid', split: 'x-valid', epochs: 200 });
      expect('values' in t && t.label).toBe('cifar10-valid x-valid 200ep (nb201-v1_0: extra.csv)');
      expect('values' in t && t.values[0]).toBe(81.9827);
    } finally {
      third.store.close();
    }
  }, END_TO_END_TIMEOUT_MS);
});
