import * as tf from '@tensorflow/tfjs';
import { scoreNumber } from '../../src/proxies/context.ts';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ImageBatch } from '../../src/datasets/types.ts';
import type { NB201Op } from '../../src/models/nb201-cell.ts';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { fairBnExpressivity } from '../../src/proxies/fair-bn-expressivity.ts';
import { fairBnTrainability, pathBnParams } from '../../src/proxies/fair-bn-trainability.ts';
import { fairBnUncertainty } from '../../src/proxies/fair-bn-uncertainty.ts';
import { FAIR_BN_DEFINITIONS, FAIR_BN_PARTS, fairBnComposite, fairBnPartScores, type FairBnInputs } from '../../src/proxies/fair-bn.ts';
import { naswot } from '../../src/proxies/naswot.ts';
import { convShareTopK } from '../../src/proxies/fair-bn-unfairness.ts';
import { buildNB201Supernet, type NB201Supernet } from '../../src/supernet/nb201-supernet.ts';

const owned: NB201Supernet[] = [];
function fairSupernet(fair = true): NB201Supernet {
  const s = buildNB201Supernet({ C: 3, N: 1, numClasses: 10, seed: 4, fair });
  owned.push(s);
  return s;
}
const images = (n: number, seed: number) => tf.randomNormal([n, 8, 8, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
function inputs(): FairBnInputs {
  return { expressivity: images(8, 1), ntk: images(4, 2), probes: images(3, 3), contexts: [images(9, 4), images(9, 5), images(9, 6)] };
}

const CONV: NB201Op[] = ['nor_conv_3x3', 'nor_conv_1x1', 'skip_connect', 'nor_conv_3x3', 'avg_pool_3x3', 'nor_conv_1x1'];
const NO_CONV: NB201Op[] = ['skip_connect', 'avg_pool_3x3', 'none', 'skip_connect', 'none', 'avg_pool_3x3'];
const ALL_NONE: NB201Op[] = ['none', 'none', 'none', 'none', 'none', 'none'];

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => {
  while (owned.length > 0) owned.pop()!.dispose();
});

describe('fair-BN composite indicator (reconstruction)', () => {
  it('documents every part and the combination rule', () => {
    for (const key of [...FAIR_BN_PARTS, 'composite'] as const) expect(FAIR_BN_DEFINITIONS[key].length).toBeGreaterThan(40);
  });

  it('gives finite parts for conv and conv-free paths, and is deterministic', () => {
    const s = fairSupernet();
    const inp = inputs();
    for (const path of [CONV, NO_CONV]) {
      const parts = fairBnPartScores(s, path, inp);
      for (const part of FAIR_BN_PARTS) expect(Number.isFinite(parts[part]), `${part} of ${path.join(',')}`).toBe(true);
      expect(parts.uncertainty).toBeLessThanOrEqual(0);
      expect(fairBnPartScores(s, path, inp)).toEqual(parts);
    }
  });

  it('expressivity at initialisation is NASWOT\'s log|det K| of the stand-alone fair network', async () => {
    const s = fairSupernet();
    const x = images(8, 7);
    const net = buildNB201Network(CONV, { C: 3, N: 1, numClasses: 10, seed: 4, fair: true });
    const batch: ImageBatch = { dataset: 'cifar10', split: 'train', indices: [], n: 8, height: 8, width: 8, channels: 3, x: x.dataSync() as Float32Array, labels: new Int32Array(8) };
    const reference = await scoreNumber(naswot, net, [batch]);
    net.dispose();
    expect(fairBnExpressivity(s, CONV, x)).toBeCloseTo(reference, 6);
  });

  it('trainability uses the BN of every path op in the fair space (skip and pool included), none of the others', () => {
    const s = fairSupernet();
    const names = pathBnParams(s, NO_CONV).map((p) => p.name);
    // 4 non-none edges x 3 cells x (gamma, beta)
    expect(names).toHaveLength(24);
    expect(names.every((n) => /\.(skip_connect|avg_pool_3x3)\.bn\.(weight|bias)$/.test(n))).toBe(true);
    const r = fairBnTrainability(s, CONV, images(4, 8), pathBnParams(s, CONV));
    expect(r.eigenvalues).toHaveLength(4);
    expect(r.eigenvalues[0]).toBeGreaterThan(0);
    expect(r.value).toBeCloseTo(-Math.log(r.eigenvalues[3]! / r.eigenvalues[0]!), 12);
    expect(r.value).toBeLessThanOrEqual(0);
  });

  it('treats the degenerate all-none path exactly: no BN to train, no uncertainty, no expressivity', () => {
    const s = fairSupernet();
    const inp = inputs();
    expect(fairBnTrainability(s, ALL_NONE, inp.ntk, pathBnParams(s, ALL_NONE)).value).toBe(-Infinity);
    expect(fairBnUncertainty(s, ALL_NONE, inp.probes, inp.contexts)).toBeCloseTo(0, 12);
    expect(fairBnExpressivity(s, ALL_NONE, inp.expressivity)).toBe(-Infinity);
  });

  it('refuses the original (unfair) space', () => {
    expect(() => fairBnPartScores(fairSupernet(false), CONV, inputs())).toThrow(/fair supernet/);
  });

  it('combines the parts as the mean of their average ranks', () => {
    const composite = fairBnComposite([
      { expressivity: 10, trainability: -3, uncertainty: -0.1 },
      { expressivity: 20, trainability: -5, uncertainty: -0.2 },
      { expressivity: -Infinity, trainability: -Infinity, uncertainty: 0 },
      { expressivity: 5, trainability: NaN, uncertainty: -0.3 },
    ]);
    // ranks E: [3, 4, 1, 2]; T (NaN as lowest): [4, 3, 1.5, 1.5]; U: [3, 2, 4, 1]
    expect(Array.from(composite.subarray(0, 3))).toEqual([10 / 3, 3, 6.5 / 3]);
    expect(composite[3]).toBeNaN();
  });
});

describe('conv share in the top k (Finding 1 of Zhu et al.)', () => {
  const cells: NB201Op[][] = [CONV, NO_CONV, ALL_NONE, ['nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3']];
  // conv fractions: 4/6, 0, 0, 1

  it('compares the indicator\'s top k with the true top k and the pool', () => {
    const s = convShareTopK(cells, [1, 4, 0, 3], [90, 80, 10, 95], 2);
    expect(s.indicator).toBeCloseTo((0 + 1) / 2, 12); // indicator picks NO_CONV and all-conv
    expect(s.truth).toBeCloseTo((1 + 4 / 6) / 2, 12); // truth picks all-conv and CONV
    expect(s.pool).toBeCloseTo((4 / 6 + 1) / 4, 12);
    expect(s).toMatchObject({ k: 2, n: 4 });
  });

  it('counts boundary ties by their chance of being picked and drops non-finite scores', () => {
    // ranks by indicator: all-conv first, then a tie of CONV / NO_CONV for the last place
    const s = convShareTopK(cells, [2, 2, -Infinity, 5], [1, 2, 3, 4], 2);
    expect(s.n).toBe(3);
    expect(s.indicator).toBeCloseTo((1 + 0.5 * (4 / 6) + 0.5 * 0) / 2, 12);
  });
});
