/**
 * The random choices of supernet training: which single path each step trains (uniform
 * sampling, Guo et al.'s SPOS as BN-NAS uses it) and which images each step sees.
 *
 * Both are counter-based: step t's path is drawn from the stream keyed (seed, t), and the batch
 * order of epoch e is a permutation drawn from the stream keyed (seed, e) (src/models/rng.ts's
 * machine-independent sfc32 streams). So the whole random state of a run at step t is the pair
 * (seed, t): a resumed run draws exactly what the uninterrupted run would have drawn, with no
 * generator state to serialise beyond the step counter, and on any machine.
 */
import { NB201_EDGES, NB201_OPS, type NB201Op } from '../models/nb201-cell.ts';
import { streamFor } from '../models/rng.ts';

/** The random state the checkpoint stores: everything needed to continue the draws. */
export interface SamplingState {
  kind: 'counter';
  seed: number;
  /** The step whose draws come next. */
  nextStep: number;
}

/**
 * Step `step`'s path: one op per edge, each uniform over all five NB201 ops (`none` included,
 * as uniform sampling over the NB201 space does), the same six ops in every cell.
 */
export function samplePath(seed: number, step: number): NB201Op[] {
  const rng = streamFor(seed, `supernet-path:${step}`);
  return NB201_EDGES.map(() => NB201_OPS[Math.floor(rng.uniform() * NB201_OPS.length)]!);
}

/** Whole batches per pass over `size` images (the last partial batch is dropped, drop_last). */
export function stepsPerEpoch(size: number, batchSize: number): number {
  const n = Math.floor(size / batchSize);
  if (n < 1) throw new RangeError(`a batch of ${batchSize} needs at least that many images, the set has ${size}`);
  return n;
}

/**
 * The image indices of step `step`: epochs are passes over a fresh permutation of the set
 * (sampling without replacement within an epoch, like a shuffled DataLoader).
 */
export function batchIndices(seed: number, size: number, batchSize: number, step: number): number[] {
  const perEpoch = stepsPerEpoch(size, batchSize);
  const epoch = Math.floor(step / perEpoch);
  const start = (step % perEpoch) * batchSize;
  return epochPermutation(seed, size, epoch).slice(start, start + batchSize);
}

/** Fisher-Yates (Durstenfeld) permutation of 0..size-1 from the epoch's stream. */
function epochPermutation(seed: number, size: number, epoch: number): number[] {
  const rng = streamFor(seed, `supernet-batches:${epoch}`);
  const perm = Array.from({ length: size }, (_, i) => i);
  for (let i = size - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return perm;
}
