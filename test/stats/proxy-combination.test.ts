import { describe, expect, it } from 'vitest';
import { combineProxies, rankFeatures } from '../../src/stats/proxy-combination.ts';
import { createPrng } from '../../src/stats/prng.ts';

describe('proxy combination (NBSZ Table 9)', () => {
  it('rank features are in [0, 1] with non-finite scores at -1', () => {
    const f = rankFeatures([Float64Array.from([10, NaN, 1000, 1]), Float64Array.from([3, 2, 1, 0])]);
    expect(f.map((r) => r[0])).toEqual([0.5, -1, 1, 0]);
    expect(f.map((r) => r[1])).toEqual([1, 2 / 3, 1 / 3, 0]);
  });

  it('a model on two informative proxies ranks test cells better than either alone', async () => {
    // accuracy = a + b; each proxy sees one of them plus noise
    const rng = createPrng(7);
    const n = 300;
    const a = Float64Array.from({ length: n }, () => rng.nextFloat());
    const b = Float64Array.from({ length: n }, () => rng.nextFloat());
    const acc = Float64Array.from(a, (v, i) => v + b[i]!);
    const p1 = Float64Array.from(a, (v) => v + 0.05 * rng.nextFloat());
    const p2 = Float64Array.from(b, (v) => v + 0.05 * rng.nextFloat());
    const both = await combineProxies(rankFeatures([p1, p2]), acc, { train: 100, test: 150, splits: 5, seed: 0 });
    const one = await combineProxies(rankFeatures([p1]), acc, { train: 100, test: 150, splits: 5, seed: 0 });
    expect(both.values).toHaveLength(5);
    expect(both.mean).toBeGreaterThan(0.8);
    expect(one.mean).toBeLessThan(0.8);
    expect(both.mean).toBeGreaterThan(one.mean + 0.1);
  });

  it('refuses a split larger than the cells with ground truth', async () => {
    const acc = Float64Array.from([1, 2, NaN, 4]);
    await expect(combineProxies(rankFeatures([acc]), acc, { train: 2, test: 2, splits: 1, seed: 0 })).rejects.toThrow(/only 3 cells have ground truth/);
  });
});
