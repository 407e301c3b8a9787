import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nbsz from '../../experiments/nbsz.ts';
import { newerProxiesSpec, ZICO_NB201_DATASETS } from '../../experiments/newer-proxies.ts';
import { nb201Population, type ExperimentContext } from '../../src/pipeline/context.ts';
import { runCorrelationSpec } from '../../src/pipeline/correlation-runner.ts';
import { selectNB201Cells } from '../../src/scoring/cell-selection.ts';
import { toyNB201Context, type ToyContext } from '../helpers/experiment-context.ts';

// The NBSZ protocol and the newer proxies' table at toy scale: cheap proxies, a dozen cells.
let ctx: ExperimentContext;
let rows: ToyContext['rows'];
const END_TO_END_TIMEOUT_MS = 600_000;

beforeAll(async () => {
  ({ ctx, rows } = await toyNB201Context('nasrepro-nbsz-', 10, { workers: 2 }));
});
afterAll(() => ctx?.store.close());

describe('NBSZ protocol (toy scale)', () => {
  it('scores each trial on its own sample, aggregates mean ± std, adds precision@K, BR@K and the XGBoost combination', async () => {
    const out = await nbsz.run(ctx, {
      space: 'nb201',
      cells: 10,
      trials: 2,
      proxies: ['naswot', 'l2_norm', 'flops'],
      datasets: [nbsz.NBSZ_NB201_DATASETS[0]!],
      population: (n, seed) => nb201Population({ kind: 'sample', size: n, seed }),
    });
    expect(out.files).toContain('nbsz/correlation.csv');
    // two trials on different samples (the trial seed draws the cells)
    expect(selectNB201Cells({ kind: 'sample', size: 10, seed: 9000 })).not.toEqual(selectNB201Cells({ kind: 'sample', size: 10, seed: 9001 }));
    const trial0 = rows('nbsz/trial-9000/correlation.csv');
    const trial1 = rows('nbsz/trial-9001/correlation.csv');
    const summary = rows('nbsz/correlation.csv');
    const rho = (rs: Record<string, string>[]) => Number(rs.find((r) => r.method === 'naswot' && r.metric === 'spearman')!.ours);
    const row = summary.find((r) => r.method === 'naswot' && r.metric === 'spearman')!;
    expect(Number(row.ours)).toBeCloseTo((rho(trial0) + rho(trial1)) / 2, 3);
    expect(Number(row.seed_std)).toBeCloseTo(Math.abs(rho(trial0) - rho(trial1)) / 2, 3);
    expect(Number(row.published)).toBe(0.77); // NBSZ Fig. 2, CIFAR-10
    expect(row.notes).toMatch(/NBSZ: 1000 cells x 10 trials; this run is smaller/);
    expect(row.ground_truth).toMatch(/cifar10-valid x-valid 200ep/);
    for (const metric of ['precision@5', 'best_ranking@5', 'kendall_tau', 'pearson']) expect(summary.some((r) => r.method === 'l2_norm' && r.metric === metric), metric).toBe(true);
    expect(summary.some((r) => r.metric === 'precision@25')).toBe(false); // K above the cells scored is skipped
    const combined = summary.find((r) => r.method === 'xgboost(proxies+encoding)')!;
    expect(Number(combined.published)).toBe(0.906);
    expect(Number(combined.seeds)).toBe(100);
    expect(Math.abs(Number(combined.ours))).toBeLessThanOrEqual(1);
  }, END_TO_END_TIMEOUT_MS);

  it('the newer proxies table sets each proxy beside its own paper', async () => {
    const spec = newerProxiesSpec('nb201', [ZICO_NB201_DATASETS[0]!], { cells: 6, proxies: ['zen', 'meco'] });
    await runCorrelationSpec(spec, ctx);
    const table = rows('newer-proxies/correlation.csv');
    const get = (method: string, metric: string) => table.find((r) => r.method === method && r.metric === metric)!;
    expect(Number(get('zen', 'kendall_tau').published)).toBe(0.29); // ZiCo Table 1
    expect(Number(get('meco', 'spearman').published)).toBe(0.89); // MeCo abstract
    expect(get('meco', 'kendall_tau').published).toBe('n/a');
    expect(get('meco', 'spearman').notes).toMatch(/does not state its ground truth/);
    expect(get('zen', 'spearman').ground_truth).toMatch(/cifar10 ori-test 200ep/); // ZiCo's protocol: test accuracy
  }, END_TO_END_TIMEOUT_MS);
});
