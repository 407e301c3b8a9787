import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { scoreNumber } from '../../src/proxies/context.ts';
import { meco, mecoNoiseSeed, mecoOn, mecoTerm } from '../../src/proxies/meco.ts';
import { corrcoef, symmetricEigenvalues } from '../../src/util/eigen.ts';
import { CELL, forwardWith, nb201Variant } from './zc-helpers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const R = 16;
const settings = { ...meco.defaults, resolution: R };

describe('meco', () => {
  it('reads one Gaussian 64×64 sample on the zero-cost variant', () => {
    expect(meco.needs.images).toBe('none');
    expect(meco.defaults).toMatchObject({ resolution: 64, batchSize: 1 });
    expect(meco.network).toBe('zero-cost');
  });

  it('λmin of a correlation matrix by hand: uncorrelated 1, duplicated channel 0, constant channel 0', () => {
    expect(mecoTerm([4, 0, 0, 9], 2)).toBeCloseTo(1, 12);
    expect(mecoTerm([1, 2, 2, 4], 2)).toBeCloseTo(0, 12);
    // corr [[1, .5], [.5, 1]]: eigenvalues 0.5, 1.5
    expect(mecoTerm([4, 1, 1, 1], 2)).toBeCloseTo(0.5, 12);
    // a constant channel's NaN row and column become 0, so does its diagonal
    expect(mecoTerm([1, 0, 0, 0, 0, 0, 0, 0, 1], 3)).toBe(0);
  });

  it('is Σ over 4-D graph nodes of λmin(corrcoef of sample 0\'s channels), computed in float64 from the hooked maps', async () => {
    const net = buildNB201Network(CELL, { ...nb201Variant(meco.network, 10), C: 4, N: 1, seed: 6 });
    const s = await scoreNumber(meco, net, [], { settings, imageSize: { height: 8, width: 8 } });
    let expected = 0;
    let terms = 0;
    tf.tidy(() => {
      const x = tf.randomNormal([1, R, R, 3], 0, 1, 'float32', mecoNoiseSeed(net.seed)) as tf.Tensor4D;
      forwardWith(net, x, new Map(), {
        onNodeOutput: (y, node) => {
          if (y.rank !== 4 || node.op === 'input') return;
          const [, h, w, c] = y.shape as [number, number, number, number];
          const v = y.dataSync();
          const rows = new Float64Array(c * h * w); // channel-major: C rows of H·W observations
          for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) rows[k * h * w + p] = v[p * c + k]!;
          const corr = corrcoef(rows, c, h * w).map((r) => (Number.isFinite(r) ? r : 0));
          expected += symmetricEigenvalues(corr, c)[0]!;
          terms++;
        },
      });
    });
    expect(terms).toBeGreaterThan(20);
    expect(Math.abs(s - expected)).toBeLessThan(1e-4 * terms);
    // each term is in [0, 1] (a correlation matrix is PSD with unit diagonal)
    expect(s).toBeGreaterThanOrEqual(-1e-6);
    expect(s).toBeLessThanOrEqual(terms);
    net.dispose();
  });

  it('is invariant to the input scale (bias-free stem conv, then train-mode BN)', async () => {
    const net = buildNB201Network(CELL, { ...nb201Variant(meco.network, 10), C: 4, N: 1, seed: 9 });
    const at = (alpha: number) =>
      scoreNumber(
        {
          ...meco,
          score: async (ctx) => {
            const x = tf.tidy(() => tf.mul(tf.randomNormal([1, R, R, 3], 0, 1, 'float32', 77), alpha)) as tf.Tensor4D;
            try {
              return await mecoOn(ctx, x);
            } finally {
              x.dispose();
            }
          },
        },
        net,
        [],
        { settings },
      );
    const base = await at(1);
    expect(Math.abs((await at(10)) - base)).toBeLessThan(1e-3 * Math.abs(base));
    expect(Math.abs((await at(0.1)) - base)).toBeLessThan(1e-3 * Math.abs(base));
    // another cell gives another score
    const other = buildNB201Network(new Array(6).fill('nor_conv_3x3'), { ...nb201Variant(meco.network, 10), C: 4, N: 1, seed: 9 });
    expect(await scoreNumber(meco, other, [], { settings })).not.toBeCloseTo(await scoreNumber(meco, net, [], { settings }), 3);
    other.dispose();
    net.dispose();
  });
});
