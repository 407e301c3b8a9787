/**
 * FreeDARTS (Zhang et al., "Connection Sensitivity Matters for Training-free DARTS", arXiv
 * 2106.11542): architecture search on the NB201 DARTS supernet at initialisation with ZEROS
 * (src/search/zeros.ts) as the operation score; no training, no data.
 *
 * - iterative (the paper's method): score every candidate op, remove the least sensitive, rescore
 *   with the removed ops out of the mix, until one op per edge remains;
 * - one-shot (the comparison): the argmax of ZEROS per edge after the first pass.
 *
 * Choices the paper leaves open, and ours:
 * - Supernet: NB201's TinyNetwork macro-structure with all five ops on every edge
 *   (src/supernet/nb201-supernet.ts), C = 16, N = 5, as the NB201 networks the benchmark trained.
 *   BN variant 'none-in-cells' by default: the |w|, all-ones, Σ-logits recipe is synflow's, and
 *   the zero-cost reference computes synflow on NB201 without BN in the stem, cells and lastact
 *   (src/proxies/synflow.ts); a BN would re-centre the all-positive signal and make |w|
 *   meaningless. The two reduction blocks keep their train-mode BNs, which on ONE all-ones sample
 *   normalise with the spatial statistics of that sample (the variance comes from the
 *   zero-padded borders only; synflow.ts discusses what that does). 'no-affine' / 'standard'
 *   (a BN after every conv op, DARTS's own cells) can be chosen with `bn`.
 * - Overflow: without BN the activations grow by orders of magnitude per cell; the forward pass
 *   carries a log-scale (exact, src/executors/tfjs-scaled.ts) instead of hoping float32 suffices, and a
 *   non-finite pass raises SensitivityError.
 * - alpha: the notebook draws 1e-3 · N(0, 1) without softmax. We take its absolute value by
 *   default (`alphaInit: 'abs-randn'`): the recipe makes every parameter absolute so that the
 *   network is a positive function of its parameters (synflow's linearisation), and alpha is a
 *   parameter of the mixed forward like any weight. With signed alpha ('randn', the notebook
 *   literally) negative mixtures reach the next ReLUs, which can cut every path from an edge, so
 *   that R stops depending on it: a later pass then finds ZEROS = 0 for all its candidates (seen
 *   at full size, raised as SensitivityError 'degenerate'). 'ones' (uniform mixing) is the third
 *   choice. The draw is seeded (rng.ts, key 'freedarts.alpha'), so a seed fixes alpha and the
 *   weights. Removed ops leave the mix; the remaining alphas are not renormalised.
 * - Removal: `per-edge` (default) removes on every edge its least sensitive op per pass (3 passes
 *   for 4 candidates); `global` removes the single least sensitive op over all edges that still
 *   have more than one (18 passes), comparing sensitivities across edges at different depths.
 *   methods.md reads the paper as either; per-edge keeps every edge's decision local, as DARTS's
 *   own per-edge argmax does, and is the cheaper one.
 * - `none`: with |alpha · ∂R/∂alpha| and no softmax, ZEROS(none) = 0 exactly (its output is zeros,
 *   whatever alpha). So none can only win on an edge whose other ops all score 0, i.e. an edge R
 *   does not depend on: with positive alpha every edge reaches the output through skip and pool,
 *   so that signals a broken pass (underflow, NaN: the failure the notebook showed) or signed
 *   alpha cutting the edge off. `allowNone`
 *   false (default) leaves none out of the candidates and the mix (its term is 0 anyway), as
 *   DARTS's genotype derivation does; true keeps it as a candidate, which only costs one pass per
 *   edge (it is removed first). In both modes an edge whose candidates other than none all score
 *   0 raises SensitivityError ('degenerate') instead of picking something.
 * - Ties (equal ZEROS, in practice never): the op listed first in NB201_OPS is removed first and
 *   wins an argmax first.
 */
import * as tf from '@tensorflow/tfjs';
import type { BnVariant } from '../models/nb201-network.ts';
import { NB201_EDGES, NB201_OPS, type NB201Op } from '../models/nb201-cell.ts';
import { streamFor } from '../models/rng.ts';
import { buildNB201Supernet, type NB201Supernet, type OpMask } from '../supernet/nb201-supernet.ts';
import { createZerosScorer, SensitivityError, type ZerosScorer } from './zeros.ts';

export type RemovalMode = 'per-edge' | 'global';
export type AlphaInit = 'abs-randn' | 'randn' | 'ones';

export interface FreeDartsOptions {
  seed: number;
  C?: number;
  N?: number;
  /** Classes of the classifier (10: CIFAR-10); R sums them all. */
  numClasses?: number;
  /** All-ones input height = width (32: CIFAR). */
  inputSize?: number;
  bn?: BnVariant;
  removal?: RemovalMode;
  allowNone?: boolean;
  alphaInit?: AlphaInit;
  /** Standard deviation of the normal alpha draws (1e-3 in the notebook). */
  alphaScale?: number;
}

/** One ZEROS pass of the iterative search: the scores it saw and what it removed. */
export interface SearchStep {
  /** ln ZEROS per [edge][op]; -Infinity for ops out of the mix and for `none`. */
  logZeros: number[][];
  removed: Array<{ edge: number; op: NB201Op }>;
}

export interface SearchOutcome {
  /** The chosen op per edge (NB201_EDGES order). */
  cell: NB201Op[];
  /** ZEROS passes run (one forward + backward each). */
  passes: number;
  /** Wall seconds: building the supernet and scorer plus the passes this outcome needed. */
  seconds: number;
}

export interface FreeDartsResult {
  iterative: SearchOutcome & { steps: SearchStep[] };
  /** Argmax per edge of the iterative search's first pass (the same pass, not a second one). */
  oneShot: SearchOutcome;
  options: Readonly<Required<FreeDartsOptions>>;
}

export const FREEDARTS_DEFAULTS = {
  C: 16,
  N: 5,
  numClasses: 10,
  inputSize: 32,
  bn: 'none-in-cells',
  removal: 'per-edge',
  allowNone: false,
  alphaInit: 'abs-randn',
  alphaScale: 1e-3,
} as const satisfies Omit<Required<FreeDartsOptions>, 'seed'>;

const NUM_OPS = NB201_OPS.length;
const NONE = NB201_OPS.indexOf('none');

/** The initial [6, 5] alpha, row-major (see the file comment). */
export function initialAlpha(seed: number, init: AlphaInit, scale: number): Float32Array {
  const out = new Float32Array(NB201_EDGES.length * NUM_OPS);
  if (init === 'ones') return out.fill(1);
  if (init !== 'randn' && init !== 'abs-randn') throw new RangeError(`alphaInit must be 'abs-randn', 'randn' or 'ones', got '${String(init)}'`);
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`alphaScale must be a positive number, got ${scale}`);
  const rng = streamFor(seed, 'freedarts.alpha');
  for (let i = 0; i < out.length; i += 2) {
    // Box-Muller: two independent normals per pair of uniforms (1 - u keeps the log finite).
    const r = Math.sqrt(-2 * Math.log(1 - rng.uniform()));
    const phi = 2 * Math.PI * rng.uniform();
    out[i] = scale * r * Math.cos(phi);
    if (i + 1 < out.length) out[i + 1] = scale * r * Math.sin(phi);
  }
  return init === 'abs-randn' ? out.map(Math.abs) : out;
}

/** The starting candidates: every op, `none` only when allowed. */
export function initialCandidates(allowNone: boolean): boolean[][] {
  return NB201_EDGES.map(() => NB201_OPS.map((_, o) => allowNone || o !== NONE));
}

/** Candidate ops of edge e, in NB201_OPS order. */
function candidatesOf(active: OpMask, e: number): number[] {
  const ops: number[] = [];
  active[e]!.forEach((on, o) => on && ops.push(o));
  return ops;
}

/** Raises SensitivityError for an edge whose candidates (none aside) all have ZEROS = 0. */
function checkNotDegenerate(logZeros: number[][], active: OpMask): void {
  NB201_EDGES.forEach(({ from, to }, e) => {
    const real = candidatesOf(active, e).filter((o) => o !== NONE);
    if (real.length > 0 && real.every((o) => logZeros[e]![o] === -Infinity)) {
      throw new SensitivityError(
        `ZEROS is 0 for every candidate op of edge ${e} (${from} -> ${to}): R does not depend on that edge ` +
          '(ReLUs cut every path from it, e.g. after negative alpha mixtures, or the pass underflowed); no op can be chosen on it',
        'degenerate',
      );
    }
  });
}

/** Position (in `ops`) of the extreme score; the first one on ties. */
function extremeOp(ops: readonly number[], score: (o: number) => number, better: (a: number, b: number) => boolean): number {
  let best = ops[0]!;
  for (const o of ops.slice(1)) if (better(score(o), score(best))) best = o;
  return best;
}

/** The one-shot choice: per edge, the candidate with the largest ZEROS. */
export function argmaxCell(logZeros: number[][], active: OpMask): NB201Op[] {
  return NB201_EDGES.map((_, e) => NB201_OPS[extremeOp(candidatesOf(active, e), (o) => logZeros[e]![o]!, (a, b) => a > b)]!);
}

/** The ops one iterative step removes (see `removal` in the file comment). */
export function opsToRemove(logZeros: number[][], active: OpMask, removal: RemovalMode): Array<{ edge: number; op: number }> {
  const open = NB201_EDGES.map((_, e) => e).filter((e) => candidatesOf(active, e).length > 1);
  const weakest = (e: number): number => extremeOp(candidatesOf(active, e), (o) => logZeros[e]![o]!, (a, b) => a < b);
  if (removal === 'per-edge') return open.map((edge) => ({ edge, op: weakest(edge) }));
  if (removal !== 'global') throw new RangeError(`removal must be 'per-edge' or 'global', got '${String(removal)}'`);
  if (open.length === 0) return [];
  const edge = extremeOp(open, (e) => logZeros[e]![weakest(e)]!, (a, b) => a < b);
  return [{ edge, op: weakest(edge) }];
}

/**
 * The iterative search on a given supernet and scorer, from `alpha` and the `candidates` mask.
 * Returns the cell (each edge's survivor) and one step per pass; the first step's scores are the
 * one-shot search's.
 */
export async function iterativeZerosSearch(
  scorer: ZerosScorer,
  alpha: tf.Tensor2D,
  candidates: OpMask,
  removal: RemovalMode,
): Promise<{ cell: NB201Op[]; steps: SearchStep[] }> {
  const active = candidates.map((row) => [...row]);
  NB201_EDGES.forEach((_, e) => {
    if (candidatesOf(active, e).length === 0) throw new RangeError(`edge ${e} has no candidate op`);
  });
  const steps: SearchStep[] = [];
  while (NB201_EDGES.some((_, e) => candidatesOf(active, e).length > 1)) {
    const { logZeros } = await scorer.score(alpha, active);
    checkNotDegenerate(logZeros, active);
    const removed = opsToRemove(logZeros, active, removal);
    for (const { edge, op } of removed) active[edge]![op] = false;
    steps.push({ logZeros, removed: removed.map(({ edge, op }) => ({ edge, op: NB201_OPS[op]! })) });
  }
  return { cell: NB201_EDGES.map((_, e) => NB201_OPS[candidatesOf(active, e)[0]!]!), steps };
}

function resolve(opts: FreeDartsOptions): Required<FreeDartsOptions> {
  const o = { ...FREEDARTS_DEFAULTS, ...opts };
  if (!Number.isSafeInteger(o.seed)) throw new RangeError(`seed must be a safe integer, got ${o.seed}`);
  if (o.removal !== 'per-edge' && o.removal !== 'global') throw new RangeError(`removal must be 'per-edge' or 'global', got '${String(o.removal)}'`);
  return o;
}

/**
 * Builds the supernet for `opts.seed`, runs the iterative search and reads the one-shot choice
 * off its first pass. Wall times count the supernet's construction (weight init) and the passes.
 */
export async function runFreeDarts(opts: FreeDartsOptions): Promise<FreeDartsResult> {
  const options = resolve(opts);
  const { seed, C, N, numClasses, bn, inputSize } = options;
  const started = performance.now();
  let supernet: NB201Supernet | undefined;
  let scorer: ZerosScorer | undefined;
  const alpha = tf.tensor2d(initialAlpha(seed, options.alphaInit, options.alphaScale), [NB201_EDGES.length, NUM_OPS]);
  try {
    supernet = buildNB201Supernet({ C, N, numClasses, bn, seed });
    scorer = createZerosScorer(supernet, { inputSize });
    const setupSeconds = (performance.now() - started) / 1000;
    const candidates = initialCandidates(options.allowNone);
    const passTimes: number[] = [];
    const timed: ZerosScorer = {
      ...scorer,
      score: async (a, active) => {
        const t0 = performance.now();
        const pass = await scorer!.score(a, active);
        passTimes.push((performance.now() - t0) / 1000);
        return pass;
      },
    };
    const { cell, steps } = await iterativeZerosSearch(timed, alpha, candidates, options.removal);
    const total = setupSeconds + passTimes.reduce((s, t) => s + t, 0);
    return {
      iterative: { cell, steps, passes: steps.length, seconds: total },
      oneShot: { cell: argmaxCell(steps[0]!.logZeros, candidates), passes: 1, seconds: setupSeconds + passTimes[0]! },
      options,
    };
  } finally {
    alpha.dispose();
    scorer?.dispose();
    supernet?.dispose();
  }
}
