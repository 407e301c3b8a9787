/**
 * The NASWOT search protocol (Mellor et al. 2021, Table 2): sample N architectures at random, keep
 * the one the proxy scores highest, report its accuracy; repeat R times, report mean ± std.
 * The same draws give the paper's baselines: random (N = 1) and "optimal" (the best of the N by
 * the accuracy being reported, an upper bound for any selector on that draw).
 *
 * Draws come from a pool of cells that have scores (all 15,625 with FULL=1; a sample otherwise),
 * uniformly without replacement within a run, with a seeded generator so runs are reproducible.
 * Cells whose score is not finite are never chosen by the proxy (they are not in the pool).
 */
import { createPrng } from '../stats/prng.ts';

export interface SearchPool {
  /** Proxy score per pool cell (finite). */
  scores: ArrayLike<number>;
}

export type Selector = 'proxy' | 'random' | 'optimal';

/**
 * Runs `runs` searches of `n` draws and returns, per run, the pool position of the chosen cell.
 * 'optimal' needs the accuracy it maximises.
 */
export function nSampleSearch(
  pool: SearchPool,
  n: number,
  runs: number,
  seed: number,
  selector: Selector,
  accuracy?: ArrayLike<number>,
): number[] {
  const size = pool.scores.length;
  if (!Number.isInteger(n) || n < 1 || n > size) throw new RangeError(`search: N=${n} must be in 1..${size} (the pool size)`);
  if (selector === 'optimal' && !accuracy) throw new Error('search: the optimal selector needs the accuracy');
  const prng = createPrng(seed);
  const perm = Int32Array.from({ length: size }, (_, i) => i);
  const chosen: number[] = [];
  for (let r = 0; r < runs; r++) {
    // Partial Fisher-Yates: the first n entries of perm are a uniform draw without replacement.
    for (let i = 0; i < n; i++) {
      const j = i + prng.nextInt(size - i);
      const t = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = t;
    }
    let best = perm[0]!;
    if (selector !== 'random') {
      const key = selector === 'proxy' ? pool.scores : accuracy!;
      for (let i = 1; i < n; i++) if (key[perm[i]!]! > key[best]!) best = perm[i]!;
    }
    chosen.push(best);
  }
  return chosen;
}
