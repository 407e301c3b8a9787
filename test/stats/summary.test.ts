import { describe, expect, it } from 'vitest';
import { meanStd } from '../../src/stats/summary.ts';

describe('meanStd', () => {
  it('matches a hand computation (ddof 0 and 1)', () => {
    // [2,4,4,4,5,5,7,9]: mean 5, squared deviations sum 32 -> sd 2 (÷8), sqrt(32/7) (÷7)
    const v = [2, 4, 4, 4, 5, 5, 7, 9];
    expect(meanStd(v)).toEqual({ mean: 5, std: 2, n: 8 });
    expect(meanStd(v, 1).std).toBeCloseTo(Math.sqrt(32 / 7), 15);
  });

  it('rejects empty and non-finite input', () => {
    expect(() => meanStd([])).toThrow(/no values/);
    expect(() => meanStd([1, NaN])).toThrow(/value 1/);
  });
});
