import { describe, expect, it } from 'vitest';
import { bootstrapCI, BOOTSTRAP_DEFAULTS } from '../../src/stats/bootstrap.ts';
import { kendallTauB } from '../../src/stats/kendall.ts';
import { createPrng } from '../../src/stats/prng.ts';
import { quantileSorted } from '../../src/stats/quantile.ts';

function noisyData(seed: number, n: number): { x: number[]; y: number[] } {
  const rng = createPrng(seed);
  const x = Array.from({ length: n }, () => rng.nextFloat());
  const y = x.map((v) => v + 0.5 * rng.nextFloat());
  return { x, y };
}

describe('quantileSorted', () => {
  it('interpolates linearly between order statistics (numpy default)', () => {
    // [1,2,3,4]: q=0.5 -> h = 1.5 -> 2 + 0.5*(3-2) = 2.5; q=0.25 -> h = 0.75 -> 1.75
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4], 0.25)).toBe(1.75);
    expect(quantileSorted([1, 2, 3, 4], 1)).toBe(4);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });
});

describe('bootstrapCI', () => {
  it('documents its defaults', () => {
    expect(BOOTSTRAP_DEFAULTS).toEqual({ resamples: 1000, level: 0.95, seed: 0 });
  });

  it('is reproducible for a seed and changes with the seed', () => {
    const { x, y } = noisyData(3, 80);
    const a = bootstrapCI(x, y, 'kendall_tau', { resamples: 200, seed: 11 });
    const b = bootstrapCI(x, y, 'kendall_tau', { resamples: 200, seed: 11 });
    const c = bootstrapCI(x, y, 'kendall_tau', { resamples: 200, seed: 12 });
    expect(a).toEqual(b);
    expect([c.low, c.high]).not.toEqual([a.low, a.high]);
  });

  it('brackets the point estimate, and a wider level gives a nested interval', () => {
    const { x, y } = noisyData(5, 120);
    const ci90 = bootstrapCI(x, y, 'spearman', { resamples: 400, level: 0.9, seed: 1 });
    const ci99 = bootstrapCI(x, y, 'spearman', { resamples: 400, level: 0.99, seed: 1 });
    expect(ci90.estimate).toBeGreaterThan(ci90.low);
    expect(ci90.estimate).toBeLessThan(ci90.high);
    expect(ci99.low).toBeLessThanOrEqual(ci90.low);
    expect(ci99.high).toBeGreaterThanOrEqual(ci90.high);
    expect(ci90.high - ci90.low).toBeLessThan(0.3);
  });

  it('shrinks with more data (roughly as 1/sqrt(n))', () => {
    const small = noisyData(8, 50);
    const big = noisyData(8, 800);
    const w = (d: { x: number[]; y: number[] }) => {
      const ci = bootstrapCI(d.x, d.y, 'kendall_tau', { resamples: 300, seed: 2 });
      return ci.high - ci.low;
    };
    // n grows 16x: the width should shrink about 4x; allow a wide margin.
    expect(w(big)).toBeLessThan(w(small) / 2);
  });

  it('gives a zero-width interval at 1 for a perfectly monotone relation', () => {
    const x = Array.from({ length: 30 }, (_, i) => i);
    const ci = bootstrapCI(x, x.map((v) => v ** 3), 'kendall_tau', { resamples: 100 });
    expect(ci.low).toBe(1);
    expect(ci.high).toBe(1);
  });

  it('counts resamples whose statistic is undefined and leaves them out', () => {
    // With n = 2, a resample draws the same pair twice with probability 1/2: constant columns.
    const ci = bootstrapCI([1, 2], [1, 2], 'kendall_tau', { resamples: 1000, seed: 4 });
    expect(ci.undefinedResamples).toBeGreaterThan(400);
    expect(ci.undefinedResamples).toBeLessThan(600);
    expect(ci.low).toBe(1);
  });

  it('accepts a custom statistic and drops non-finite pairs first', () => {
    const ci = bootstrapCI([1, 2, NaN, 4, 5], [1, 2, 3, 4, Infinity], (a, b) => kendallTauB(a, b).value, {
      resamples: 50,
    });
    expect(ci).toMatchObject({ n: 3, dropped: 2, estimate: 1 });
  });

  it('rejects bad options', () => {
    expect(() => bootstrapCI([1, 2], [1, 2], 'spearman', { resamples: 0 })).toThrow(/resamples/);
    expect(() => bootstrapCI([1, 2], [1, 2], 'spearman', { level: 1 })).toThrow(/level/);
  });
});

describe('createPrng', () => {
  it('is deterministic per seed and roughly uniform', () => {
    const a = createPrng(42);
    const b = createPrng(42);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const v = a.nextInt(10);
      expect(v).toBe(b.nextInt(10));
      counts[v]++;
    }
    // Each bucket expects 10,000 with sd ~95: 500 is > 5 sd.
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    expect(createPrng(1).nextUint32()).not.toBe(createPrng(2).nextUint32());
    expect(createPrng(2 ** 40).nextUint32()).not.toBe(createPrng(0).nextUint32());
  });
});
