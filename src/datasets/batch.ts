/**
 * Seeded choice of the images a proxy sees, so a score can be recomputed (and cached) from
 * (dataset, split, n, seed) alone, on any machine.
 *
 * Algorithm (fixed; changing it changes every cached score):
 *   rng = seedrandom(`nasrepro-batch:${seed}`)   // ARC4-based, seedrandom 3.0.5 default
 *   perm = [0, 1, ..., size - 1]
 *   for i = 0 .. n - 1:                          // partial Fisher-Yates (Durstenfeld), forward
 *     j = i + floor(rng() * (size - i))
 *     swap perm[i], perm[j]
 *   indices = perm[0 .. n - 1]                   // in this order (the batch order)
 * seedrandom's ARC4 generator is integer arithmetic and its doubles are built exactly from it,
 * so the sequence is the same on every platform and Node version. The first n entries of the
 * shuffle are a uniform sample without replacement.
 */
import seedrandom from 'seedrandom';
import { DataError } from '../util/errors.ts';
import { normalizeBatch } from './normalize.ts';
import type { ImageBatch, ImageSet } from './types.ts';

/** The indices `selectBatch` picks: n distinct image indices of a set of `size` images. */
export function selectIndices(size: number, n: number, seed: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new DataError(`batch size must be a positive integer, got ${n}`);
  if (!Number.isInteger(seed)) throw new DataError(`batch seed must be an integer, got ${seed}`);
  if (n > size) throw new DataError(`cannot select ${n} distinct images from a set of ${size}`);
  const rng = seedrandom(`nasrepro-batch:${seed}`);
  const perm = new Int32Array(size);
  for (let i = 0; i < size; i++) perm[i] = i;
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rng() * (size - i));
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return Array.from(perm.subarray(0, n));
}

/** n images of `set`, chosen by `seed` without replacement, normalised for the network. */
export function selectBatch(set: ImageSet, n: number, seed: number): ImageBatch {
  if (n > set.size) {
    throw new DataError(
      `cannot select ${n} distinct images from the ${set.dataset} ${set.split} set of ${set.size} images (${set.files.join(', ')})`,
    );
  }
  return normalizeBatch(set, selectIndices(set.size, n, seed));
}
