import { describe, expect, it } from 'vitest';
import { consecutiveTau, groupsFor, gtTau, meanWithinGroupDistance, opAwareDistance, prefixGroups, randomGroups, similarityGroups, sTau, top1Rank } from '../../src/search/weight-sharing.ts';
import { childDigits } from '../../src/supernet/subspace.ts';

const partition = (groups: number[][], n = 64) => {
  const all = groups.flat().sort((a, b) => a - b);
  expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
};

describe('weight-sharing statistics on synthetic rankings', () => {
  it('S-Tau: identical rankings give 1, a reversed one pulls the pair mean down by known amounts', () => {
    const a = [1, 2, 3, 4, 5];
    const r = sTau([a, a, a]);
    expect(r.mean).toBeCloseTo(1, 12);
    expect(r.std).toBeCloseTo(0, 12);
    expect(r.values).toHaveLength(3);
    const rev = [5, 4, 3, 2, 1];
    // pairs: (a,a)=1, (a,rev)=-1, (a,rev)=-1 -> mean -1/3
    const m = sTau([a, a, rev]);
    expect(m.mean).toBeCloseTo(-1 / 3, 12);
    expect(() => sTau([a])).toThrow(RangeError);
  });

  it('GT-Tau: one swapped adjacent pair of 5 gives tau = 1 - 2*1/10 = 0.8', () => {
    const truth = [10, 20, 30, 40, 50];
    const r = gtTau([[1, 2, 3, 4, 5], [1, 3, 2, 4, 5]], truth);
    expect(r.values[0]).toBeCloseTo(1, 12);
    expect(r.values[1]).toBeCloseTo(0.8, 12);
    expect(r.mean).toBeCloseTo(0.9, 12);
    expect(r.std).toBeCloseTo(0.1, 12);
  });

  it('top-1 rank is the truth rank of the child ranked first; NaN scores give NaN', () => {
    const truth = [0.5, 0.9, 0.7, 0.1];
    expect(top1Rank([0, 1, 0, 0], truth)).toBe(1);
    expect(top1Rank([0, 0, 1, 0], truth)).toBe(2);
    expect(top1Rank([0, 0, 0, 9], truth)).toBe(4);
    expect(top1Rank([0, NaN, 0, 9], truth)).toBeNaN();
  });

  it('consecutive tau follows a ranking that moves', () => {
    expect(consecutiveTau([[1, 2, 3], [1, 2, 3], [3, 2, 1]])).toEqual([1, -1]);
  });
});

describe('groupings of the 64 children', () => {
  it('random and similarity groupings partition the children into m equal groups', () => {
    for (const m of [1, 2, 4, 8, 16, 32, 64]) {
      for (const g of [randomGroups(m, 3), similarityGroups(m, 3)]) {
        expect(g).toHaveLength(m);
        for (const group of g) expect(group).toHaveLength(64 / m);
        partition(g);
      }
    }
    expect(() => randomGroups(3, 0)).toThrow(RangeError);
    expect(randomGroups(8, 1)).toEqual(randomGroups(8, 1));
    expect(randomGroups(8, 1)).not.toEqual(randomGroups(8, 2));
  });

  it('similarity groups are tighter than random ones under the op-aware distance', () => {
    expect(opAwareDistance(0, 1)).toBe(0.5); // conv3x3 vs conv1x1 on the last edge
    expect(opAwareDistance(0, 2)).toBe(1); // conv3x3 vs avg_pool
    for (const m of [4, 16]) {
      const sim = meanWithinGroupDistance(similarityGroups(m, 0));
      const rnd = meanWithinGroupDistance(randomGroups(m, 0));
      expect(sim).toBeLessThan(rnd);
    }
    // m = 32: pairs; the greedy clustering pairs a child with a neighbour at distance 0.5 first
    expect(meanWithinGroupDistance(similarityGroups(32, 0))).toBeLessThanOrEqual(1);
  });

  it('prefix groups share their first k free-edge ops, m = 4^k', () => {
    expect(prefixGroups(0)).toHaveLength(1);
    const g = prefixGroups(1);
    expect(g).toHaveLength(4);
    for (const group of g) expect(new Set(group.map((c) => childDigits(c)[0])).size).toBe(1);
    partition(prefixGroups(2));
    expect(prefixGroups(3).every((x) => x.length === 1)).toBe(true);
    expect(groupsFor('prefix', 16, 0)).toHaveLength(16);
    expect(() => groupsFor('prefix', 8, 0)).toThrow(RangeError);
  });
});
