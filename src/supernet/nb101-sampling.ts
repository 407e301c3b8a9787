/**
 * The NB101 supernet's training paths: step t draws its cell the way the NB101 API's
 * `random_spec` does (nasbench/api.py): a 7x7 matrix of independent fair coin flips kept above
 * the diagonal, an op uniform over the three NB101 ops for each of the 5 interior vertices,
 * redrawn until the spec is valid (input and output connected, <= 9 edges after pruning); the
 * pruned spec is the path. Like the NB201 sampler (train-sampling.ts) the draw is counter-based,
 * a function of (seed, step) only, so a resumed run draws what an uninterrupted one would.
 *
 * Not uniform over the 423,624 unique cells (isomorphic graphs are drawn more often, as with the
 * official sampler); uniform over distinct cells would need the enumerated space in memory.
 */
import { streamFor } from '../models/rng.ts';
import { InvalidSpecError, NB101_INPUT, NB101_MAX_VERTICES, NB101_OPS, NB101_OUTPUT, validateSpec, type ModelSpec } from '../spaces/nb101.ts';

export function sampleNB101Path(seed: number, step: number): ModelSpec {
  const rng = streamFor(seed, `nb101-supernet-path:${step}`);
  const n = NB101_MAX_VERTICES;
  for (;;) {
    const matrix = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (rng.uniform() < 0.5 && j > i ? 1 : 0)));
    const ops = Array.from({ length: n }, (_, i) => (i === 0 ? NB101_INPUT : i === n - 1 ? NB101_OUTPUT : NB101_OPS[Math.floor(rng.uniform() * NB101_OPS.length)]!));
    try {
      return validateSpec({ matrix, ops });
    } catch (e) {
      if (!(e instanceof InvalidSpecError)) throw e;
    }
  }
}
