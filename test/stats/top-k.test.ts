import { describe, expect, it } from 'vitest';
import { bestRankingAtK, resolveK, topKOverlap } from '../../src/stats/top-k.ts';
import { createPrng } from '../../src/stats/prng.ts';

/** All permutations of 0..n-1. */
function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

/** Top-k set when ties are broken by the tie-breaking order `tb` (lower tb wins). */
function topSet(v: number[], k: number, tb: number[]): Set<number> {
  const idx = v.map((_, i) => i).sort((a, b) => v[b] - v[a] || tb[a] - tb[b]);
  return new Set(idx.slice(0, k));
}

describe('topKOverlap', () => {
  it('matches a hand computation without ties', () => {
    // predicted top-2 = cells {0,1}; true top-2 = cells {1,2}; overlap 1 -> 0.5
    const r = topKOverlap([5, 4, 3, 2, 1], [1, 5, 4, 3, 2], 2);
    expect(r).toEqual({ value: 0.5, overlap: 1, k: 2, n: 5, dropped: 0 });
  });

  it('matches a hand computation with ties at the boundary', () => {
    // predicted [3,2,2,2,1], k=2: cell 0 is in; one of the three tied 2s (cells 1,2,3) joins,
    // each with probability 1/3. True top-2 = {0,1}. E overlap = 1 + 1/3 = 4/3 -> value 2/3.
    const r = topKOverlap([3, 2, 2, 2, 1], [5, 4, 3, 2, 1], 2);
    expect(r.overlap).toBeCloseTo(4 / 3, 15);
    expect(r.value).toBeCloseTo(2 / 3, 15);
  });

  it('equals the average over every tie-breaking of both rankings (brute force)', () => {
    const rng = createPrng(17);
    const n = 5;
    const perms = permutations(n);
    for (let c = 0; c < 15; c++) {
      const p = Array.from({ length: n }, () => rng.nextInt(3));
      const t = Array.from({ length: n }, () => rng.nextInt(3));
      const k = 1 + rng.nextInt(n);
      let total = 0;
      for (const a of perms) {
        const ps = topSet(p, k, a);
        for (const b of perms) {
          const ts = topSet(t, k, b);
          for (const cell of ps) if (ts.has(cell)) total++;
        }
      }
      const expected = total / (perms.length * perms.length) / k;
      expect(topKOverlap(p, t, k).value).toBeCloseTo(expected, 12);
    }
  });

  it('takes k as a fraction (ceil), and drops non-finite pairs', () => {
    expect(resolveK({ fraction: 0.01 }, 15625)).toBe(157);
    expect(resolveK({ fraction: 1e-9 }, 10)).toBe(1);
    const r = topKOverlap([NaN, 1, 2, 3, 4], [9, 1, 2, 3, 4], { fraction: 0.5 });
    expect(r).toMatchObject({ k: 2, n: 4, dropped: 1, value: 1 });
  });

  it('rejects a k outside 1..n', () => {
    expect(() => topKOverlap([1, 2], [1, 2], 3)).toThrow(/1\.\.2/);
    expect(() => topKOverlap([1, 2], [1, 2], 1.5)).toThrow(/integer/);
    expect(() => topKOverlap([1, 2], [1, 2], { fraction: 0 })).toThrow(/fraction/);
  });
});

describe('bestRankingAtK (NBSZ BR@K)', () => {
  it('is the best true rank among the predicted top k, over n', () => {
    // truth ranks: cell 3 best (rank 1), cell 0 rank 2, cell 2 rank 3, cell 1 rank 4
    const truth = [0.8, 0.1, 0.5, 0.9];
    const pred = [3, 4, 1, 2]; // top-1 predicted: cell 1 (rank 4); top-2: cells 1, 0 (best rank 2)
    expect(bestRankingAtK(pred, truth, 1)).toMatchObject({ rank: 4, value: 1 });
    expect(bestRankingAtK(pred, truth, 2)).toMatchObject({ rank: 2, value: 0.5 });
    expect(bestRankingAtK(pred, truth, 4).rank).toBe(1);
  });

  it('averages over the ways to break ties at the predicted k-th place', () => {
    // all four tied: top-1 is a uniform draw of ranks 1..4, expected 2.5; top-2: E[min of 2 of 4] = (1·3 + 2·2 + 3·1)/6 = 10/6
    const truth = [0.8, 0.1, 0.5, 0.9];
    expect(bestRankingAtK([1, 1, 1, 1], truth, 1).rank).toBeCloseTo(2.5, 12);
    expect(bestRankingAtK([1, 1, 1, 1], truth, 2).rank).toBeCloseTo(10 / 6, 12);
    // one cell strictly above (rank 3), three tied for the second place: E[min(3, one of ranks 1,2,4)] = (1+2+3)/3
    expect(bestRankingAtK([1, 1, 2, 1], truth, 2).rank).toBeCloseTo(2, 12);
  });

  it('drops non-finite pairs first', () => {
    const r = bestRankingAtK([NaN, 2, 1], [0.9, 0.5, 0.7], 1);
    expect(r).toMatchObject({ n: 2, dropped: 1, rank: 2 });
  });
});
