import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BN_NAS_DEFAULTS, BN_NAS_FULL, bnNasSpec, runBnNasExperiment, timeRatio } from '../../experiments/nb201-bn-nas.ts';
import { FAIR_BN_EXPERIMENT_DEFAULTS, FAIR_BN_FULL, fairBnSpec, runFairBnExperiment } from '../../experiments/nb201-fair-bn.ts';
import { ISOMETRY_DEFAULTS, ISOMETRY_FULL, isometrySpec } from '../../experiments/nb201-isometry.ts';
import { isConvOp } from '../../src/models/nb201-cell.ts';
import { type ExperimentContext } from '../../src/pipeline/context.ts';
import { parseNB201 } from '../../src/spaces/nb201.ts';
import { toyNB201Context, type ToyContext } from '../helpers/experiment-context.ts';

// Both supernet experiments end to end at a toy scale (C=2, N=1, a few steps, a few cells) on the
// real CIFAR-10 images and NB201 accuracies: tables written, numbers in range, checkpoints reused.
let ctx: ExperimentContext;
let rows: ToyContext['rows'];
let tmp: string;
const TOY = { C: 2, N: 1, batchSize: 16, snapshots: 2, steps: 6 };

beforeAll(async () => {
  ({ ctx, rows, tmp } = await toyNB201Context('nasrepro-bnnas-', 30));
});
afterAll(() => ctx?.store.close());

describe('BN-NAS and fair-BN experiments (toy scale)', () => {
  it('BN-NAS: correlates both modes and the baseline, times the steps, brackets the ratio, measures the conv share', async () => {
    const out = await runBnNasExperiment(ctx, { ...TOY, cells: 30, ladder: [1] });
    expect(out.files).toContain('bn-nas/correlation.csv');
    const corr = rows('bn-nas/correlation.csv');
    for (const method of ['bn-nas (bn-only supernet)', 'bn-nas (standard supernet, equal time)', 'conv count (bn-nas at initialisation)']) {
      const r = corr.find((x) => x.method === method && x.metric === 'kendall_tau')!;
      expect(r.ground_truth).toBe('cifar10-valid x-valid 200ep (nb201-v1_0: nb201-accuracies.csv)');
      expect(Number(r.n)).toBe(30);
      expect(Math.abs(Number(r.ours))).toBeLessThanOrEqual(1);
      expect(r.published).toBe('n/a');
    }
    expect(corr.find((x) => x.method === 'bn-nas (bn-only supernet)')!.notes).toMatch(/C=2, N=1/);
    // the baseline column is 3N x the number of conv edges
    const scores = rows('bn-nas/scores-cifar10.csv');
    for (const s of scores) expect(Number(s.conv_count)).toBe(3 * parseNB201(s.arch!).ops.filter(isConvOp).length);
    const timing = rows('bn-nas/timing.csv');
    expect(timing.map((t) => t.mode)).toEqual(['bn-only', 'standard']);
    for (const t of timing) expect(Number(t.median_step_s)).toBeGreaterThan(0);
    expect(rows('bn-nas/time-ratio.csv').at(-1)!.run).toMatch(/^ratio/);
    for (const s of rows('bn-nas/conv-share.csv')) {
      for (const c of ['conv_share_indicator_topk', 'conv_share_true_topk', 'conv_share_all_cells']) {
        expect(Number(s[c])).toBeGreaterThanOrEqual(0);
        expect(Number(s[c])).toBeLessThanOrEqual(1);
      }
    }
    expect(out.markdown).toContain('Training-time ratio');

    // a rerun trains nothing: every run finds its finished checkpoint
    await runBnNasExperiment(ctx, { ...TOY, cells: 30, ladder: [1] });
    expect(rows('bn-nas/timing.csv').map((t) => t.resumed_from)).toEqual(['6', rows('bn-nas/timing.csv')[1]!.steps]);
  });

  it('fair BN: every part, the composite and BN-NAS are correlated and labelled; the original-space supernet is reused', async () => {
    const before = readdirSync(path.join(tmp, 'cache', 'supernets')).filter((f) => f.startsWith('bn-only-'));
    const out = await runFairBnExperiment(ctx, { ...TOY, cells: 8, settings: { expressivityBatch: 8, ntkImages: 3, probes: 4, draws: 2, contextBatch: 8 } });
    expect(readdirSync(path.join(tmp, 'cache', 'supernets')).filter((f) => f.startsWith('bn-only-'))).toEqual(before);
    expect(out.markdown).toMatch(/checkpoint reused/);
    const corr = rows('fair-bn/correlation.csv');
    for (const method of ['fair-bn composite (reconstruction)', 'fair-bn expressivity (reconstruction)', 'fair-bn trainability (reconstruction)', 'fair-bn uncertainty (reconstruction)', 'bn-nas on the fair supernet', 'bn-nas (original space, bn-only supernet)']) {
      const r = corr.find((x) => x.method === method && x.metric === 'kendall_tau')!;
      expect(Number(r.n) + Number(r.dropped)).toBe(8);
      if (method.includes('reconstruction')) expect(r.notes).toMatch(/reconstruction/);
    }
    const scores = rows('fair-bn/scores-cifar10.csv');
    for (const s of scores) expect(Number(s.composite)).toBeGreaterThanOrEqual(1);
    expect(existsSync(path.join(tmp, 'results', 'fair-bn', 'conv-share.csv'))).toBe(true);
  });

  it('declares one original-space BN-only training in both specs (so they share its checkpoint), and isometry both supernets as they do, under the default and the full scale', () => {
    for (const full of [false, true]) {
      const bn = bnNasSpec(ctx, full ? BN_NAS_FULL : BN_NAS_DEFAULTS).trainings.find((t) => t.label === 'bn-only');
      const fair = fairBnSpec(ctx, full ? FAIR_BN_FULL : FAIR_BN_EXPERIMENT_DEFAULTS).trainings.find((t) => t.label === 'bn-only');
      expect(bn).toBeDefined();
      expect(fair).toEqual(bn);
      // the isometry reconstruction reads both experiments' supernets
      const iso = isometrySpec(ctx, full ? ISOMETRY_FULL : ISOMETRY_DEFAULTS).trainings;
      expect(iso.find((t) => t.label === 'bn-only')).toEqual(bn);
      expect(iso.find((t) => t.label === 'fair-bn-only')).toEqual(fairBnSpec(ctx, full ? FAIR_BN_FULL : FAIR_BN_EXPERIMENT_DEFAULTS).trainings.find((t) => t.label === 'fair-bn-only'));
    }
  });

  it('brackets the time ratio on the ladder', () => {
    expect(timeRatio(0.5, [{ multiple: 1, tau: 0.4 }, { multiple: 2, tau: 0.45 }, { multiple: 4, tau: 0.52 }])).toBe('in (2, 4]');
    expect(timeRatio(0.5, [{ multiple: 1, tau: 0.6 }])).toMatch(/^<= 1/);
    expect(timeRatio(0.5, [{ multiple: 1, tau: 0.1 }, { multiple: 2, tau: 0.2 }])).toMatch(/^> 2/);
  });
});
