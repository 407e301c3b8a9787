/**
 * The weight-sharing variance study (Zhang et al., "Deeper Insights into Weight Sharing in Neural
 * Architecture Search", arXiv 2001.01431) on a 64-child subspace of NAS-Bench-201
 * (src/supernet/subspace.ts) and on the full NB201 space (part 6). THE SPACE DIFFERS from the
 * paper's (its own 64-child DARTS-like space, stand-alone ground truth from 10 trainings each);
 * ours takes NB201's stand-alone accuracy (cifar10-valid x-valid, 200 epochs) as ground truth.
 * Every report row says so, and that the run is reduced.
 *
 * What is run (every number comes from this run):
 * 1. `seeds` single-path supernets per mode ('standard' and 'bn-only', src/supernet/train.ts),
 *    seed s seeding both the weights and the path/batch draws; paths uniform over the 64 children.
 *    Checkpointed per segment: a killed run resumes, a rerun retrains nothing.
 * 2. Each child's supernet accuracy on `evalImages` held-out CIFAR-10 test images (the shared data's
 *    test split: never trained on). Our choice, documented: BN in train mode on the evaluation batch
 *    (batch statistics, running statistics untouched), because the running statistics of a
 *    single-path supernet mix every child's activations; this is the usual BN recalibration of
 *    one-shot evaluation in its cheapest form. Also each child's BN-NAS indicator (src/proxies/bn-nas.ts)
 *    from the same supernet's gammas.
 * 3. Metrics with their spread over seeds (src/search/weight-sharing.ts): S-Tau, GT-Tau, top-1
 *    rank, for the accuracy ranking and for BN-NAS's indicator (is it more stable across seeds?
 *    neither paper measured it); and, as the baseline training must beat, GT-Tau of each child's
 *    number of convolution edges, which ranks like BN-NAS's indicator at initialisation.
 * 4. GT-Tau over the last mini-batches: the children are also evaluated at `lastPoints` points
 *    `lastStride` steps apart at the end of each run (the paper: over the last 10 epochs), and at
 *    `curvePoints` evenly spaced points along it (the ranking-variance curve: GT-Tau and τ to the
 *    previous point). Evaluations are cached beside the checkpoint, keyed by step.
 * 5. Partial sharing: the children split into m groups (random, similarity, prefix;
 *    src/search/weight-sharing.ts), each group its own supernet over its children only. Budget
 *    (our choice): the full run's steps are split evenly, steps/m per group, so each child gets on
 *    average the same number of updates of its own path as under full sharing (steps/64); only the
 *    degree of sharing changes. The paper trains every group as long as the full supernet; that
 *    costs m times more, which 2 cores cannot afford. m = 64 is then independent training for
 *    steps/64 steps each (at least 1). Standard mode, seeds 0..partialSeeds-1.
 * 6. The full space ("the full space on the existing supernet", issue 15): `fullSpaceSeeds`
 *    supernets per mode, the same supernet, steps, optimiser and seeds as 1, but paths uniform over
 *    all 15,625 NB201 cells ('none' included: the BN-NAS trainer's sampler, src/supernet/train-sampling.ts).
 *    Children (our choice; the paper has no full space): `fullSpaceCells` cells drawn uniformly
 *    without replacement with seed `fullSpaceSampleSeed` (src/scoring/cell-selection.ts, the
 *    NB201 experiments' sampler), default 64 with seed 0 (as many as the subspace's, so the taus
 *    compare over equal counts), FULL=1 1,000. Seeded prefixes: the 64 are the first 64 of the
 *    1,000, and of the sample(1000, seed 0) the NB201 correlation experiments score by default.
 *    They are evaluated as in 2 (same images, same train-mode BN, same BN-NAS indicator) at the
 *    end of training only, and summarised as in 3 in rows of their own identity (`space` column
 *    `nb201-full:sample(K,seed=S)`, the subspace's `nb201-subspace64`). Not done in the full
 *    space: the last-points range and the curve (4: their cost is one evaluation of every child per
 *    point) and partial sharing (5: a group supernet would need a split of the trained space, not
 *    of the ranked sample). The training does not depend on the sample, so its checkpoints do not
 *    name it; the evaluation cache does: a larger sample reuses the trained supernets.
 * One code path serves 1-3 and 6 (ChildSet: the child cells, their NB201 indices, the training
 * space and what a checkpoint names of it).
 *
 * Sizes. Unit costs at C=8, N=1, batch 64, wasm backend:
 * - an earlier measurement (quiet machine): ~1.4 s per training step and ~0.5 s per child
 *   evaluation on 64 images;
 * - measured on 2026-12-03 for the full space, 2 cores under a load of 3-5 from other work, in
 *   two ways: (a) 8 steps after a warm-up step per space and mode (twice for standard), and (b)
 *   this file's own run at --seeds 2 --steps 20 --full-space-seeds 2 (the medians it prints).
 *   Medians in s/step, subspace standard 0.71, 0.68 (a), 0.63 (b); subspace bn-only 0.39 (a),
 *   0.52 (b); full-space standard 0.41, 0.55 (a), 0.58 (b); full-space bn-only 0.23 (a), 0.34 (b);
 *   child evaluation on 64 images 0.168 s in both spaces (a), 0.178 subspace and 0.141 full
 *   space (b). So bn-only steps cost 0.54-0.83 of standard ones (~0.65: the convolutions get no
 *   gradient), full-space steps 0.58-0.93 of the subspace's (~0.75: 2.4 convolution edges of 6
 *   per path on average against 4.5), an evaluation about the same in both (taken as equal).
 * The model takes the earlier (larger) absolute figures and today's ratios: subspace 1.4 s/step
 * standard, 0.91 bn-only; full space 1.05 standard, 0.68 bn-only; 0.5 s per child evaluation.
 * The default: 3 seeds x 2 modes x 80 steps on the subspace, each evaluated at steps 0, 40, 75, 80
 * (4 points x 64 children); partial sharing m = 1, 4 (random and similarity grouping; m = 1 is
 * the full-sharing run) on 1 seed; the full space 3 seeds x 2 modes x 80 steps, 64 children at
 * the end:
 *   subspace     3 x (80 x 1.4 + 4 x 32 + 80 x 0.91 + 4 x 32) = 3 x 441 ≈ 1,320 s
 *   partial      2 x (80 x 1.4 + 32)                              ≈   290 s
 *   full space   3 x (80 x 1.05 + 32 + 80 x 0.68 + 32)          = 3 x 202 ≈ 610 s
 *   total ≈ 2,220 s ≈ 37 min; run (b) estimated the default at its own measured costs as 16 min
 *   (subspace 9, partial sharing 2, full space 5).
 * Timed end to end (2026-12-03, `reproduce-nb201 --only weight-sharing,isometry --init-seeds 0`,
 * 2 cores under a load of 3-5 from two other scoring runs): this experiment 1,480 s (24.7 min);
 * its own estimate at that run's medians (1.02 s/step standard, 0.64 bn-only, 0.28 s per child
 * evaluation) was 22 min. The isometry experiment after it took 920 s more.
 * To make room for the full space the default dropped partial sharing's m = 16 (2 x 144 s more);
 * --partial-m 1,4,16 puts it back. Every run prints the same estimate at its own measured costs.
 * That is far below the paper's training, so the supernet accuracies are close to chance and every
 * row says the run is reduced. FULL=1 (--full): C=16, N=5, 10 seeds, 625 steps (10 epochs of the
 * 4,000 training images), 512 evaluation images, partial sharing m = 1..64 (random, similarity,
 * prefix) on 10 seeds, the full space 10 seeds x 2 modes with 1,000 children: days on a CPU.
 *
 * Runnable alone:
 *   node --import tsx experiments/nb201-weight-sharing.ts --data ../shared/data --store-dir data [--seeds N] [--steps N] [--full-space-seeds N] [--full-space-cells N] [--full]
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { stringify } from 'csv-stringify/sync';
import { loadImageSet } from '../src/datasets/load.ts';
import { normalizeBatch } from '../src/datasets/normalize.ts';
import type { ImageSet } from '../src/datasets/types.ts';
import { initBackend } from '../src/engine/backend.ts';
import { positive, type ExperimentContext, type ExperimentOutput } from '../src/pipeline/context.ts';
import { groundTruth, valuesAt } from '../src/pipeline/ground-truth.ts';
import { reproduceCommand, runReproduction } from '../src/pipeline/reproduce-cli.ts';
import { bnNasScore, liveGammas, opGammaScores } from '../src/proxies/bn-nas.ts';
import { csvNumber, markdownTable, mdNumber } from '../src/report/format.ts';
import { consecutiveTau, groupsFor, gtTau, kendall, meanWithinGroupDistance, sTau, top1RankSummary, type Grouping, type TauSummary } from '../src/search/weight-sharing.ts';
import { identityHash } from '../src/supernet/checkpoint.ts';
import type { NB201Op } from '../src/models/nb201-cell.ts';
import { selectNB201Cells } from '../src/scoring/cell-selection.ts';
import { archStringFromIndex, cellFromIndex } from '../src/spaces/nb201-index.ts';
import { NB201_NUM_CELLS } from '../src/spaces/nb201.ts';
import { NB201_SUPERNET, type NB201Supernet, type SupernetOptions } from '../src/supernet/nb201-supernet.ts';
import type { SupernetKind } from '../src/supernet/supernet-space.ts';
import { allChildren, childCell, childIndex, SUBSPACE_SIZE, subspaceSupernetKind } from '../src/supernet/subspace.ts';
import { PAPER_OPTIMISER, resolveTrainConfig, type TrainConfig, type TrainMode } from '../src/supernet/train-config.ts';
import { median } from '../src/supernet/train-run.ts';
import { trainIdentity, trainSupernet } from '../src/supernet/train.ts';
import { writeFileAtomic } from '../src/util/atomic-file.ts';
import { DataError } from '../src/util/errors.ts';
import { BN_NAS_TRUTH, standaloneContext, supernetCheckpointDir, unavailable, type StandaloneOptions } from '../src/pipeline/supernet-inputs.ts';

const PAPER = 'deeper-insights-2020';
export const SPACE_NOTE = 'space differs: NB201 64-child subspace (edges 0->3, 1->3, 2->3 free over conv3x3/conv1x1/avgpool/skip, others conv3x3), not the paper\'s DARTS-like 64-child space';

export interface WeightSharingOptions {
  seeds: number;
  modes: TrainMode[];
  steps: number;
  C: number;
  N: number;
  batchSize: number;
  evalImages: number;
  /** Evaluation batch (train-mode BN statistics are over one such batch). */
  evalBatch: number;
  lastPoints: number;
  lastStride: number;
  curvePoints: number;
  partialSeeds: number;
  partialM: number[];
  groupings: Grouping[];
  /** Full-space supernets per mode (0: no full-space part). */
  fullSpaceSeeds: number;
  /** Full-space cells ranked, a seeded uniform sample of the 15,625 (0: no full-space part). */
  fullSpaceCells: number;
  /** Seed of that sample (src/scoring/cell-selection.ts). */
  fullSpaceSampleSeed: number;
  checkpointDir?: string;
}

export const WEIGHT_SHARING_DEFAULTS: Readonly<WeightSharingOptions> = Object.freeze({
  seeds: 3, modes: ['standard', 'bn-only'], steps: 80, C: 8, N: 1, batchSize: 64, evalImages: 64, evalBatch: 64,
  lastPoints: 2, lastStride: 5, curvePoints: 2, partialSeeds: 1, partialM: [1, 4], groupings: ['random', 'similarity'],
  fullSpaceSeeds: 3, fullSpaceCells: 64, fullSpaceSampleSeed: 0,
}) as WeightSharingOptions;
export const WEIGHT_SHARING_FULL: Readonly<WeightSharingOptions> = Object.freeze({
  ...WEIGHT_SHARING_DEFAULTS, seeds: 10, steps: 625, C: 16, N: 5, evalImages: 512, evalBatch: 128, lastPoints: 10, lastStride: 20, curvePoints: 10, partialSeeds: 10,
  partialM: [1, 2, 4, 8, 16, 32, 64], groupings: ['random', 'similarity', 'prefix'], fullSpaceSeeds: 10, fullSpaceCells: 1000,
}) as WeightSharingOptions;

/** One evaluation of every child of a supernet (or of a group). */
export interface ChildEval {
  step: number;
  /** By child: accuracy on the evaluation images, NaN for children not evaluated. */
  accuracy: number[];
  bnNas: number[];
  seconds: number;
}

/** The evaluation steps of a run: evenly spaced curve points, the last points, the end. */
export function evalSteps(steps: number, curvePoints: number, lastPoints: number, lastStride: number): number[] {
  // curvePoints >= 2 includes the ranking at initialisation (step 0); 1 means the end only.
  const s = new Set<number>(curvePoints >= 2 ? [0, steps] : [steps]);
  for (let i = 1; i < curvePoints; i++) s.add(Math.round((i * steps) / curvePoints));
  for (let i = 1; i < lastPoints; i++) s.add(Math.max(0, steps - i * lastStride));
  return [...s].sort((a, b) => a - b);
}

/**
 * The children a study ranks, and how a supernet over them is trained: one code path (train,
 * evaluate, summarise) serves the 64-child subspace and the full-space sample; only the child set
 * differs. Score vectors are indexed by child number (0..cells.length-1).
 */
export interface ChildSet {
  /** The row identity of its summary rows (their 'space' column). */
  space: string;
  /** Child c's path: six ops in NB201_EDGES order. */
  cells: readonly (readonly NB201Op[])[];
  /** Child c's NB201 index: where its ground truth lives. */
  indices: readonly number[];
  /** The supernet builder and training path sampler of a supernet over `children` (all of them, or a partial-sharing group). */
  kindFor(children: readonly number[]): SupernetKind<readonly NB201Op[], NB201Supernet, SupernetOptions>;
  /** What a checkpoint's identity names of the training space (two runs that train differently must differ in it). */
  trainingIdentity(children: readonly number[]): Record<string, unknown>;
  /**
   * What the evaluation cache's file name names of the evaluated children, when training does not
   * depend on them (the full space: a larger sample reuses the trained supernets); null where
   * the children are the training space itself and so already in the checkpoint's identity.
   */
  evalIdentity: unknown;
}

export const SUBSPACE_ROWS = 'nb201-subspace64';

/** The 64-child subspace (src/supernet/subspace.ts); its identity is the one its checkpoints always had. */
export function subspaceChildSet(): ChildSet {
  const children = allChildren();
  return Object.freeze({
    space: SUBSPACE_ROWS,
    cells: children.map(childCell),
    indices: children.map(childIndex),
    kindFor: (group: readonly number[]) => subspaceSupernetKind(group),
    trainingIdentity: (group: readonly number[]) => ({ children: group }),
    evalIdentity: null,
  });
}

/** The full-space rows' identity: which sample of the 15,625 cells is ranked. */
export function fullSpaceRows(cells: number, seed: number): string {
  return `nb201-full:sample(${cells},seed=${seed})`;
}

/**
 * The full NB201 space: supernets trained with paths uniform over all 15,625 cells (the BN-NAS
 * trainer's sampler, src/supernet/train-sampling.ts), ranked on a seeded uniform sample of
 * `cells` of them (src/scoring/cell-selection.ts: a prefix of the same seed's larger sample, so
 * the default's 64 are the first 64 of FULL's 1,000). Partial sharing has no meaning here: a
 * group supernet would have to be trained over a part of the space, not of the sample.
 */
export function fullSpaceChildSet(cells: number, seed: number): ChildSet {
  const indices = selectNB201Cells({ kind: 'sample', size: cells, seed });
  return Object.freeze({
    space: fullSpaceRows(indices.length, seed),
    cells: indices.map((i) => cellFromIndex(i).ops),
    indices,
    kindFor: (group: readonly number[]) => {
      if (group.length !== indices.length) throw new RangeError(`the full-space study trains one supernet over the whole space, not over a group of ${group.length} of its ${indices.length} children`);
      return NB201_SUPERNET;
    },
    trainingIdentity: () => ({ space: `${NB201_SUPERNET.space.name}: paths uniform over all ${NB201_NUM_CELLS} cells` }), // in every full-space checkpoint's name: rewording it retrains them
    evalIdentity: { sample: { cells: indices.length, seed } },
  });
}

/** Accuracy of each listed child on the evaluation images, and its BN-NAS indicator. */
export function evaluateChildren(supernet: NB201Supernet, set: Pick<ChildSet, 'cells'>, children: readonly number[], evalSet: ImageSet, evalImages: number, evalBatch: number): Omit<ChildEval, 'step'> {
  const started = performance.now();
  const accuracy = new Array<number>(set.cells.length).fill(NaN);
  const bnNas = new Array<number>(set.cells.length).fill(NaN);
  const n = Math.min(evalImages, evalSet.size);
  const batches: Array<{ x: tf.Tensor4D; labels: Int32Array }> = [];
  for (let start = 0; start < n; start += evalBatch) {
    const b = normalizeBatch(evalSet, Array.from({ length: Math.min(evalBatch, n - start) }, (_, i) => start + i));
    batches.push({ x: tf.tensor4d(b.x, [b.n, b.height, b.width, b.channels]), labels: Int32Array.from(b.labels) });
  }
  try {
    const table = opGammaScores(liveGammas(supernet.params));
    for (const c of children) {
      const cell = set.cells[c]!;
      let correct = 0;
      for (const { x, labels } of batches) {
        const pred = tf.tidy(() => supernet.apply(x, { path: cell, training: true, updateRunningStats: false }).argMax(1));
        const p = pred.dataSync();
        pred.dispose();
        for (let i = 0; i < labels.length; i++) if (p[i] === labels[i]) correct++;
      }
      accuracy[c] = correct / n;
      bnNas[c] = bnNasScore(table, cell);
    }
  } finally {
    for (const b of batches) b.x.dispose();
  }
  return { accuracy, bnNas, seconds: (performance.now() - started) / 1000 };
}

export interface RunResult {
  label: string;
  evals: ChildEval[];
  stepSeconds: number[];
  resumedFrom: number | null;
}

/**
 * Trains one supernet over `children` of `set` in segments, evaluating them at each of `points`
 * (cached in <checkpoint>.eval[-<hash>].json by step, so a rerun or a resumed run re-evaluates
 * nothing it has).
 */
export function trainAndEvaluate(
  label: string, supernetOptions: SupernetOptions, config: TrainConfig, set: ChildSet, children: readonly number[], points: readonly number[],
  images: ImageSet, evalSet: ImageSet, o: Pick<WeightSharingOptions, 'evalImages' | 'evalBatch'>, checkpointDir: string,
): RunResult {
  const kind = set.kindFor(children);
  const supernet = kind.build(supernetOptions);
  try {
    // only the evaluation settings, not the whole options object: other study settings (partial m, seeds) must not rename the run
    const identity = { ...(trainIdentity(supernet, images, config, null) as object), ...set.trainingIdentity(children), points, eval: { evalImages: o.evalImages, evalBatch: o.evalBatch } };
    const file = path.join(checkpointDir, `${label}-${identityHash(identity)}.ckpt`);
    const evalFile = set.evalIdentity === null ? `${file}.eval.json` : `${file}.eval-${identityHash(set.evalIdentity)}.json`;
    const cached = new Map<number, ChildEval>(existsSync(evalFile) ? (JSON.parse(readFileSync(evalFile, 'utf8')) as ChildEval[]).map((e) => [e.step, e]) : []);
    const base = { supernet, space: kind.space, images, config, checkpointFile: file, checkpointEvery: 1_000_000 };
    let result = trainSupernet({ ...base, stopAfterSteps: 0 });
    const resumedFrom = result.resumedFrom;
    const evals: ChildEval[] = [];
    for (const p of points) {
      if (!cached.has(p) && result.step < p) result = trainSupernet({ ...base, stopAfterSteps: p - result.step });
      if (!cached.has(p)) {
        if (result.step !== p) continue; // trained past it in a killed run before its evaluation was saved
        cached.set(p, { step: p, ...evaluateChildren(supernet, set, children, evalSet, o.evalImages, o.evalBatch) });
        writeFileAtomic(evalFile, JSON.stringify([...cached.values()]));
      }
      evals.push(cached.get(p)!);
    }
    return { label, evals, stepSeconds: result.log.stepSeconds, resumedFrom };
  } finally {
    supernet.dispose();
  }
}

export async function runWeightSharingExperiment(ctx: ExperimentContext, opts: Partial<WeightSharingOptions> = {}): Promise<ExperimentOutput> {
  const o: WeightSharingOptions = { ...WEIGHT_SHARING_DEFAULTS, ...opts };
  const dir = 'weight-sharing';
  const outDir = path.join(ctx.outDir, dir);
  const title = `## Weight-sharing variance (Zhang et al. 2020) on a 64-child NB201 subspace${o.fullSpaceSeeds > 0 && o.fullSpaceCells > 0 ? ' and the full NB201 space' : ''}`;
  const why = unavailable(ctx);
  if (why !== undefined) {
    writeFileAtomic(path.join(outDir, 'README.md'), `${title}\n\n${why}\n`);
    return { name: 'nb201-weight-sharing', markdown: `${title}\n\n${why}\n`, files: [`${dir}/README.md`] };
  }
  const started = performance.now();
  const backendInfo = await initBackend(ctx.backend);
  const backend = `${backendInfo.name} ${backendInfo.version}`;
  const truthCol = groundTruth(ctx.store, BN_NAS_TRUTH) as { label: string; values: Float64Array };
  const subspace = subspaceChildSet();
  const children = allChildren();
  const truth = valuesAt(truthCol.values, subspace.indices);
  const images = loadImageSet(ctx.dataDir, 'cifar10', 'train');
  const evalSet = loadImageSet(ctx.dataDir, 'cifar10', 'test');
  const checkpointDir = o.checkpointDir ?? supernetCheckpointDir(ctx.cacheDir, 'nb201');
  const points = evalSteps(o.steps, o.curvePoints, o.lastPoints, o.lastStride);
  const supernetOf = (seed: number): SupernetOptions => ({ C: o.C, N: o.N, numClasses: images.numClasses, bn: 'standard', fair: false, seed });
  const scale = `reduced run: C=${o.C}, N=${o.N} (NB201: C=16, N=5); ${o.steps} steps at batch ${o.batchSize} on ${images.size} CIFAR-10 training images; lr ${PAPER_OPTIMISER.lr} linear decay; accuracy on ${Math.min(o.evalImages, evalSet.size)} CIFAR-10 test images, train-mode BN`;

  // Full sharing: every mode and seed, the same code for both child sets (only the set and its seeds differ).
  const trainEvery = (set: ChildSet, labelPrefix: string, seeds: number, at: readonly number[]) => {
    const out = new Map<TrainMode, RunResult[]>();
    const all = set.cells.map((_, c) => c);
    for (const mode of o.modes) {
      const list: RunResult[] = [];
      for (let seed = 0; seed < seeds; seed++) {
        const config = resolveTrainConfig({ mode, steps: o.steps, batchSize: o.batchSize, seed });
        list.push(trainAndEvaluate(`${labelPrefix}-${mode}-s${seed}`, supernetOf(seed), config, set, all, at, images, evalSet, o, checkpointDir));
      }
      out.set(mode, list);
    }
    return out;
  };
  // 1-4 on the subspace.
  const runs = trainEvery(subspace, 'ws', o.seeds, points);
  // 6: the full space, evaluated at the end only (the curve, last-points and partial-sharing analyses are the subspace's).
  const full = o.fullSpaceSeeds > 0 && o.fullSpaceCells > 0 ? fullSpaceChildSet(o.fullSpaceCells, o.fullSpaceSampleSeed) : null;
  const fullRuns = full ? trainEvery(full, 'ws-full', o.fullSpaceSeeds, [o.steps]) : new Map<TrainMode, RunResult[]>();
  const fullTruth = full ? valuesAt(truthCol.values, full.indices) : new Float64Array(0);
  const fullNote = full ? fullSpaceNote(full.cells.length, o.fullSpaceSampleSeed) : '';
  const finalOf = (r: RunResult) => r.evals[r.evals.length - 1]!;

  const publishedOf = (method: string, metric: string) => ctx.published.find({ paper: PAPER, benchmark: 'darts-like-64', dataset: 'cifar10', method, metric })[0];
  const summaryHeader = ['space', 'metric', 'mode', 'ranking', 'ours_mean', 'ours_std', 'n', 'published', 'published_std', 'notes'];
  const summaryRows: string[][] = [];
  const add = (set: ChildSet, spaceNote: string, metric: string, mode: string, ranking: string, s: TauSummary, pub: { value: number; std: number | null } | undefined, note: string) =>
    summaryRows.push([set.space, metric, mode, ranking, csvNumber(s.mean, 4), csvNumber(s.std, 4), String(s.n), pub ? csvNumber(pub.value, 4) : 'n/a', pub?.std != null ? csvNumber(pub.std, 4) : '', `${spaceNote}; ${scale}; ${note}`]);
  /** S-Tau, GT-Tau and top-1 rank of one mode's runs, for the accuracy ranking and BN-NAS's indicator. */
  const addRankingRows = (set: ChildSet, spaceNote: string, mode: TrainMode, list: readonly RunResult[], setTruth: Float64Array) => {
    const acc = list.map((r) => finalOf(r).accuracy);
    const bn = list.map((r) => finalOf(r).bnNas);
    const pubS = publishedOf('single-path supernet', 's_tau');
    const pubG = publishedOf('single-path supernet', 'gt_tau');
    if (list.length >= 2) add(set, spaceNote, 's_tau', mode, 'supernet accuracy', sTau(acc), pubS, `mean pairwise tau over ${list.length} seeds (std over pairs)`);
    add(set, spaceNote, 'gt_tau', mode, 'supernet accuracy', gtTau(acc, setTruth), pubG, `std over ${list.length} seeds`);
    add(set, spaceNote, 'top1_rank', mode, 'supernet accuracy', top1RankSummary(acc, setTruth), undefined, `ground-truth rank (1 = best of ${set.cells.length}) of the supernet's top child; the paper prints no single number`);
    if (list.length >= 2) add(set, spaceNote, 's_tau', mode, 'bn-nas indicator', sTau(bn), undefined, 'neither paper measured it');
    add(set, spaceNote, 'gt_tau', mode, 'bn-nas indicator', gtTau(bn, setTruth), undefined, 'BN-NAS indicator of the same supernets');
    add(set, spaceNote, 'top1_rank', mode, 'bn-nas indicator', top1RankSummary(bn, setTruth), undefined, '');
  };
  /**
   * What training must beat: GT-Tau of the number of convolution edges, which ranks like BN-NAS's
   * indicator at initialisation (every gamma 1: 3N x the conv edges). It matters most in the full
   * space, where conv-less and 'none'-heavy cells are easy to rank low.
   */
  const addConvCountRow = (set: ChildSet, spaceNote: string, setTruth: Float64Array) => {
    const convs = set.cells.map((cell) => cell.filter((op) => op === 'nor_conv_3x3' || op === 'nor_conv_1x1').length);
    add(set, spaceNote, 'gt_tau', 'untrained', 'conv count (bn-nas at initialisation)', gtTau([convs], setTruth), undefined, 'the baseline: counted from the cells, no supernet');
  };
  const lastRows: string[][] = [];
  const curveRows: string[][] = [];
  addConvCountRow(subspace, SPACE_NOTE, truth);
  for (const [mode, list] of runs) {
    addRankingRows(subspace, SPACE_NOTE, mode, list, truth);
    // GT-Tau over the last points of each run.
    const lastTaus: number[] = [];
    for (const [seed, r] of list.entries()) {
      const last = r.evals.filter((e) => e.step >= o.steps - (o.lastPoints - 1) * o.lastStride);
      for (const e of last) lastTaus.push(kendall(e.accuracy, truth));
      const taus = r.evals.map((e) => kendall(e.accuracy, truth));
      const moves = [NaN, ...consecutiveTau(r.evals.map((e) => e.accuracy))];
      r.evals.forEach((e, i) => curveRows.push([mode, String(seed), String(e.step), csvNumber(taus[i]!, 4), csvNumber(moves[i]!, 4), csvNumber(kendall(e.bnNas, truth), 4), csvNumber(e.seconds, 2)]));
      lastRows.push([mode, String(seed), last.map((e) => String(e.step)).join(' '), ...minMax(last.map((e) => kendall(e.accuracy, truth)))]);
    }
    const f = lastTaus.filter(Number.isFinite);
    summaryRows.push([SUBSPACE_ROWS, 'gt_tau_last_points_range', mode, 'supernet accuracy', csvNumber(f.length ? Math.min(...f) : NaN, 4), csvNumber(f.length ? Math.max(...f) : NaN, 4), String(f.length), '0.1 to 0.7', '',
      `${SPACE_NOTE}; ${scale}; min and max (in the mean and std columns) of GT-Tau over the last ${o.lastPoints} evaluation points ${o.lastStride} steps apart, every seed; the paper: over its last 10 epochs`]);
  }
  if (full) {
    addConvCountRow(full, fullNote, fullTruth);
    for (const [mode, list] of fullRuns) addRankingRows(full, fullNote, mode, list, fullTruth);
  }

  // 5: partial sharing, standard mode (or the first mode run).
  const partialMode: TrainMode = o.modes.includes('standard') ? 'standard' : o.modes[0]!;
  const partialRows: string[][] = [];
  const partialSeeds = Math.min(o.partialSeeds, o.seeds);
  for (const grouping of o.groupings) {
    for (const m of o.partialM) {
      if (grouping === 'prefix' && 4 ** Math.round(Math.log(m) / Math.log(4)) !== m) continue;
      const perSeed: number[][] = [];
      let within = NaN;
      const stepsPerGroup = Math.max(1, Math.round(o.steps / m));
      for (let seed = 0; seed < partialSeeds; seed++) {
        if (m === 1) {
          perSeed.push(finalOf(runs.get(partialMode)![seed]!).accuracy);
          within = meanWithinGroupDistance([children]);
          continue;
        }
        const groups = groupsFor(grouping, m, seed);
        within = meanWithinGroupDistance(groups);
        const acc = new Array<number>(SUBSPACE_SIZE).fill(NaN);
        groups.forEach((g, gi) => {
          const config = resolveTrainConfig({ mode: partialMode, steps: stepsPerGroup, batchSize: o.batchSize, seed });
          const r = trainAndEvaluate(`ws-part-${partialMode}-${grouping}-m${m}-g${gi}-s${seed}`, supernetOf(seed), config, subspace, g, [stepsPerGroup], images, evalSet, o, checkpointDir);
          for (const c of g) acc[c] = finalOf(r).accuracy[c]!;
        });
        perSeed.push(acc);
      }
      const gt = gtTau(perSeed, truth);
      const st = perSeed.length >= 2 ? sTau(perSeed) : { mean: NaN, std: NaN, n: 0, values: [] };
      partialRows.push([grouping, String(m), String(stepsPerGroup), csvNumber(gt.mean, 4), csvNumber(gt.std, 4), String(gt.n), csvNumber(st.mean, 4), csvNumber(st.std, 4), csvNumber(within, 3), `${SPACE_NOTE}; ${partialMode} mode; ${scale}`]);
    }
  }

  // Timing and the default's estimate (the cost model of the file comment, at this run's measured costs).
  const subRuns = [...runs.values()].flat();
  const fullList = [...fullRuns.values()].flat();
  const evalImagesUsed = Math.min(o.evalImages, evalSet.size);
  const perChildOf = (list: readonly RunResult[], childCount: number) => median(list.flatMap((r) => r.evals.map((e) => e.seconds / childCount)).filter((v) => v > 0));
  const stepOf = (byMode: Map<TrainMode, RunResult[]>) => Object.fromEntries([...byMode].map(([mode, list]) => [mode, median(list.flatMap((r) => r.stepSeconds))])) as Partial<Record<TrainMode, number>>;
  const costs: StudyCosts = {
    step: stepOf(runs),
    perChild: perChildOf(subRuns, SUBSPACE_SIZE),
    fullStep: stepOf(fullRuns),
    fullPerChild: full && fullList.length > 0 ? perChildOf(fullList, full.cells.length) : NaN,
  };
  // Evaluation costs scale with the images: the default's eval set may differ from this run's.
  const toDefault = (perChild: number) => (perChild * WEIGHT_SHARING_DEFAULTS.evalImages) / evalImagesUsed;
  const defaultCosts: StudyCosts = { ...costs, perChild: toDefault(costs.perChild), fullPerChild: toDefault(costs.fullPerChild) };
  const sameNet = o.C === WEIGHT_SHARING_DEFAULTS.C && o.N === WEIGHT_SHARING_DEFAULTS.N && o.batchSize === WEIGHT_SHARING_DEFAULTS.batchSize;
  const stepText = (byMode: Partial<Record<TrainMode, number>>) => Object.entries(byMode).map(([mode, v]) => `${v!.toFixed(3)} s/step ${mode}`).join(', ');
  const measured = `medians ${stepText(costs.step)}, ${costs.perChild.toFixed(3)} s per child evaluation on ${evalImagesUsed} images in the subspace` +
    (fullList.length > 0 ? `; ${stepText(costs.fullStep)}, ${costs.fullPerChild.toFixed(3)} s per child in the full space` : '');
  const estimated = estimateSeconds(WEIGHT_SHARING_DEFAULTS, defaultCosts);
  const estimateText = !sameNet
    ? `not estimated (this run's supernet C=${o.C}, N=${o.N}, batch ${o.batchSize} differs from the default's)`
    : !Number.isFinite(estimated.subspace + estimated.partial)
      ? `not estimated (this run trained modes ${o.modes.join(', ')}, the default ${WEIGHT_SHARING_DEFAULTS.modes.join(', ')}; ${measured})`
      : Number.isFinite(estimated.fullSpace)
      ? `${(estimated.total / 60).toFixed(0)} min for the default settings at this run's measured costs (${measured}): subspace ${(estimated.subspace / 60).toFixed(0)} min, partial sharing ${(estimated.partial / 60).toFixed(0)} min, full space ${(estimated.fullSpace / 60).toFixed(0)} min`
      : `${((estimated.subspace + estimated.partial) / 60).toFixed(0)} min for the default's subspace and partial-sharing parts at this run's measured costs (${measured}); its full-space part not estimated (not run here)`;

  const files: string[] = [];
  const write = (name: string, rows: string[][]) => {
    writeFileAtomic(path.join(outDir, name), stringify(rows));
    files.push(`${dir}/${name}`);
  };
  write('summary.csv', [summaryHeader, ...summaryRows]);
  const partialHeader = ['grouping', 'm', 'steps_per_group', 'gt_tau_mean', 'gt_tau_std', 'seeds', 's_tau_mean', 's_tau_std', 'mean_within_group_distance', 'notes'];
  write('gt-tau-vs-m.csv', [partialHeader, ...partialRows]);
  write('ranking-curve.csv', [['mode', 'seed', 'step', 'gt_tau_accuracy', 'tau_vs_previous_point', 'gt_tau_bn_nas', 'eval_seconds'], ...curveRows]);
  write('last-points.csv', [['mode', 'seed', 'steps', 'gt_tau_min', 'gt_tau_max'], ...lastRows]);
  const scoreRows: string[][] = [];
  for (const [mode, list] of runs) for (const [seed, r] of list.entries()) for (const c of children) {
    scoreRows.push([mode, String(seed), String(c), String(childIndex(c)), childCell(c).slice(3).join('|'), csvNumber(finalOf(r).accuracy[c]!, 6), csvNumber(finalOf(r).bnNas[c]!, 6), csvNumber(truth[c]!, 4)]);
  }
  write('scores.csv', [['mode', 'seed', 'child', 'nb201_index', 'free_ops', 'supernet_accuracy', 'bn_nas', truthCol.label], ...scoreRows]);
  if (full) {
    const fullScoreRows: string[][] = [];
    for (const [mode, list] of fullRuns) for (const [seed, r] of list.entries()) full.indices.forEach((index, c) => {
      fullScoreRows.push([mode, String(seed), String(c), String(index), archStringFromIndex(index), csvNumber(finalOf(r).accuracy[c]!, 6), csvNumber(finalOf(r).bnNas[c]!, 6), csvNumber(fullTruth[c]!, 4)]);
    });
    write('full-space-scores.csv', [['mode', 'seed', 'child', 'nb201_index', 'arch', 'supernet_accuracy', 'bn_nas', truthCol.label], ...fullScoreRows]);
  }

  const wall = (performance.now() - started) / 1000;
  const pubRows = ctx.published.rows.filter((r) => r.paper === PAPER);
  const summaryTable = (space: string) => markdownTable(['metric', 'mode', 'ranking', 'ours (mean ± std)', 'published'], summaryRows.filter((r) => r[0] === space).map((r) => [r[1]!, r[2]!, r[3]!, r[1] === 'gt_tau_last_points_range' ? `${r[4]} to ${r[5]} (n=${r[6]})` : `${r[4]} ± ${r[5]} (n=${r[6]})`, r[8] ? `${r[7]} ± ${r[8]}` : r[7]!]));
  const markdown = [
    title,
    '',
    `- **${SPACE_NOTE}.** Ground truth: ${truthCol.label} of the 64 children. Backend ${backend}. ${wall.toFixed(0)} s in all.`,
    `- Settings: ${o.seeds} seeds x modes ${o.modes.join(', ')}; ${scale}; evaluations at steps ${points.join(', ')}. Partial sharing: ${partialMode} mode, ${partialSeeds} seed(s), steps/m steps per group.`,
    full
      ? `- Full space (rows \`${full.space}\`): ${o.fullSpaceSeeds} seeds x modes ${o.modes.join(', ')}, the same supernet, steps and evaluation, paths uniform over all ${NB201_NUM_CELLS.toLocaleString('en-US')} cells; ranked on ${full.cells.length} cells sampled uniformly (seed ${o.fullSpaceSampleSeed}), evaluated at step ${o.steps} only; no partial sharing (it needs a split of the trained space).`
      : '- Full space: not run (0 seeds or 0 cells).',
    `- Default-size estimate: ${estimateText}.`,
    '',
    '### Summary (ours beside the paper\'s, which is from its own space)',
    '',
    `Subspace (rows \`${SUBSPACE_ROWS}\`):`,
    '',
    summaryTable(SUBSPACE_ROWS),
    '',
    ...(full ? [`Full space (rows \`${full.space}\`; ${fullNote}):`, '', summaryTable(full.space), ''] : []),
    `Published (${PAPER}, its own space): ${pubRows.map((r) => `${r.method} ${r.metric} ${r.value}${r.std !== null ? ` ± ${r.std}` : ''}`).join('; ')}. The paper also reports GT-Tau between 0.1 and 0.7 over the last 10 epochs and about 0.7 with similarity grouping for m >= 4.`,
    '',
    '### Partial sharing: GT-Tau against m (figure data: gt-tau-vs-m.csv)',
    '',
    markdownTable(partialHeader.slice(0, -1), partialRows.map((r) => r.slice(0, -1))),
    '',
    `Every row: ${SPACE_NOTE}.`,
    '',
    '### Files',
    '',
    `- summary.csv (one row per space, metric, mode and ranking), gt-tau-vs-m.csv, ranking-curve.csv (GT-Tau and τ to the previous point along training), last-points.csv, scores.csv (the subspace's children)${full ? ', full-space-scores.csv (the full-space sample)' : ''}`,
    '',
  ].join('\n');
  writeFileAtomic(path.join(outDir, 'README.md'), markdown);
  files.push(`${dir}/README.md`);
  return { name: 'nb201-weight-sharing', markdown, files };
}

/** Measured unit costs of the study (seconds): per training step by mode and per child evaluation, in each space. */
export interface StudyCosts {
  step: Partial<Record<TrainMode, number>>;
  perChild: number;
  fullStep: Partial<Record<TrainMode, number>>;
  fullPerChild: number;
}

/** The file comment's cost model: seconds of each part of a run with settings `w` at unit costs `c` (NaN where a cost is unknown). */
export function estimateSeconds(w: WeightSharingOptions, c: StudyCosts): { subspace: number; partial: number; fullSpace: number; total: number } {
  const stepCost = (byMode: Partial<Record<TrainMode, number>>, mode: TrainMode) => byMode[mode] ?? NaN;
  const pts = evalSteps(w.steps, w.curvePoints, w.lastPoints, w.lastStride).length;
  const subspace = w.seeds * w.modes.reduce((t, mode) => t + w.steps * stepCost(c.step, mode) + pts * SUBSPACE_SIZE * c.perChild, 0);
  // each m > 1 trains m groups of steps/m steps (the full run's steps in all) and evaluates every child once
  const partialMode: TrainMode = w.modes.includes('standard') ? 'standard' : w.modes[0]!;
  const partial = w.partialSeeds * w.groupings.length * w.partialM.filter((m) => m > 1).length * (w.steps * stepCost(c.step, partialMode) + SUBSPACE_SIZE * c.perChild);
  const cells = Math.min(w.fullSpaceCells, NB201_NUM_CELLS);
  const fullSpace = w.fullSpaceSeeds > 0 && cells > 0 ? w.fullSpaceSeeds * w.modes.reduce((t, mode) => t + w.steps * stepCost(c.fullStep, mode) + cells * c.fullPerChild, 0) : 0;
  return { subspace, partial, fullSpace, total: subspace + partial + fullSpace };
}

/** Every full-space row's note: how its space differs from the paper's, and what it leaves out. */
export function fullSpaceNote(cells: number, seed: number): string {
  return `space differs: the whole NB201 space (supernet paths uniform over all ${NB201_NUM_CELLS.toLocaleString('en-US')} cells, 'none' included), ranked on ${cells} cells sampled uniformly (seed ${seed}), not the paper's DARTS-like 64-child space; end-of-training evaluation only, no partial sharing`;
}

/** A count option where 0 is allowed (it turns a part of the study off). */
export function countOption(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new DataError(`${flag} must be a non-negative integer, got '${v}'`);
  return n;
}

function minMax(v: number[]): [string, string] {
  const f = v.filter(Number.isFinite);
  return f.length === 0 ? ['', ''] : [csvNumber(Math.min(...f), 4), csvNumber(Math.max(...f), 4)];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const program = reproduceCommand('nb201', 'weight-sharing variance study on a 64-child NB201 subspace and the full space: S-Tau, GT-Tau, partial sharing')
    .option('--seeds <n>', `supernet seeds per mode (default ${WEIGHT_SHARING_DEFAULTS.seeds})`)
    .option('--steps <n>', `training steps per supernet (default ${WEIGHT_SHARING_DEFAULTS.steps}; --full ${WEIGHT_SHARING_FULL.steps})`)
    .option('--eval-images <n>', `held-out images per child evaluation (default ${WEIGHT_SHARING_DEFAULTS.evalImages})`)
    .option('--partial-seeds <n>', `seeds of the partial-sharing runs (default ${WEIGHT_SHARING_DEFAULTS.partialSeeds})`)
    .option('--partial-m <list>', `group counts m (default ${WEIGHT_SHARING_DEFAULTS.partialM.join(',')}; --full ${WEIGHT_SHARING_FULL.partialM.join(',')})`)
    .option('--last-points <n>', 'evaluation points at the end of each run')
    .option('--curve-points <n>', 'evenly spaced evaluation points along each run')
    .option('--modes <list>', 'training modes (default standard,bn-only)')
    .option('--groupings <list>', `partial-sharing groupings (default ${WEIGHT_SHARING_DEFAULTS.groupings.join(',')}; --full ${WEIGHT_SHARING_FULL.groupings.join(',')})`)
    .option('--full-space-seeds <n>', `full-space supernets per mode, 0 to skip the full space (default ${WEIGHT_SHARING_DEFAULTS.fullSpaceSeeds}; --full ${WEIGHT_SHARING_FULL.fullSpaceSeeds})`)
    .option('--full-space-cells <n>', `full-space cells ranked, a uniform sample (seed ${WEIGHT_SHARING_DEFAULTS.fullSpaceSampleSeed}), 0 to skip (default ${WEIGHT_SHARING_DEFAULTS.fullSpaceCells}; --full ${WEIGHT_SHARING_FULL.fullSpaceCells})`)
    .option('--full', 'C=16 N=5, 625 steps, 512 evaluation images, partial sharing on 10 seeds, the full space on 1,000 cells (days on a CPU)');
  type O = StandaloneOptions & { seeds?: string; evalImages?: string; partialSeeds?: string; partialM?: string; lastPoints?: string; curvePoints?: string; modes?: string; groupings?: string; fullSpaceSeeds?: string; fullSpaceCells?: string };
  await runReproduction<O>(program, async (opt) => {
    const { ctx } = await standaloneContext({ ...opt, full: false }, 1);
    try {
      const base = opt.full ? WEIGHT_SHARING_FULL : WEIGHT_SHARING_DEFAULTS;
      const partialM = opt.partialM?.split(',').map(Number);
      const out = await runWeightSharingExperiment(ctx, {
        ...base,
        seeds: positive(opt.seeds, '--seeds') ?? base.seeds,
        steps: positive(opt.steps, '--steps') ?? base.steps,
        evalImages: positive(opt.evalImages, '--eval-images') ?? base.evalImages,
        partialSeeds: positive(opt.partialSeeds, '--partial-seeds') ?? base.partialSeeds,
        lastPoints: positive(opt.lastPoints, '--last-points') ?? base.lastPoints,
        curvePoints: positive(opt.curvePoints, '--curve-points') ?? base.curvePoints,
        fullSpaceSeeds: countOption(opt.fullSpaceSeeds, '--full-space-seeds') ?? base.fullSpaceSeeds,
        fullSpaceCells: countOption(opt.fullSpaceCells, '--full-space-cells') ?? base.fullSpaceCells,
        ...(partialM ? { partialM } : {}),
        ...(opt.modes ? { modes: opt.modes.split(',') as TrainMode[] } : {}),
        ...(opt.groupings ? { groupings: opt.groupings.split(',') as Grouping[] } : {}),
      });
      return out.markdown;
    } finally {
      ctx.store.close();
    }
  });
}
