import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { reproduceNB201 } from '../../experiments/reproduce-nb201.ts';
import { DATA_DIR, dataFile } from '../helpers/data.ts';

// The `make reproduce-nb201` pipeline end to end on a handful of cells at a small batch: import
// the benchmark files of DATA, score with worker processes, correlate, write the tables; then
// again from the cache.
// End to end on real data with worker processes: minutes on a loaded 2-core machine, so a
// generous safety net instead of the suite's 120 s default (speed lives in `make bench`).
const END_TO_END_TIMEOUT_MS = 600_000;

describe('reproduce-nb201 (quick)', () => {
  it('imports, scores, correlates and writes the tables; a rerun reuses every cached score', async () => {
    dataFile('nb201', 'nb201-accuracies.csv');
    const tmp = mkdtempSync(path.join(tmpdir(), 'nasrepro-repro-'));
    const cells = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const options = {
      data: DATA_DIR,
      storeDir: path.join(tmp, 'store'),
      sample: '0',
      sampleSeed: '0',
      cells: cells.join(','),
      batch: '8',
      workers: '2',
      out: path.join(tmp, 'results'),
      cacheDir: path.join(tmp, 'cache'),
      zeroCostCells: '300',
      graspCells: '100',
      freedartsSeeds: '1',
      supernetSteps: '4',
      supernetC: '2',
      supernetN: '1',
      supernetBatch: '8',
      // nbsz and newer-proxies have their own test (test/experiments/nbsz.test.ts)
      only: 'naswot,zero-cost,freedarts,bn-nas,fair-bn',
    };
    const page = await reproduceNB201(options);
    expect(existsSync(path.join(tmp, 'store', 'nb201.h5'))).toBe(true);
    expect(page).toContain('10 computed this run');

    const rows = parse(readFileSync(path.join(tmp, 'results', 'naswot', 'correlation.csv')), { columns: true }) as Record<string, string>[];
    const main = rows.find((r) => r.method === 'naswot' && r.metric === 'kendall_tau' && r.ground_truth.startsWith('cifar10-valid x-valid'))!;
    // DATA holds the shared table and the official samples: each truth is read from the file with
    // the most cells for its release (the table), and the row names that file
    expect(main.ground_truth).toBe('cifar10-valid x-valid 200ep (nb201-v1_0: nb201-accuracies.csv)');
    expect(Number(main.n)).toBe(10);
    expect(Number(main.published)).toBe(0.574);
    expect(Math.abs(Number(main.ours))).toBeLessThanOrEqual(1);
    expect(Number(main.delta)).toBeCloseTo(Number(main.ours) - 0.574, 5);
    // datasets without images get a row that says so, never a number
    const c100 = rows.find((r) => r.dataset === 'cifar100' && r.metric === 'kendall_tau')!;
    expect(c100.ours).toBe('NaN');
    expect(c100.notes).toMatch(/data not present/);

    const scores = parse(readFileSync(path.join(tmp, 'results', 'naswot', 'scores-cifar10.csv')), { columns: true }) as Record<string, string>[];
    expect(scores.map((r) => Number(r.index))).toEqual(cells);
    for (const r of scores) expect(Number.isFinite(Number(r.naswot))).toBe(true);
    expect(readFileSync(path.join(tmp, 'results', 'README.md'), 'utf8')).toContain('### Table 2(a)');

    // the zero-cost table: every proxy on the listed cells, |rho| beside the published value
    const zc = parse(readFileSync(path.join(tmp, 'results', 'zero-cost', 'correlation.csv')), { columns: true }) as Record<string, string>[];
    for (const proxy of ['grad_norm', 'snip', 'grasp', 'fisher', 'synflow', 'jacob_cov', 'params', 'flops']) {
      const r = zc.find((x) => x.method === proxy && x.dataset === 'cifar10' && x.metric === 'spearman_abs')!;
      expect(r.ground_truth).toBe('cifar10-valid ori-test 200ep (nb201-v1_0: nb201-accuracies.csv)');
      expect(Number(r.n) + Number(r.dropped)).toBe(10);
      expect(Number(r.ours)).toBeGreaterThanOrEqual(0);
    }
    expect(Number(zc.find((x) => x.method === 'grad_norm' && x.metric === 'spearman_abs' && x.dataset === 'cifar10')!.published)).toBe(0.594);
    // data-free proxies still run for CIFAR-100 (no images here); the others say why not
    expect(zc.find((x) => x.method === 'synflow' && x.dataset === 'cifar100' && x.metric === 'spearman')!.ours).not.toBe('NaN');
    expect(zc.find((x) => x.method === 'snip' && x.dataset === 'cifar100' && x.metric === 'spearman')!.notes).toMatch(/data not present/);
    const vote = zc.find((x) => x.method === 'vote(synflow+jacob_cov+snip)' && x.dataset === 'cifar10')!;
    expect(Number(vote.ours)).toBeGreaterThanOrEqual(0);
    expect(Number(vote.ours)).toBeLessThanOrEqual(1);
    expect(Number(vote.published)).toBe(0.817);

    // FreeDARTS: one search per variant, found cells looked up in the store
    const fd = readFileSync(path.join(tmp, 'results', 'freedarts', 'table.csv'), 'utf8');
    expect(fd).toMatch(/iterative/);
    expect(fd).toMatch(/one-shot/);

    // BN-NAS and fair-BN tables (toy supernet), every fair-BN row labelled a reconstruction
    expect(existsSync(path.join(tmp, 'results', 'bn-nas', 'correlation.csv'))).toBe(true);
    const fair = parse(readFileSync(path.join(tmp, 'results', 'fair-bn', 'correlation.csv')), { columns: true }) as Record<string, string>[];
    expect(fair.length).toBeGreaterThan(0);

    const again = await reproduceNB201(options);
    expect(again).not.toMatch(/[1-9][0-9]* computed this run/);
    const rows2 = parse(readFileSync(path.join(tmp, 'results', 'naswot', 'correlation.csv')), { columns: true }) as Record<string, string>[];
    expect(rows2.find((r) => r.method === 'naswot' && r.metric === 'kendall_tau')!.ours).toBe(main.ours);
  }, END_TO_END_TIMEOUT_MS);
});
