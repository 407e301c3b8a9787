import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalSteps, fullSpaceChildSet, fullSpaceRows, runWeightSharingExperiment, SUBSPACE_ROWS, trainAndEvaluate } from '../../experiments/nb201-weight-sharing.ts';
import { loadImageSet } from '../../src/datasets/load.ts';
import { initBackend } from '../../src/engine/backend.ts';
import { type ExperimentContext } from '../../src/pipeline/context.ts';
import { NB201_SUPERNET, type SupernetOptions } from '../../src/supernet/nb201-supernet.ts';
import { resolveTrainConfig } from '../../src/supernet/train-config.ts';
import { trainSupernet } from '../../src/supernet/train.ts';
import { toyNB201Context, type ToyContext } from '../helpers/experiment-context.ts';

// The weight-sharing study end to end at a toy scale (C=2, 2 seeds, 4 steps, 16 evaluation images)
// on the real CIFAR-10 images and NB201 accuracies.
let ctx: ExperimentContext;
let rows: ToyContext['rows'];
let tmp: string;

beforeAll(async () => {
  ({ ctx, rows, tmp } = await toyNB201Context('nasrepro-ws-', 1));
});
afterAll(() => ctx?.store.close());

const toy = { seeds: 2, steps: 4, C: 2, N: 1, batchSize: 16, evalImages: 16, evalBatch: 16, lastPoints: 1, lastStride: 2, curvePoints: 1, partialSeeds: 1, partialM: [1, 4], groupings: ['random', 'similarity', 'prefix'] as const };

describe('weight-sharing study (toy scale)', () => {
  it('places evaluation points at the curve points, the last points and the end', () => {
    expect(evalSteps(100, 4, 3, 5)).toEqual([0, 25, 50, 75, 90, 95, 100]);
    expect(evalSteps(10, 1, 1, 5)).toEqual([10]);
  });

  it('writes S-Tau, GT-Tau, top-1 rank, partial sharing and the curves, with the published values and the space note', async () => {
    const out = await runWeightSharingExperiment(ctx, { ...toy, groupings: [...toy.groupings], fullSpaceSeeds: 0 });
    const summary = rows('weight-sharing/summary.csv');
    expect(summary.every((r) => r.space === SUBSPACE_ROWS)).toBe(true); // 0 full-space seeds: that part is off
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
  it('adds full-space rows of their own identity beside the subspace rows; a rerun retrains and re-evaluates nothing', async () => {
    const fullToy = { ...toy, modes: ['standard' as const], groupings: ['random' as const], partialM: [1], fullSpaceSeeds: 2, fullSpaceCells: 8, fullSpaceSampleSeed: 0 };
    const out = await runWeightSharingExperiment(ctx, fullToy);
    const summary = rows('weight-sharing/summary.csv');
    const space = fullSpaceRows(8, 0);
    const full = summary.filter((r) => r.space === space);
    expect(full.map((r) => `${r.metric}|${r.ranking}`)).toEqual([
      'gt_tau|conv count (bn-nas at initialisation)', 's_tau|supernet accuracy', 'gt_tau|supernet accuracy', 'top1_rank|supernet accuracy', 's_tau|bn-nas indicator', 'gt_tau|bn-nas indicator', 'top1_rank|bn-nas indicator',
    ]);
    // no two rows share an identity, so a subspace row and a full-space row never stand for each other
    const ids = summary.map((r) => `${r.space}|${r.metric}|${r.mode}|${r.ranking}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(summary.some((r) => r.space === SUBSPACE_ROWS && r.metric === 's_tau')).toBe(true);
    const sRow = full.find((r) => r.metric === 's_tau' && r.ranking === 'supernet accuracy')!;
    expect([sRow.published, sRow.n]).toEqual(['0.5415', '1']);
    const gRow = full.find((r) => r.metric === 'gt_tau' && r.ranking === 'supernet accuracy')!;
    expect([gRow.published, gRow.published_std, gRow.n]).toEqual(['0.4567', '0.1478', '2']);
    for (const r of full) expect(r.notes).toMatch(/space differs: the whole NB201 space.*reduced run/);
    const top = full.find((r) => r.metric === 'top1_rank' && r.ranking === 'supernet accuracy')!;
    expect(Number(top.ours_mean)).toBeGreaterThanOrEqual(1);
    expect(Number(top.ours_mean)).toBeLessThanOrEqual(8);
    const scores = rows('weight-sharing/full-space-scores.csv');
    expect(scores).toHaveLength(2 * 8);
    expect(out.markdown).toContain(space);

    // the rerun finds every checkpoint finished and every evaluation cached: same files, same numbers
    const ckpts = () => Object.fromEntries(readdirSync(path.join(tmp, 'cache', 'supernets')).map((f) => [f, statSync(path.join(tmp, 'cache', 'supernets', f)).mtimeMs]));
    const before = ckpts();
    await runWeightSharingExperiment(ctx, fullToy);
    expect(ckpts()).toEqual(before);
    expect(rows('weight-sharing/full-space-scores.csv')).toEqual(scores);
  }, 300_000);

  it('a killed full-space run resumes to the same evaluations; a larger sample reuses the trained supernet, its prefix evaluated identically', async () => {
    await initBackend(ctx.backend);
    const images = loadImageSet(ctx.dataDir, 'cifar10', 'train');
    const evalSet = loadImageSet(ctx.dataDir, 'cifar10', 'test');
    const supernet: SupernetOptions = { C: 2, N: 1, numClasses: 10, bn: 'standard', fair: false, seed: 3 };
    const config = resolveTrainConfig({ mode: 'standard', steps: 4, batchSize: 16, seed: 3 });
    const o = { evalImages: 16, evalBatch: 16 };
    const set6 = fullSpaceChildSet(6, 0);
    const all = (n: number) => Array.from({ length: n }, (_, i) => i);
    const dir = mkdtempSync(path.join(tmpdir(), 'nasrepro-ws-resume-'));
    const whole = trainAndEvaluate('t', supernet, config, set6, all(6), [4], images, evalSet, o, dir);
    expect(whole.resumedFrom).toBeNull();
    expect(whole.evals.map((e) => e.step)).toEqual([4]);
    expect(whole.evals[0]!.accuracy.every(Number.isFinite)).toBe(true);

    // a run killed after step 2, before its evaluation: the checkpoint at step 2, no evaluation cache
    const ckpt = readdirSync(dir).find((f) => f.endsWith('.ckpt'))!;
    for (const f of readdirSync(dir)) rmSync(path.join(dir, f));
    const net = NB201_SUPERNET.build(supernet);
    try {
      trainSupernet({ supernet: net, space: NB201_SUPERNET.space, images, config, checkpointFile: path.join(dir, ckpt), checkpointEvery: 1_000_000, stopAfterSteps: 2 });
    } finally {
      net.dispose();
    }
    const resumed = trainAndEvaluate('t', supernet, config, set6, all(6), [4], images, evalSet, o, dir);
    expect(resumed.resumedFrom).toBe(2);
    expect(resumed.evals.map(({ accuracy, bnNas }) => ({ accuracy, bnNas }))).toEqual(whole.evals.map(({ accuracy, bnNas }) => ({ accuracy, bnNas })));

    // 9 cells of the same seed: the same 6 first (a prefix of the seeded sample), the same supernet (not retrained), the same numbers
    const set9 = fullSpaceChildSet(9, 0);
    expect(set9.indices.slice(0, 6)).toEqual(set6.indices);
    const larger = trainAndEvaluate('t', supernet, config, set9, all(9), [4], images, evalSet, o, dir);
    expect(larger.resumedFrom).toBe(4);
    expect(larger.evals[0]!.accuracy.slice(0, 6)).toEqual(whole.evals[0]!.accuracy);
    expect(larger.evals[0]!.bnNas.slice(0, 6)).toEqual(whole.evals[0]!.bnNas);
    expect(() => set9.kindFor([0, 1])).toThrow(RangeError); // no partial sharing in the full space
  }, 120_000);
});
