/**
 * BN-NAS on NAS-Bench-201 (Chen et al., "BN-NAS: Neural Architecture Search with Batch
 * Normalization", ICCV 2021; reference bychen515/BNNAS).
 *
 * What is run (every number comes from this run; nothing is hard-coded):
 * 1. A BN-only supernet training (src/supernet/train.ts 'bn-only': convolutions frozen at
 *    initialisation, only the cell ops' BN gamma/beta trained, single-path uniform sampling), and
 *    the BN-NAS indicator (src/proxies/bn-nas.ts: sum over edges and cells of the op's mean
 *    |gamma|) of a sample of cells, correlated (Kendall tau-b, Spearman) with CIFAR-10 accuracy:
 *    cifar10-valid x-valid after 200 epochs (NB201 v1.0), the ground truth the NASWOT experiment
 *    uses.
 * 2. The same indicator after STANDARD training (every parameter) of the same wall time, and of
 *    `ladder` multiples of it (default 1x and 2x).
 * 3. The training-time ratio BN-only vs standard for equal indicator quality (the paper claims
 *    >10x). Definition: τ* = Kendall τ of the indicator after the BN-only run (training time T_bn,
 *    the sum of its step times). Standard runs are complete runs (own linear-decay schedule) of
 *    m · T_bn for m in `ladder`, their step counts fixed beforehand from the measured per-step
 *    cost of each mode (src/supernet/train-timing.ts). The ratio is the smallest m whose τ reaches
 *    τ*; with the ladder's grid that is a bracket (m_prev, m], "> max(ladder)" if no run reaches
 *    it, and "<= 1" if standard training of equal time is already as good. Why complete runs and
 *    not mid-run snapshots: the paper compares complete trainings of different lengths, and a
 *    snapshot of a longer run has a not-yet-decayed learning rate. The snapshots are reported
 *    too (curve.csv), as the indicator's τ along each run.
 * 4. Unfairness (Zhu et al.'s Finding 1): the share of convolution ops in the indicator's top-k
 *    cells vs in the truly best k (src/proxies/fair-bn-unfairness.ts).
 * Baseline row: the indicator at initialisation (every gamma = 1), which is exactly 3N times the
 * number of convolution edges ("conv count"): training must beat it to carry information.
 *
 * Scaled down for a 2-core CPU (every report row says so; src/pipeline/supernet-inputs.ts): a
 * supernet of C=8, N=1 (NB201 uses C=16, N=5) and `steps` = 300 BN-only steps at batch 64 on the
 * 4,000 CIFAR-10 training images in the shared data (~5 epochs), against the paper's 10 epochs of
 * ImageNet at batch 512 (~24,000 steps). The optimiser settings are the paper's
 * (src/supernet/train-config.ts). `--full` trains NB201's own macro-structure (C=16, N=5) for 625
 * steps (10 epochs of the 4,000 images, the paper's epoch count), with a 1x/2x/4x standard ladder,
 * on all 15,625 cells: hours on a CPU. Supernet checkpoints live in <cache>/supernets/ and make
 * every run resumable (and a rerun with the same settings retrains nothing).
 *
 * The spec below declares the trainings and indicators; src/pipeline/supernet-runner.ts trains,
 * scores, correlates and writes correlation.{csv,md}, scores-cifar10.csv, timing.csv, curve.csv,
 * time-ratio.csv, conv-share.csv and README.md.
 *
 * Runnable alone:
 *   node --import tsx experiments/nb201-bn-nas.ts --data ../shared/data --store-dir data [--steps N] [--cells N] [--full]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NB201Op } from '../src/models/nb201-cell.ts';
import { positive, type ExperimentContext, type ExperimentOutput } from '../src/pipeline/context.ts';
import { reproduceCommand, runReproduction } from '../src/pipeline/reproduce-cli.ts';
import {
  CIFAR10_CLASSES,
  NB201_SUPERNET_FULL_SCALE,
  NB201_SUPERNET_SCALE,
  nb201SupernetCells,
  positiveList,
  selectionPrefix,
  standaloneContext,
  type StandaloneOptions,
  supernetCheckpointDir,
} from '../src/pipeline/supernet-inputs.ts';
import { runSupernetSpec, type SnapshotIndicator, type SupernetSpec, type TrainingPlan } from '../src/pipeline/supernet-runner.ts';
import { bnNasScoresAt } from '../src/proxies/bn-nas.ts';
import { PAPER_OPTIMISER } from '../src/supernet/train-config.ts';
import { NB201_SUPERNET, type NB201Supernet, type SupernetOptions } from '../src/supernet/nb201-supernet.ts';

export { timeRatio } from '../src/pipeline/supernet-runner.ts';

export interface BnNasOptions {
  /** BN-only training steps (the standard runs' steps follow from the ladder). */
  steps?: number;
  /** Cells correlated: the first n of the run's selection (all of it when absent). */
  cells?: number;
  C?: number;
  N?: number;
  batchSize?: number;
  /** Standard-training budgets as multiples of the BN-only training time. */
  ladder?: number[];
  /** Gamma snapshots per run (for the tau-along-training curve). */
  snapshots?: number;
  /** Seed of path sampling and batch order (the weights use ctx.initSeed). */
  trainSeed?: number;
  /** Where checkpoints and the step-time calibration are kept (default <cacheDir>/supernets). */
  checkpointDir?: string;
}

export const BN_NAS_DEFAULTS = Object.freeze({ ...NB201_SUPERNET_SCALE, ladder: [1, 2] });
/** `--full`: NB201's macro-structure, the paper's 10 epochs (of our 4,000 images), all cells. */
export const BN_NAS_FULL = Object.freeze({ ...NB201_SUPERNET_FULL_SCALE, ladder: [1, 2, 4] });

const ladderMethod = (m: number) => `bn-nas (standard supernet, ${m === 1 ? 'equal time' : `${m}x time`})`;

export function bnNasSpec(ctx: ExperimentContext, opts: BnNasOptions = {}): SupernetSpec<readonly NB201Op[], NB201Supernet, SupernetOptions> {
  const o = { ...BN_NAS_DEFAULTS, ...opts };
  const cells = nb201SupernetCells(ctx, selectionPrefix(ctx, o.cells));
  const supernet: SupernetOptions = { C: o.C, N: o.N, numClasses: CIFAR10_CLASSES, bn: 'standard', fair: false, seed: ctx.initSeed };
  const training = (label: string, mode: TrainingPlan<SupernetOptions>['mode'], steps: TrainingPlan<SupernetOptions>['steps']): TrainingPlan<SupernetOptions> => ({ label, mode, supernet, steps, batchSize: o.batchSize, seed: o.trainSeed, snapshots: o.snapshots });
  const bnNas = (run: string, row: SnapshotIndicator<readonly NB201Op[], NB201Supernet>['row'], snapshot: 'final' | 'initial' = 'final'): SnapshotIndicator<readonly NB201Op[], NB201Supernet> => ({
    training: run,
    snapshot,
    row,
    curve: snapshot === 'final',
    scoreAt: (s, trained, c) => bnNasScoresAt(trained.supernet.params, s, c),
  });
  const scale = `supernet C=${o.C}, N=${o.N} (NB201: C=16, N=5); batch ${o.batchSize} on the CIFAR-10 training images; lr ${PAPER_OPTIMISER.lr} linear decay, momentum 0.9, label smoothing 0.1`;
  return {
    experiment: 'bn-nas',
    name: 'nb201-bn-nas',
    title: 'BN-NAS (Chen et al., ICCV 2021) on NB201, scaled down',
    paper: 'bn-nas-iccv2021',
    benchmark: 'nb201',
    kind: NB201_SUPERNET,
    images: 'cifar10',
    cells,
    trainings: [
      training('bn-only', 'bn-only', o.steps),
      ...o.ladder.map((m) => training(`standard-x${m}`, 'standard', { timeOf: 'bn-only', multiple: m })),
    ],
    indicators: [
      bnNas('bn-only', {
        method: 'bn-nas (bn-only supernet)',
        column: 'bn-only',
        notes: [`${o.steps} BN-only steps`, 'the paper reports no NB201 correlation (reference/published.csv has none)'],
        published: { method: 'bn-nas', groundTruth: 'cifar10-valid x-valid 200ep' },
      }),
      ...o.ladder.map((m) => bnNas(`standard-x${m}`, { method: ladderMethod(m), column: `standard-x${m}`, notes: [`standard training of ${m}x the BN-only training time, its steps from the measured step costs (timing.csv)`] })),
      bnNas('bn-only', { method: 'conv count (bn-nas at initialisation)', column: 'conv_count', notes: ['every gamma is 1 before training, so the indicator is 3N x the number of conv edges: the baseline training must beat'] }, 'initial'),
    ],
    metrics: ['kendall_tau', 'spearman'],
    rowNotes: [scale, ...(ctx.selection.kind === 'all' ? [] : [`sample of ${cells.cells.length} cells, not all 15,625`])],
    description: [
      'A BN-only supernet training (convolutions frozen at initialisation, only the cell ops\' BN γ/β trained, single-path uniform sampling) and the BN-NAS indicator (sum over edges and cells of the op\'s mean |γ|, src/proxies/bn-nas.ts) of the cells, against CIFAR-10 accuracy: Kendall τ-b and Spearman ρ.',
      `The same indicator after standard training (every parameter) of ${o.ladder.join('x, ')}x the BN-only wall time: complete runs with their own schedules, their steps fixed beforehand from the measured per-step cost of each mode; and its τ along each run (curve.csv).`,
      'The training-time ratio for equal indicator quality: the smallest ladder multiple whose τ reaches the BN-only run\'s (a bracket on the ladder\'s grid).',
      'Baseline: the indicator at initialisation (every γ = 1), 3N x the number of conv edges. Zhu et al.\'s Finding 1: the share of convolutions in each indicator\'s top-k cells vs the truly best k.',
    ],
    differences: [
      `scale (our choice; the paper trains 10 ImageNet epochs at batch 512): ${scale}; ${o.steps} BN-only steps; weights seed ${ctx.initSeed}, sampling seed ${o.trainSeed}`,
      'the paper reports no NB201 correlation: nothing to set beside ours',
    ],
    convShare: [0.05, 0.01],
    timeRatio: { claim: 'paper: >10x', reference: 'bn-only', ladder: o.ladder.map((m) => `standard-x${m}`) },
    checkpointDir: o.checkpointDir ?? supernetCheckpointDir(ctx.cacheDir, 'nb201'),
  };
}

export async function runBnNasExperiment(ctx: ExperimentContext, opts: BnNasOptions = {}): Promise<ExperimentOutput> {
  const { name, markdown, files } = await runSupernetSpec(bnNasSpec(ctx, opts), ctx);
  return { name, markdown, files };
}


if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const program = reproduceCommand('nb201', 'BN-NAS on NB201: BN-only vs standard supernet training, indicator correlation, time ratio, conv share')
    .option('--steps <n>', `BN-only training steps (default ${BN_NAS_DEFAULTS.steps}; --full: ${BN_NAS_FULL.steps})`)
    .option('--cells <n>', 'cells sampled for the correlations (default 1000)')
    .option('--ladder <list>', 'standard-training budgets, multiples of the BN-only time (default 1,2; --full: 1,2,4)')
    .option('--full', 'NB201 macro-structure C=16 N=5, 625 steps, all 15,625 cells (hours on a CPU)');
  await runReproduction<StandaloneOptions & { ladder?: string }>(program, async (o) => {
    const { ctx, cells } = await standaloneContext(o, 1000);
    try {
      const base = o.full ? BN_NAS_FULL : BN_NAS_DEFAULTS;
      const out = await runBnNasExperiment(ctx, { ...base, cells, steps: positive(o.steps, '--steps') ?? base.steps, ladder: positiveList(o.ladder, '--ladder') ?? [...base.ladder] });
      return out.markdown;
    } finally {
      ctx.store.close();
    }
  });
}
