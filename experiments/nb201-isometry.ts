/**
 * "Dynamical Isometry based Rigorous Fair NAS" (Luo et al. 2023) on NAS-Bench-201 — A
 * RECONSTRUCTION, labelled as one in every row: the paper's tables could not be read, so this is
 * built from its abstract (weights initialised to be dynamically isometric and kept frozen; under
 * that condition the BN parameters are a fair indicator of each module).
 *
 * What is run (every number from this run):
 * 1. The NB201 supernet (original space) initialised 'orthogonal-critical' (src/models/init.ts:
 *    orthogonal conv weights with the ReLU critical gain √2; rule and sources there), trained
 *    BN-only (convolutions frozen at that initialisation, the cell ops' BN γ/β trained: the
 *    "weights kept frozen" of the abstract), the same scaled schedule as the BN-NAS experiment.
 *    Indicator: BN-NAS's BN-γ indicator on it (src/proxies/bn-nas.ts).
 * 2. A training-free Jacobian-conditioning proxy at that initialisation
 *    (src/proxies/jacobian-isometry.ts): -std(ln σ) of the input-output Jacobian's singular values,
 *    estimated with `probes` random orthonormal probes (vector-Jacobian products), on each cell's
 *    path of the untrained orthogonal supernet (= the stand-alone network at init), train-mode BN
 *    over `jacobianBatch` images.
 * 3. On the same cells: BN-NAS (the torch-default BN-only supernet, the BN-NAS experiment's run
 *    and checkpoint when the settings agree) and the fair-BN composite (the fair supernet and
 *    parts of experiments/nb201-fair-bn.ts, also a reconstruction).
 * 4. Kendall τ / Spearman against cifar10-valid x-valid 200ep, and the share of convolutions in
 *    each indicator's top-k cells vs the true top-k (the BN papers' fairness question).
 * Sizes: the BN-NAS experiment's supernet defaults (C=8, N=1, 300 steps at batch 64) and 100 cells
 * (fair-BN's parts cost ~1 s per cell); --full: C=16, N=5, 625 steps, 1,000 cells.
 * The BN-NAS and fair-BN supernets are declared as those experiments declare them (same labels and
 * settings), so src/pipeline/supernet-runner.ts reuses their checkpoints; only the isometric one is
 * new. The spec below declares it all; the runner trains, scores, correlates and writes.
 *
 * Runnable alone:
 *   node --import tsx experiments/nb201-isometry.ts --data ../shared/data --store-dir data [--steps N] [--cells N]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { selectIndices } from '../src/datasets/batch.ts';
import { normalizeBatch } from '../src/datasets/normalize.ts';
import type { NB201Op } from '../src/models/nb201-cell.ts';
import { positive, type ExperimentContext, type ExperimentOutput } from '../src/pipeline/context.ts';
import { reproduceCommand, runReproduction } from '../src/pipeline/reproduce-cli.ts';
import {
  CIFAR10_CLASSES,
  NB201_SUPERNET_FULL_SCALE,
  NB201_SUPERNET_SCALE,
  nb201SupernetCells,
  sampledCells,
  standaloneContext,
  type StandaloneOptions,
  supernetCheckpointDir,
} from '../src/pipeline/supernet-inputs.ts';
import { runSupernetSpec, type SnapshotIndicator, type SupernetSpec, type TrainingPlan } from '../src/pipeline/supernet-runner.ts';
import { bnNasScore, bnNasScoresAt, liveGammas, opGammaScores } from '../src/proxies/bn-nas.ts';
import { FAIR_BN_DEFAULTS, fairBnScores, type FairBnSettings } from '../src/proxies/fair-bn.ts';
import { pathBnParams } from '../src/proxies/fair-bn-trainability.ts';
import { jacobianSpectrumTfjs } from '../src/proxies/jacobian-isometry.ts';
import { buildNB201Supernet, NB201_SUPERNET, type NB201Supernet, type SupernetOptions } from '../src/supernet/nb201-supernet.ts';
import { PAPER_OPTIMISER } from '../src/supernet/train-config.ts';

const RECON = 'reconstruction of Luo et al. 2023 from its abstract (tables unreadable): orthogonal init, gain √2 (src/models/init.ts)';

export interface IsometryOptions {
  steps: number;
  cells: number;
  C: number;
  N: number;
  batchSize: number;
  snapshots: number;
  trainSeed: number;
  /** Images of the Jacobian probe batch. */
  jacobianBatch: number;
  /** Random probes per cell. */
  probes: number;
  fairSettings: FairBnSettings;
  checkpointDir?: string;
}

export const ISOMETRY_DEFAULTS: Readonly<IsometryOptions> = Object.freeze({ ...NB201_SUPERNET_SCALE, cells: 100, jacobianBatch: 8, probes: 16, fairSettings: FAIR_BN_DEFAULTS });
export const ISOMETRY_FULL: Readonly<IsometryOptions> = Object.freeze({ ...ISOMETRY_DEFAULTS, ...NB201_SUPERNET_FULL_SCALE, cells: 1000, probes: 32 });

export function isometrySpec(ctx: ExperimentContext, opts: Partial<IsometryOptions> = {}): SupernetSpec<readonly NB201Op[], NB201Supernet, SupernetOptions> {
  const o: IsometryOptions = { ...ISOMETRY_DEFAULTS, ...opts };
  const indices = sampledCells(ctx, o.cells);
  const cells = nb201SupernetCells(ctx, indices);
  const base: SupernetOptions = { C: o.C, N: o.N, numClasses: CIFAR10_CLASSES, bn: 'standard', fair: false, seed: ctx.initSeed };
  const isometric: SupernetOptions = { ...base, init: 'orthogonal-critical' };
  const bnOnly = (label: string, supernet: SupernetOptions): TrainingPlan<SupernetOptions> => ({ label, mode: 'bn-only', supernet, steps: o.steps, batchSize: o.batchSize, seed: o.trainSeed, snapshots: o.snapshots });
  const bnNas = (training: string, row: SnapshotIndicator<readonly NB201Op[], NB201Supernet>['row'], snapshot: 'final' | 'initial' = 'final'): SnapshotIndicator<readonly NB201Op[], NB201Supernet> => ({
    training,
    snapshot,
    row,
    scoreAt: (s, run, paths) => bnNasScoresAt(run.supernet.params, s, paths),
  });
  const scale = `supernet C=${o.C}, N=${o.N} (NB201: C=16, N=5); ${o.steps} BN-only steps at batch ${o.batchSize} on the CIFAR-10 training images; lr ${PAPER_OPTIMISER.lr} linear decay`;
  return {
    experiment: 'isometry',
    name: 'nb201-isometry',
    title: 'Dynamical-isometry fair NAS (Luo et al. 2023) on NB201 — reconstruction',
    paper: 'dynamical-isometry-2023',
    benchmark: 'nb201',
    kind: NB201_SUPERNET,
    images: 'cifar10',
    cells,
    trainings: [
      bnOnly('iso-bn-only', isometric),
      // BN-NAS's and fair-BN's trainings, declared as they declare them: their checkpoints
      bnOnly('bn-only', base),
      bnOnly('fair-bn-only', { ...base, fair: true }),
    ],
    indicators: [
      bnNas('iso-bn-only', { method: 'isometry bn-gamma (reconstruction)', column: 'isometry_bn_gamma', notes: [RECON, 'BN-only supernet from the orthogonal-critical init, BN-NAS\'s mean |γ| indicator'] }),
      {
        // training-free: the untrained orthogonal supernet's path is the stand-alone network at init
        rows: [
          { method: 'jacobian isometry at init (reconstruction)', column: 'jacobian_isometry', notes: [RECON, `-std(ln σ) of the input-output Jacobian, ${o.probes} random probes, batch ${o.jacobianBatch}, train-mode BN`] },
          { method: 'mean squared singular value of the Jacobian at init', column: 'jacobian_mean_sq_singular', columnOnly: true },
        ],
        score: (_run, paths, images) => {
          const fresh = buildNB201Supernet(isometric);
          const batch = normalizeBatch(images, selectIndices(images.size, o.jacobianBatch, ctx.batchSeed));
          const x = tf.tensor4d(batch.x, [batch.n, batch.height, batch.width, batch.channels]);
          const score = new Float64Array(paths.length);
          const meanSq = new Float64Array(paths.length);
          try {
            paths.forEach((cell, i) => {
              // the probes' seed is the cell's NB201 index
              const s = jacobianSpectrumTfjs((v) => fresh.apply(v, { path: cell, training: true, updateRunningStats: false }), x, o.probes, indices[i]!);
              score[i] = s.score;
              meanSq[i] = s.meanSquared;
            });
          } finally {
            x.dispose();
            fresh.dispose();
          }
          return { jacobian_isometry: score, jacobian_mean_sq_singular: meanSq };
        },
      },
      bnNas('bn-only', { method: 'bn-nas (bn-only supernet)', column: 'bn_nas', notes: ['torch-default init, the BN-NAS experiment\'s supernet'] }),
      {
        training: 'fair-bn-only',
        rows: [
          { method: 'fair-bn composite (reconstruction)', column: 'fair_bn_composite', notes: ['Zhu et al. reconstruction (src/proxies/fair-bn.ts), the fair-BN experiment\'s supernet'] },
          { method: 'bn-nas on the fair supernet', column: 'bn_nas_fair' },
        ],
        score: (run, paths, images) => {
          const table = opGammaScores(liveGammas(run!.supernet.params));
          return {
            fair_bn_composite: fairBnScores<readonly NB201Op[]>(run!.supernet, paths, images, o.fairSettings, ctx.batchSeed, (cell) => pathBnParams(run!.supernet, cell), 'fair-bn parts').composite,
            bn_nas_fair: Float64Array.from(paths, (c) => bnNasScore(table, c)),
          };
        },
      },
      bnNas('bn-only', { method: 'conv count (bn-nas at initialisation)', column: 'conv_count', notes: ['every gamma 1: 3N x the number of conv edges'] }, 'initial'),
    ],
    metrics: ['kendall_tau', 'spearman'],
    rowNotes: [scale, ...(cells.cells.length >= 15625 ? [] : [`sample of ${cells.cells.length} cells, not all 15,625`])],
    description: [
      'The NB201 supernet (original space) initialised \'orthogonal-critical\' (orthogonal conv weights with the ReLU critical gain √2, src/models/init.ts) and trained BN-only (convolutions frozen at that initialisation: the abstract\'s "weights kept frozen"), on the BN-NAS experiment\'s schedule; indicator: BN-NAS\'s BN-γ indicator on it.',
      `A training-free Jacobian-conditioning proxy at that initialisation (src/proxies/jacobian-isometry.ts): -std(ln σ) of the input-output Jacobian's singular values, estimated with ${o.probes} random orthonormal probes on each cell's path of the untrained orthogonal supernet, train-mode BN over ${o.jacobianBatch} images.`,
      'On the same cells: BN-NAS (the torch-default BN-only supernet) and the fair-BN composite (the fair supernet and parts of experiments/nb201-fair-bn.ts, also a reconstruction); Kendall τ / Spearman ρ against CIFAR-10 accuracy, and the share of convolutions in each indicator\'s top-k cells vs the true top-k.',
    ],
    differences: [
      'a reconstruction from the abstract: the paper\'s tables could not be read, so there is nothing to set beside ours',
      `scale (our choice): ${scale}`,
    ],
    convShare: [0.1, 0.05],
    checkpointDir: o.checkpointDir ?? supernetCheckpointDir(ctx.cacheDir, 'nb201'),
  };
}

export async function runIsometryExperiment(ctx: ExperimentContext, opts: Partial<IsometryOptions> = {}): Promise<ExperimentOutput> {
  const { name, markdown, files } = await runSupernetSpec(isometrySpec(ctx, opts), ctx);
  return { name, markdown, files };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const program = reproduceCommand('nb201', 'Dynamical-isometry fair NAS on NB201 (reconstruction): isometric BN-only supernet, Jacobian proxy, vs BN-NAS and fair-BN')
    .option('--steps <n>', `BN-only training steps (default ${ISOMETRY_DEFAULTS.steps})`)
    .option('--cells <n>', `cells scored (default ${ISOMETRY_DEFAULTS.cells})`)
    .option('--probes <n>', `Jacobian probes per cell (default ${ISOMETRY_DEFAULTS.probes})`)
    .option('--full', 'C=16 N=5, 625 steps, 1,000 cells (hours on a CPU)');
  await runReproduction<StandaloneOptions & { probes?: string }>(program, async (opt) => {
    const base = opt.full ? ISOMETRY_FULL : ISOMETRY_DEFAULTS;
    const cells = positive(opt.cells, '--cells') ?? base.cells;
    const { ctx } = await standaloneContext({ ...opt, full: false }, cells);
    try {
      const out = await runIsometryExperiment(ctx, { ...base, cells, steps: positive(opt.steps, '--steps') ?? base.steps, probes: positive(opt.probes, '--probes') ?? base.probes });
      return out.markdown;
    } finally {
      ctx.store.close();
    }
  });
}
