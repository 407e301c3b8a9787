import { describe, expect, it } from 'vitest';
import { voteAgreement } from '../../src/stats/vote.ts';

describe('voteAgreement (the zero-cost paper\'s vote)', () => {
  it('is 1 when a majority always ranks like the truth, 0 when it always ranks against it', () => {
    const truth = [1, 2, 3, 4];
    expect(voteAgreement([truth, truth, [4, 3, 2, 1]], truth).agreement).toBe(1);
    expect(voteAgreement([[4, 3, 2, 1], [4, 3, 2, 1], truth], truth).agreement).toBe(0);
  });

  it('counts pairs by hand: majority per pair, abstentions and undecided pairs', () => {
    const truth = [1, 2, 3];
    // pairs (0,1), (0,2), (1,2); truth says the later index is better in each
    const a = [1, 2, 3]; // right, right, right
    const b = [3, 2, 1]; // wrong, wrong, wrong
    const c = [1, 1, 5]; // abstains on (0,1), right, right
    const r = voteAgreement([a, b, c], truth);
    // (0,1): votes +1 -1 0 = 0 -> half; (0,2): +1 -1 +1 -> right; (1,2): +1 -1 +1 -> right
    expect(r.pairs).toBe(3);
    expect(r.agreement).toBeCloseTo(2.5 / 3, 12);
  });

  it('leaves out tied accuracies and cells with a non-finite score', () => {
    const truth = [1, 1, 2, 3];
    const s = [0, 1, NaN, 3];
    const r = voteAgreement([s, s, s], truth);
    expect(r.dropped).toBe(1); // cell 2
    expect(r.pairs).toBe(2); // (0,3), (1,3); (0,1) is a tie in truth
    expect(r.agreement).toBe(1);
  });
});
