import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImageBatch } from '../../src/datasets/types.ts';
import type { CellNetwork } from '../../src/models/instantiate.ts';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { scoreOnNetwork } from '../../src/proxies/context.ts';
import { combineTeNas, conditionNumber, cropsOf, ntkOf, teNas } from '../../src/proxies/te-nas.ts';
import { CELL, forwardWith, nb201Variant, randomBatch, relClose } from './zc-helpers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const net = (seed: number): CellNetwork => buildNB201Network(CELL, { ...nb201Variant('te-nas', 10), seed });

/** The NTK's rows by the definition: tf.grads of sample i's summed logits on the whole-batch train-mode forward. */
function perSampleGradients(network: CellNetwork, batch: ImageBatch): Float64Array[] {
  const weights = network.params.filter((p) => p.kind === 'conv' || p.kind === 'linear-weight');
  const x = tf.tensor4d(batch.x, [batch.n, batch.height, batch.width, 3]);
  const rows: Float64Array[] = [];
  for (let i = 0; i < batch.n; i++) {
    const grads = tf.grads((...ws: tf.Tensor[]) => {
      const sub = new Map(weights.map((p, k) => [p.name, ws[k]!] as [string, tf.Tensor]));
      return tf.sum(tf.slice(forwardWith(network, x, sub), [i, 0], [1, -1]));
    })(weights.map((p) => p.variable));
    rows.push(Float64Array.from(grads.flatMap((g) => Array.from(g.dataSync()))));
    tf.dispose(grads);
  }
  x.dispose();
  return rows;
}

/** Distinct sample patterns of sign(ReLU output) by the definition, over the given input passes. */
function regionsByDefinition(network: CellNetwork, inputs: Float32Array[], n: number, crop: number): number {
  const seen = new Set<string>();
  for (const data of inputs) {
    const rows = Array.from({ length: n }, () => '');
    tf.tidy(() => {
      forwardWith(network, tf.tensor4d(data, [n, crop, crop, 3]), new Map(), {
        onReluInput: (x) => {
          const v = tf.relu(x).dataSync();
          const units = v.length / n;
          for (let i = 0; i < n; i++) for (let u = 0; u < units; u++) rows[i] += Math.sign(v[i * units + u]!) > 0 ? '1' : '0';
        },
      });
    });
    rows.forEach((r) => seen.add(r));
  }
  return seen.size;
}

describe('te_nas', () => {
  it('ntk_cond is λmax/λmin of G Gᵀ of per-sample weight gradients; linear_regions counts distinct ReLU patterns', async () => {
    const batch = randomBatch(5, 8, 4);
    const n = net(3);
    const settings = { ...teNas.defaults, batchSize: 5, regionBatch: 60, regionBatches: 2, regionCrop: 4 };
    const r = await scoreOnNetwork(teNas, n, [batch], { settings });
    if (typeof r === 'number') throw new Error('te_nas reports parts');
    const rows = perSampleGradients(n, batch);
    const cond = conditionNumber(ntkOf(rows), 5);
    expect(cond).toBeGreaterThan(1);
    expect(relClose(r.parts.ntk_cond!, cond, 1e-3)).toBe(true);
    const inputs = [0, 1].map((b) => cropsOf(batch, 60, 4, `te_nas-regions|${b}`));
    const regions = regionsByDefinition(n, inputs, 60, 4);
    expect(r.parts.linear_regions).toBe(regions);
    // a real count: more than one region, at most one per input
    expect(regions).toBeGreaterThan(1);
    expect(regions).toBeLessThanOrEqual(120);
    n.dispose();
  });

  it('condition number: closed form on a diagonal matrix; a singular NTK gives NaN', () => {
    expect(conditionNumber(Float64Array.from([4, 0, 0, 0, 1, 0, 0, 0, 2]), 3)).toBeCloseTo(4, 12);
    // two identical gradient rows make G Gᵀ singular
    const row = Float64Array.from([1, 2, 3]);
    expect(Number.isNaN(conditionNumber(ntkOf([row, row]), 2))).toBe(true);
  });

  it('combine: rank(-cond) + rank(regions), ties averaged, NaN parts unranked', () => {
    const c = combineTeNas([
      { ntk_cond: 10, linear_regions: 5 },
      { ntk_cond: 2, linear_regions: 9 },
      { ntk_cond: 5, linear_regions: 9 },
      { ntk_cond: NaN, linear_regions: 100 },
    ]);
    // -cond ranks: 1, 3, 2; regions ranks (ties 9, 9 -> 2.5): 1, 2.5, 2.5
    expect(Array.from(c.subarray(0, 3))).toEqual([2, 5.5, 4.5]);
    expect(Number.isNaN(c[3]!)).toBe(true);
  });
});

describe('correlation runner: proxies that combine their parts', () => {
  it('scores te_nas cells by combining the parts across them; failed cells stay NaN', async () => {
    const { populationScores } = await import('../../src/pipeline/correlation-runner.ts');
    const cells = [
      { key: '1', score: 0.1, status: 'ok' as const, seconds: 1, parts: { ntk_cond: 10, linear_regions: 5 } },
      { key: '2', score: 0.2, status: 'ok' as const, seconds: 1, parts: { ntk_cond: 2, linear_regions: 9 } },
      { key: '3', score: NaN, status: 'error' as const, seconds: 1, error: 'boom' },
      { key: '4', score: 0.3, status: 'ok' as const, seconds: 1, parts: { ntk_cond: 5, linear_regions: 9 } },
    ];
    const r = populationScores('te_nas', cells);
    expect(Array.from(r.scores)).toEqual([2, 5.5, NaN, 4.5]);
    expect(Array.from(r.parts!.get('ntk_cond')!)).toEqual([10, 2, NaN, 5]);
    // a proxy without parts keeps its per-cell scores
    expect(Array.from(populationScores('naswot', cells).scores)).toEqual([0.1, 0.2, NaN, 0.3]);
  });
});
