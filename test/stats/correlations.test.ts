import { describe, expect, it } from 'vitest';
import { kendallTauB, sortCountingInversions } from '../../src/stats/kendall.ts';
import { pearson } from '../../src/stats/pearson.ts';
import { averageRanks } from '../../src/stats/ranks.ts';
import { spearman } from '../../src/stats/spearman.ts';
import { correlate } from '../../src/stats/correlate.ts';
import { createPrng } from '../../src/stats/prng.ts';

/** O(n²) tau-b straight from the definition: (C - D) / sqrt((n0 - n1)(n0 - n2)). */
function bruteTauB(x: number[], y: number[]): number {
  const n = x.length;
  let c = 0;
  let d = 0;
  let tx = 0;
  let ty = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = Math.sign(x[i] - x[j]) * Math.sign(y[i] - y[j]);
      if (s > 0) c++;
      else if (s < 0) d++;
      if (x[i] === x[j]) tx++;
      if (y[i] === y[j]) ty++;
    }
  }
  const n0 = (n * (n - 1)) / 2;
  return (c - d) / Math.sqrt((n0 - tx) * (n0 - ty));
}

/** Naive Spearman: rank = (#smaller) + (#equal + 1) / 2 by counting, then the textbook r. */
function naiveSpearman(x: number[], y: number[]): number {
  const rank = (v: number[]) =>
    v.map((a) => v.filter((b) => b < a).length + (v.filter((b) => b === a).length + 1) / 2);
  const rx = rank(x);
  const ry = rank(y);
  const n = x.length;
  const mx = rx.reduce((s, v) => s + v, 0) / n;
  const my = ry.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) ** 2;
    syy += (ry[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

function randomCase(rng: ReturnType<typeof createPrng>): { x: number[]; y: number[] } {
  const n = 2 + rng.nextInt(59); // 2..60
  const range = 1 + rng.nextInt(6); // values 0..range-1: many ties, sometimes a constant column
  const x = Array.from({ length: n }, () => rng.nextInt(range));
  const y = Array.from({ length: n }, () => rng.nextInt(range));
  return { x, y };
}

describe('kendallTauB', () => {
  it('matches a hand computation with ties in both variables', () => {
    // x = [1,2,2,3], y = [1,3,2,2]; the 6 pairs:
    // (0,1) C, (0,2) C, (0,3) C, (1,2) tied in x, (1,3) D, (2,3) tied in y.
    // C - D = 2, n0 = 6, n1 = 1, n2 = 1 -> 2 / sqrt(5 * 5) = 0.4
    const r = kendallTauB([1, 2, 2, 3], [1, 3, 2, 2]);
    expect(r.value).toBeCloseTo(0.4, 15);
    expect(r).toMatchObject({ n: 4, dropped: 0 });
  });

  it('is 1 for a permutation against itself and -1 against its reverse', () => {
    const rng = createPrng(7);
    const perm = Array.from({ length: 50 }, (_, i) => i);
    for (let i = perm.length - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    const n = perm.length;
    // The reversed ranking gives the cell ranked r the rank n-1-r: every pair becomes discordant.
    expect(kendallTauB(perm, perm).value).toBe(1);
    expect(kendallTauB(perm, perm.map((r) => n - 1 - r)).value).toBe(-1);
    // The identity sequence against its reverse.
    const identity = Array.from({ length: n }, (_, i) => i);
    expect(kendallTauB(identity, [...identity].reverse()).value).toBe(-1);
  });

  it('agrees with the O(n²) definition on 200 random cases with many ties, to 1e-12', () => {
    const rng = createPrng(2021);
    let compared = 0;
    for (let c = 0; c < 200; c++) {
      const { x, y } = randomCase(rng);
      const expected = bruteTauB(x, y);
      const got = kendallTauB(x, y).value;
      if (Number.isNaN(expected)) {
        expect(got).toBeNaN();
      } else {
        expect(Math.abs(got - expected)).toBeLessThanOrEqual(1e-12);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(150); // most cases are not degenerate
  });

  it('drops non-finite pairs and says how many', () => {
    // Kept pairs: (1,2), (3,3), (4,5) -> perfectly concordant.
    const r = kendallTauB([1, 2, NaN, 3, 4], [2, Infinity, 1, 3, 5]);
    expect(r).toEqual({ value: 1, n: 3, dropped: 2 });
  });

  it('returns NaN with a reason when a column is all tied', () => {
    const r = kendallTauB([1, 2, 3], [5, 5, 5]);
    expect(r.value).toBeNaN();
    expect(r.reason).toMatch(/all 3 y values are tied/);
    expect(kendallTauB([2, 2], [2, 2]).reason).toMatch(/both columns constant/);
  });

  it('throws on length mismatch and on fewer than 2 finite pairs', () => {
    expect(() => kendallTauB([1, 2], [1, 2, 3])).toThrow(/differ in length \(2 vs 3\)/);
    expect(() => kendallTauB([1], [1])).toThrow(/at least 2 pairs/);
    expect(() => kendallTauB([1, NaN, 3], [NaN, 2, -Infinity])).toThrow(/got 0 .*3 dropped/);
  });

  it('matches the O(n^2) definition on a large tied input (its speed is in make bench)', () => {
    const rng = createPrng(1);
    const n = 2500;
    const x = Array.from({ length: n }, () => rng.nextInt(60));
    const y = x.map((v) => v + rng.nextInt(40));
    // tau-b by pair counting: (C - D) / sqrt((n0 - n1)(n0 - n2)), n1/n2 the pairs tied in x/y
    let concordant = 0;
    let discordant = 0;
    let tiedX = 0;
    let tiedY = 0;
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) {
        const s = Math.sign(x[i]! - x[j]!) * Math.sign(y[i]! - y[j]!);
        if (s > 0) concordant++;
        else if (s < 0) discordant++;
        if (x[i] === x[j]) tiedX++;
        if (y[i] === y[j]) tiedY++;
      }
    const n0 = (n * (n - 1)) / 2;
    const expected = (concordant - discordant) / Math.sqrt((n0 - tiedX) * (n0 - tiedY));
    expect(tiedX).toBeGreaterThan(0);
    const r = kendallTauB(x, y);
    expect(r.n).toBe(n);
    expect(r.value).toBeCloseTo(expected, 12);
  });
});

describe('sortCountingInversions', () => {
  it('counts strict inversions and sorts', () => {
    // [3,1,2,2]: inversions (3,1),(3,2),(3,2) = 3; the equal 2s are not an inversion.
    const a = Float64Array.from([3, 1, 2, 2]);
    expect(sortCountingInversions(a)).toBe(3);
    expect(Array.from(a)).toEqual([1, 2, 2, 3]);
  });
});

describe('averageRanks', () => {
  it('gives ties their mean rank', () => {
    // sorted: 10 (1), 20 20 (2,3 -> 2.5), 30 (4)
    expect(Array.from(averageRanks([20, 10, 30, 20]))).toEqual([2.5, 1, 4, 2.5]);
  });
});

describe('spearman', () => {
  it('matches a hand computation with ties', () => {
    // ranks x = [1, 2.5, 2.5, 4], ranks y = [1, 4, 2.5, 2.5], both means 2.5
    // deviations x = [-1.5, 0, 0, 1.5], y = [-1.5, 1.5, 0, 0]
    // sxy = 2.25, sxx = syy = 4.5 -> rho = 0.5
    expect(spearman([1, 2, 2, 3], [1, 3, 2, 2]).value).toBeCloseTo(0.5, 15);
  });

  it('agrees with a naive Spearman on 200 random cases with many ties, to 1e-12', () => {
    const rng = createPrng(99);
    for (let c = 0; c < 200; c++) {
      const { x, y } = randomCase(rng);
      const expected = naiveSpearman(x, y);
      const got = spearman(x, y).value;
      if (Number.isNaN(expected)) expect(got).toBeNaN();
      else expect(Math.abs(got - expected)).toBeLessThanOrEqual(1e-12);
    }
  });

  it('is invariant to monotone transforms (ranks only)', () => {
    const x = [0.1, 5, 3, 3, 8, -2];
    const y = [1, 2, 2, 7, 3, 0];
    expect(spearman(x.map(Math.exp), y).value).toBeCloseTo(spearman(x, y).value, 14);
  });
});

describe('pearson', () => {
  it('matches a hand computation', () => {
    // x = [1,2,3], y = [1,3,2]: deviations [-1,0,1] and [-1,1,0]; sxy = 1, sxx = syy = 2 -> 0.5
    expect(pearson([1, 2, 3], [1, 3, 2]).value).toBeCloseTo(0.5, 15);
  });

  it('survives scores whose squares overflow float64', () => {
    expect(pearson([1e200, 2e200, 3e200], [1, 3, 2]).value).toBeCloseTo(0.5, 12);
    expect(pearson([1e-200, 2e-200, 3e-200], [1, 3, 2]).value).toBeCloseTo(0.5, 12);
  });

  it('returns NaN with a reason for a constant column', () => {
    const r = pearson([4, 4, 4], [1, 2, 3]);
    expect(r.value).toBeNaN();
    expect(r.reason).toMatch(/x values are tied/);
  });
});

describe('correlate', () => {
  it('spearman_abs reports |rho| and keeps the sign', () => {
    const r = correlate('spearman_abs', [1, 2, 3, 4], [4, 3, 2, 1]);
    expect(r.value).toBe(1);
    expect(r.signed).toBe(-1);
    expect(correlate('kendall_tau', [1, 2, 2, 3], [1, 3, 2, 2]).value).toBeCloseTo(0.4, 15);
  });
});
