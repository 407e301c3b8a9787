/**
 * Seeded, machine-independent random streams for weight initialisation.
 *
 * Why not tf.randomUniform: its stream depends on the backend (cpu, wasm, webgl draw differently),
 * so the same seed would give different networks on different machines. Why not seedrandom: it is
 * only a transitive dependency of tfjs here, and a stream this small is easier to pin down exactly.
 *
 * Everything below is 32-bit integer arithmetic (Math.imul, shifts, xor) plus one exact scaling by
 * 2^-32, so a (seed, key) pair gives bit-identical values on every JS engine and machine.
 *
 * One stream per key: `streamFor(seed, key)` hashes the seed and the key (a parameter's name)
 * into the generator state, so a parameter's values depend only on (seed, its name) and never on
 * which other parameters were drawn before it. See init.ts for what that buys.
 */

/** A stream of uniform random numbers. */
export interface Rng {
  /** The next 32-bit unsigned integer, uniform over [0, 2^32). */
  nextUint32(): number;
  /** The next float64 uniform over [0, 1), with 32 bits of randomness (plenty for float32 weights). */
  uniform(): number;
}

const TWO_POW_MINUS_32 = 1 / 4294967296;

/**
 * 128-bit string hash (four 32-bit lanes, each lane a multiply-xor chain over the UTF-16 code
 * units, then a cross-lane avalanche). Not cryptographic; it only has to spread nearby keys such
 * as "cells.3.layers.1" and "cells.3.layers.2" to unrelated generator states.
 */
export function hash128(text: string): [number, number, number, number] {
  let h1 = 0x6a09e667;
  let h2 = 0xbb67ae85;
  let h3 = 0x3c6ef372;
  let h4 = 0xa54ff53a;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 0x85ebca6b);
    h2 = h3 ^ Math.imul(h2 ^ k, 0xc2b2ae35);
    h3 = h4 ^ Math.imul(h3 ^ k, 0x27d4eb2f);
    h4 = h1 ^ Math.imul(h4 ^ k, 0x165667b1);
  }
  // Finalisation (MurmurHash3-style fmix per lane, lanes mixed into each other).
  h1 = Math.imul(h3 ^ (h1 >>> 18), 0xcc9e2d51);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 0x1b873593);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 0xe6546b64);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 0x85ebca6b);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state): passes PractRand,
 * the counter guarantees a period of at least 2^32 even from a poor state.
 */
class Sfc32 implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(state: [number, number, number, number]) {
    [this.a, this.b, this.c, this.d] = state;
    // Discard the first outputs so that states from similar hashes decorrelate.
    for (let i = 0; i < 15; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  uniform(): number {
    return this.nextUint32() * TWO_POW_MINUS_32;
  }
}

/**
 * The stream for one key under one seed. The seed must be a safe integer; it is written in
 * decimal into the hashed text, so seed 1 and seed "1" cannot be confused and no two
 * (seed, key) pairs share a text (the separator cannot occur in a decimal number).
 */
export function streamFor(seed: number, key: string): Rng {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`seed must be a safe integer, got ${seed}`);
  }
  return new Sfc32(hash128(`${seed}\u0000${key}`));
}
