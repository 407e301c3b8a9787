/**
 * A small seeded generator for resampling: xoshiro128** (Blackman & Vigna), state seeded by
 * splitmix32. Math.random cannot be seeded, and a bootstrap interval in a report must come out the
 * same on every run. Period 2^128 - 1: far more than the ~4·10^8 draws of 1000 resamples of the
 * 423,624 NB101 cells.
 */
export interface Prng {
  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** Uniform in [0, 1) with 53 random bits. */
  nextFloat(): number;
  /** Uniform integer in [0, n), n a positive safe integer. */
  nextInt(n: number): number;
}

export function createPrng(seed: number): Prng {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  }
  // Fold the high bits in so seeds above 2^32 still give distinct streams.
  let sm = (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) >>> 0, 0x9e3779b9);
  const splitmix32 = (): number => {
    sm = (sm + 0x9e3779b9) | 0;
    let z = sm;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let s0 = splitmix32();
  let s1 = splitmix32();
  let s2 = splitmix32();
  let s3 = splitmix32();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1; // the all-zero state is a fixed point

  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
  const nextFloat = (): number => ((nextUint32() >>> 5) * 2 ** 26 + (nextUint32() >>> 6)) / 2 ** 53;
  const nextInt = (n: number): number => {
    if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`nextInt: n must be a positive integer, got ${n}`);
    // floor(u·n) with 53-bit u: bias at most n/2^53, negligible for any array we hold.
    return Math.floor(nextFloat() * n);
  };
  return { nextUint32, nextFloat, nextInt };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
