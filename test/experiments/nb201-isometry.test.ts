import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIsometryExperiment } from '../../experiments/nb201-isometry.ts';
import { type ExperimentContext } from '../../src/pipeline/context.ts';
import { toyNB201Context, type ToyContext } from '../helpers/experiment-context.ts';

// The isometry reconstruction end to end at a toy scale (C=2, 6 steps, 8 cells) on real data.
let ctx: ExperimentContext;
let rows: ToyContext['rows'];

beforeAll(async () => {
  ({ ctx, rows } = await toyNB201Context('nasrepro-iso-', 8));
});
afterAll(() => ctx?.store.close());

describe('dynamical-isometry reconstruction (toy scale)', () => {
  it('correlates the isometric BN-γ indicator, the Jacobian proxy, BN-NAS and fair-BN on the same cells, labelled as a reconstruction', async () => {
    await runIsometryExperiment(ctx, { steps: 6, cells: 8, C: 2, N: 1, batchSize: 16, snapshots: 2, jacobianBatch: 2, probes: 4, fairSettings: { expressivityBatch: 8, ntkImages: 3, probes: 4, draws: 2, contextBatch: 8 } });
    const corr = rows('isometry/correlation.csv');
    for (const method of ['isometry bn-gamma (reconstruction)', 'jacobian isometry at init (reconstruction)', 'bn-nas (bn-only supernet)', 'fair-bn composite (reconstruction)']) {
      const r = corr.find((x) => x.method === method && x.metric === 'kendall_tau')!;
      expect(Number(r.n) + Number(r.dropped)).toBe(8);
      expect(Math.abs(Number(r.ours))).toBeLessThanOrEqual(1);
      if (method.startsWith('isometry') || method.startsWith('jacobian')) expect(r.notes).toMatch(/reconstruction of Luo et al/);
    }
    const scores = rows('isometry/scores-cifar10.csv');
    // the isometric and the torch-default supernets differ, so their indicators do too
    expect(scores.some((s) => s.isometry_bn_gamma !== s.bn_nas)).toBe(true);
    for (const s of scores) expect(Number(s.jacobian_isometry)).toBeLessThanOrEqual(0);
    const share = rows('isometry/conv-share.csv');
    expect(share.length).toBeGreaterThan(0);
    for (const s of share) expect(Number(s.conv_share_indicator_topk)).toBeLessThanOrEqual(1);
  }, 300_000);
});
