import { describe, expect, it } from 'vitest';
import { logAbsDet } from '../../src/util/linalg.ts';

describe('logAbsDet', () => {
  it('matches determinants worked by hand', () => {
    // det [[2,1],[1,3]] = 6 - 1 = 5
    expect(logAbsDet([2, 1, 1, 3], 2)).toBeCloseTo(Math.log(5), 14);
    // det [[0,2],[3,0]] = -6: needs a row swap; |det| = 6
    expect(logAbsDet([0, 2, 3, 0], 2)).toBeCloseTo(Math.log(6), 14);
    // upper triangular: product of the diagonal 1*4*6 = 24
    expect(logAbsDet([1, 2, 3, 0, 4, 5, 0, 0, 6], 3)).toBeCloseTo(Math.log(24), 14);
  });

  it('returns -Infinity for a singular matrix', () => {
    expect(logAbsDet([1, 2, 2, 4], 2)).toBe(-Infinity);
  });

  it('equals the sum of log eigenvalues of a diagonal-dominant SPD matrix built from known factors', () => {
    // A = Q D Q^T with Q a Householder reflection: det A = prod(D).
    const n = 6;
    const v = [1, -2, 0.5, 3, -1, 2];
    const vv = v.reduce((s, x) => s + x * x, 0);
    const q = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0) - (2 * v[i]! * v[j]!) / vv));
    const d = [0.5, 2, 3, 7, 11, 0.25];
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += q[i]![k]! * d[k]! * q[j]![k]!;
        a[i * n + j] = s;
      }
    const expected = d.reduce((s, x) => s + Math.log(x), 0);
    expect(logAbsDet(a, n)).toBeCloseTo(expected, 10);
  });

  it('rejects a wrongly sized input', () => {
    expect(() => logAbsDet([1, 2, 3], 2)).toThrow(/expected 4 entries/);
  });
});
