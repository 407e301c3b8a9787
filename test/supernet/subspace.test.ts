import { describe, expect, it } from 'vitest';
import { NB201_OPS } from '../../src/models/nb201-cell.ts';
import { cellFromIndex } from '../../src/spaces/nb201-index.ts';
import { allChildren, childCell, childHamming, childIndex, SUBSPACE_FREE_EDGES, SUBSPACE_SIZE, subspaceSupernetSpace } from '../../src/supernet/subspace.ts';

describe('the 64-child NB201 subspace', () => {
  it('has 64 distinct children whose NB201 indices are valid and map back to the same cell', () => {
    expect(SUBSPACE_SIZE).toBe(64);
    const indices = allChildren().map(childIndex);
    expect(new Set(indices).size).toBe(64);
    for (const [c, i] of indices.entries()) {
      expect(i).toBeGreaterThanOrEqual(0);
      expect(i).toBeLessThan(15625);
      expect([...cellFromIndex(i).ops]).toEqual([...childCell(c)]);
    }
  });

  it('varies only the free edges, never uses none, and fixes the others to nor_conv_3x3', () => {
    const seen = SUBSPACE_FREE_EDGES.map(() => new Set<string>());
    for (const c of allChildren()) {
      const cell = childCell(c);
      expect(cell).not.toContain('none');
      cell.forEach((op, e) => {
        const f = SUBSPACE_FREE_EDGES.indexOf(e);
        if (f < 0) expect(op).toBe('nor_conv_3x3');
        else seen[f]!.add(op);
      });
    }
    for (const s of seen) expect(s.size).toBe(4);
    expect(NB201_OPS.filter((o) => seen[0]!.has(o))).toHaveLength(4);
    expect(() => childCell(64)).toThrow(RangeError);
  });

  it('measures Hamming distance on the free-edge op strings', () => {
    expect(childHamming(0, 0)).toBe(0);
    expect(childHamming(0, 1)).toBe(1); // last digit differs
    expect(childHamming(0, 63)).toBe(3);
    expect(childHamming(5, 21)).toBe(1); // 0,1,1 vs 1,1,1
  });

  it('samples only the listed children, reproducibly, and roughly uniformly', () => {
    const space = subspaceSupernetSpace([3, 40]);
    const counts = new Map<string, number>();
    for (let t = 0; t < 400; t++) {
      const p = space.samplePath(7, t).join(',');
      counts.set(p, (counts.get(p) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([childCell(3).join(','), childCell(40).join(',')].sort());
    for (const n of counts.values()) expect(n).toBeGreaterThan(150);
    expect(space.samplePath(7, 11)).toEqual(space.samplePath(7, 11));
  });
});
