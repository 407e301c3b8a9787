/**
 * The "fair BN" composite indicator of Zhu et al., "Training BatchNorm Only in Neural
 * Architecture Search and Beyond" (arXiv 2112.00265) — A RECONSTRUCTION. The paper describes
 * the indicator as a combination of expressivity, trainability and uncertainty "derived from the
 * theoretical property of BN", but publishes neither the formulas nor code. Every definition
 * below is ours, chosen from BatchNorm theory before looking at any ground truth, and no weight or
 * sign was tuned on the benchmark; every report row that uses it says "reconstruction".
 *
 * Setting: the fair NB201 supernet (a BN after every op but `none`, nb201-supernet `fair: true`),
 * trained BN-only (src/supernet/train.ts, mode 'bn-only'). A candidate cell is its single path.
 * The three parts, each oriented so that higher = better:
 *   - expressivity  E = log|det K| of the path's ReLU activation-pattern kernel on a batch
 *                   (fair-bn-expressivity.ts): how many linear regions the BN-set ReLU
 *                   thresholds carve the data into;
 *   - trainability  T = -log κ(Θ_BN), the condition number of the empirical NTK restricted to
 *                   the path's BN γ/β (fair-bn-trainability.ts): how evenly BN-only gradient
 *                   descent can fit the data (Zhu et al.'s NTK result for BN-only training);
 *   - uncertainty   -U, U = Monte-Carlo-BatchNorm predictive variance of probe images over random
 *                   batch statistics (fair-bn-uncertainty.ts, Teye et al. 2018).
 * Combination rule: the composite is the mean of the three parts' average ranks over the scored
 * cells (1 = worst). Why ranks: the parts live on unrelated scales (a log-determinant in the
 * hundreds, a log condition number, a variance ~1e-4), any weighted sum would need weights we
 * have no principled (non-benchmark) way to set, and ranks are what TE-NAS (Chen et al. ICLR
 * 2021) sums to combine its NTK-conditioning and linear-region measures. Equal weights: nothing
 * in the paper's description favours one part. Consequence: the composite of a cell is relative
 * to the pool it is ranked in (the experiment ranks its whole sample at once).
 * A part that is -Infinity (exact degenerate cases, documented per part) ranks lowest; NaN in any
 * part makes the cell's composite NaN (excluded and counted by the statistics), and the cell is
 * left out of the pool the other cells are ranked in, so it shifts no one's rank.
 */
import * as tf from '@tensorflow/tfjs';
import { selectIndices } from '../datasets/batch.ts';
import { normalizeBatch } from '../datasets/normalize.ts';
import type { ImageSet } from '../datasets/types.ts';
import type { NB201Op } from '../models/nb201-cell.ts';
import type { NB201Supernet } from '../supernet/nb201-supernet.ts';
import type { PathForward } from '../supernet/supernet-space.ts';
import { averageRanks } from '../stats/ranks.ts';
import { createProgress } from '../util/progress.ts';
import { fairBnExpressivity } from './fair-bn-expressivity.ts';
import { fairBnTrainability, pathBnParams } from './fair-bn-trainability.ts';
import { fairBnUncertainty } from './fair-bn-uncertainty.ts';

export const FAIR_BN_PARTS = ['expressivity', 'trainability', 'uncertainty'] as const;
export type FairBnPart = (typeof FAIR_BN_PARTS)[number];

/** One line per part and for the combination, for report rows and settings text. */
export const FAIR_BN_DEFINITIONS: Readonly<Record<FairBnPart | 'composite', string>> = Object.freeze({
  expressivity: 'log|det K| of the path\'s binary ReLU-input patterns (NASWOT kernel) on the BN-only-trained fair supernet, train-mode BN',
  trainability: '-log condition number of the empirical NTK (f = sum of logits) restricted to the path\'s BN gamma/beta',
  uncertainty: '-(MC-BatchNorm predictive variance): probe images run with random training batches, variance of the softmax over draws',
  composite: 'mean of the three parts\' average ranks over the scored cells (equal weights, TE-NAS-style rank combination)',
});

export interface FairBnSettings {
  /** Images of the expressivity batch. */
  expressivityBatch: number;
  /** Images whose per-sample gradients form the NTK. */
  ntkImages: number;
  /** Probe images of the uncertainty part. */
  probes: number;
  /** Random context batches (draws) of the uncertainty part, and their size. */
  draws: number;
  contextBatch: number;
}

/** Defaults sized for the CPU budget (the parts cost ~1 + ntkImages + draws forward passes). */
export const FAIR_BN_DEFAULTS: Readonly<FairBnSettings> = Object.freeze({ expressivityBatch: 64, ntkImages: 8, probes: 16, draws: 4, contextBatch: 48 });

/** The images every cell is scored on (the same for all cells), as tensors. */
export interface FairBnInputs {
  expressivity: tf.Tensor4D;
  ntk: tf.Tensor4D;
  probes: tf.Tensor4D;
  contexts: tf.Tensor4D[];
}

export interface FairBnPartScores {
  expressivity: number;
  trainability: number;
  uncertainty: number;
}

/**
 * Draws the scoring images from `images` (seeded; the probe images are disjoint from the context
 * batches, so a probe never normalises itself). Dispose with disposeFairBnInputs.
 */
export function fairBnInputs(images: ImageSet, settings: FairBnSettings, seed: number): FairBnInputs {
  const { expressivityBatch, ntkImages, probes, draws, contextBatch } = settings;
  const needed = probes + draws * contextBatch;
  const order = selectIndices(images.size, Math.max(needed, expressivityBatch), seed);
  const tensor = (indices: readonly number[]) => {
    const b = normalizeBatch(images, indices);
    return tf.tensor4d(b.x, [b.n, b.height, b.width, b.channels]);
  };
  return {
    expressivity: tensor(order.slice(0, expressivityBatch)),
    ntk: tensor(order.slice(0, ntkImages)),
    probes: tensor(order.slice(0, probes)),
    contexts: Array.from({ length: draws }, (_, t) => tensor(order.slice(probes + t * contextBatch, probes + (t + 1) * contextBatch))),
  };
}

export function disposeFairBnInputs(inputs: FairBnInputs): void {
  tf.dispose([inputs.expressivity, inputs.ntk, inputs.probes, ...inputs.contexts]);
}

/** The three parts for one NB201 cell (its single path in the fair supernet). */
export function fairBnPartScores(supernet: NB201Supernet, path: readonly NB201Op[], inputs: FairBnInputs): FairBnPartScores {
  if (!supernet.options.fair) throw new RangeError('the fair-BN indicator scores the fair supernet (fair: true): every op but none must end in a BN');
  return fairBnPathParts(supernet, path, inputs, pathBnParams(supernet, path));
}

/** The three parts for one path of any space's fair supernet; `bnParams`: the path's candidate-op BN γ/β. */
export function fairBnPathParts<P>(supernet: PathForward<P>, path: P, inputs: FairBnInputs, bnParams: readonly { variable: tf.Variable }[]): FairBnPartScores {
  return {
    expressivity: fairBnExpressivity(supernet, path, inputs.expressivity),
    trainability: fairBnTrainability(supernet, path, inputs.ntk, bnParams).value,
    uncertainty: fairBnUncertainty(supernet, path, inputs.probes, inputs.contexts),
  };
}

/** The three parts of every path in turn (progress on a TTY), and the wall seconds they took. */
export function fairBnPartsOf<P>(
  supernet: PathForward<P>,
  paths: readonly P[],
  inputs: FairBnInputs,
  bnParamsOf: (path: P) => readonly { variable: tf.Variable }[],
  label: string,
): { parts: FairBnPartScores[]; seconds: number } {
  const started = performance.now();
  const progress = createProgress(label, paths.length);
  const parts = paths.map((path) => {
    const p = fairBnPathParts(supernet, path, inputs, bnParamsOf(path));
    progress.tick();
    return p;
  });
  progress.done();
  return { parts, seconds: (performance.now() - started) / 1000 };
}

/** The composite over a pool of scored cells: mean of the parts' average ranks (see above). */
export function fairBnComposite(parts: readonly FairBnPartScores[]): Float64Array {
  const out = new Float64Array(parts.length).fill(NaN);
  // A cell with a NaN part is left out of the pool before ranking: ranking NaN (e.g. as -Infinity)
  // would tie it with the exact -Infinity cells and shift the ranks of every other cell.
  const ranked = parts.flatMap((p, i) => (FAIR_BN_PARTS.some((part) => Number.isNaN(p[part])) ? [] : [i]));
  const ranks = FAIR_BN_PARTS.map((part) => averageRanks(ranked.map((i) => parts[i]![part])));
  ranked.forEach((cell, j) => {
    out[cell] = ranks.reduce((s, r) => s + r[j]!, 0) / ranks.length;
  });
  return out;
}

const RECONSTRUCTION = 'reconstruction: the paper does not publish the formula (src/proxies/fair-bn.ts)';

/**
 * The report rows of the indicator (both spaces' experiments): the composite and each part alone,
 * each with its scores column (the keys of `fairBnScores`) and its definition.
 */
export const FAIR_BN_ROWS: ReadonlyArray<{ method: string; column: FairBnPart | 'composite'; notes: readonly string[] }> = Object.freeze([
  { method: 'fair-bn composite (reconstruction)', column: 'composite' as const, notes: [RECONSTRUCTION, FAIR_BN_DEFINITIONS.composite] },
  ...FAIR_BN_PARTS.map((part) => ({ method: `fair-bn ${part} (reconstruction)`, column: part, notes: [RECONSTRUCTION, FAIR_BN_DEFINITIONS[part]] })),
]);

/**
 * The three parts of every path of a trained fair supernet and their composite over these paths,
 * by FAIR_BN_ROWS column; the part images are drawn with `seed` and released afterwards.
 */
export function fairBnScores<P>(
  supernet: PathForward<P>,
  paths: readonly P[],
  images: ImageSet,
  settings: FairBnSettings,
  seed: number,
  bnParamsOf: (path: P) => readonly { variable: tf.Variable }[],
  label: string,
): Record<FairBnPart | 'composite', Float64Array> {
  const inputs = fairBnInputs(images, settings, seed);
  try {
    const { parts } = fairBnPartsOf(supernet, paths, inputs, bnParamsOf, label);
    return {
      composite: fairBnComposite(parts),
      ...(Object.fromEntries(FAIR_BN_PARTS.map((part) => [part, Float64Array.from(parts, (p) => p[part])])) as Record<FairBnPart, Float64Array>),
    };
  } finally {
    disposeFairBnInputs(inputs);
  }
}
