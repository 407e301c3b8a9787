import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalSteps, runWeightSharingExperiment } from '../../experiments/nb201-weight-sharing.ts';
import { type ExperimentContext } from '../../src/pipeline/context.ts';
import { toyNB201Context, type ToyContext } from '../helpers/experiment-context.ts';

// The weight-sharing study end to end at a toy scale (C=2, 2 seeds, 4 steps, 16 evaluation images)
// on the real CIFAR-10 images and NB201 accuracies.
let ctx: ExperimentContext;
let rows: ToyContext['rows'];

beforeAll(async () => {
  ({ ctx, rows } = await toyNB201Context('nasrepro-ws-', 1));
});
afterAll(() => ctx?.store.close());

describe('weight-sharing study (toy scale)', () => {
  it('places evaluation points at the curve points, the last points and the end', () => {
    expect(evalSteps(100, 4, 3, 5)).toEqual([0, 25, 50, 75, 90, 95, 100]);
    expect(evalSteps(10, 1, 1, 5)).toEqual([10]);
  });

  it('writes S-Tau, GT-Tau, top-1 rank, partial sharing and the curves, with the published values and the space note', async () => {
    const toy = { seeds: 2, steps: 4, C: 2, N: 1, batchSize: 16, evalImages: 16, evalBatch: 16, lastPoints: 1, lastStride: 2, curvePoints: 1, partialSeeds: 1, partialM: [1, 4], groupings: ['random', 'similarity', 'prefix'] as const };
    const out = await runWeightSharingExperiment(ctx, { ...toy, groupings: [...toy.groupings] });
    const summary = rows('weight-sharing/summary.csv');
    const s = summary.find((r) => r.metric === 's_tau' && r.mode === 'standard' && r.ranking === 'supernet accuracy')!;
    expect(Number(s.n)).toBe(1); // one pair of seeds
    expect(Math.abs(Number(s.ours_mean))).toBeLessThanOrEqual(1);
    expect(s.published).toBe('0.5415');
    expect(s.notes).toMatch(/space differs/);
    const g = summary.find((r) => r.metric === 'gt_tau' && r.mode === 'bn-only' && r.ranking === 'bn-nas indicator')!;
    expect(Number(g.n)).toBe(2);
    const top = summary.find((r) => r.metric === 'top1_rank' && r.mode === 'standard' && r.ranking === 'supernet accuracy')!;
    expect(Number(top.ours_mean)).toBeGreaterThanOrEqual(1);
    expect(Number(top.ours_mean)).toBeLessThanOrEqual(64);
    const scores = rows('weight-sharing/scores.csv');
    expect(scores).toHaveLength(2 * 2 * 64);
    for (const r of scores) {
      expect(Number(r.supernet_accuracy)).toBeGreaterThanOrEqual(0);
      expect(Number(r.supernet_accuracy)).toBeLessThanOrEqual(1);
    }
    const partial = rows('weight-sharing/gt-tau-vs-m.csv');
    expect(partial.map((r) => `${r.grouping}:${r.m}`)).toEqual(['random:1', 'random:4', 'similarity:1', 'similarity:4', 'prefix:1', 'prefix:4']);
    expect(partial.find((r) => r.grouping === 'random' && r.m === '4')!.steps_per_group).toBe('1');
    // the m = 1 rows are the full-sharing run of seed 0: their GT-Tau is that run's
    const curve = rows('weight-sharing/ranking-curve.csv');
    const seed0 = curve.find((r) => r.mode === 'standard' && r.seed === '0' && r.step === '4')!;
    expect(partial[0]!.gt_tau_mean).toBe(seed0.gt_tau_accuracy);
    expect(curve.filter((r) => r.mode === 'standard' && r.seed === '0').map((r) => r.step)).toEqual(['4']);
    expect(out.markdown).toContain('GT-Tau against m');
  }, 300_000);
});
