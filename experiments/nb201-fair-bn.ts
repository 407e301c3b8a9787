/**
 * The "fair BN" indicator on NAS-Bench-201 (Zhu et al., "Training BatchNorm Only in Neural
 * Architecture Search and Beyond", arXiv 2112.00265) — A RECONSTRUCTION: the paper's composite
 * indicator is described but its formulas are not public; src/proxies/fair-bn.ts defines each
 * part from BatchNorm theory and the combination rule, and every row here says "reconstruction".
 *
 * What is run:
 * 1. The fair supernet (a BN after every op but `none`) trained BN-only, the same scaled schedule
 *    as the BN-NAS experiment (experiments/nb201-bn-nas.ts; C=8, N=1, 300 steps at batch 64 by
 *    default).
 * 2. For each of a sample of cells (default 100: the parts cost ~1 + 8 + 4 forward passes per
 *    cell), its three parts (expressivity, trainability, uncertainty) on its path, and the
 *    composite (mean of the parts' ranks over the sample).
 * 3. Kendall τ / Spearman ρ against CIFAR-10 accuracy (cifar10-valid x-valid 200ep, as the BN-NAS
 *    experiment) of each part alone, the composite, BN-NAS's indicator on the fair supernet
 *    (mean |γ| now defined for skip and pool too), BN-NAS's indicator in the original space (the
 *    BN-only supernet of the BN-NAS experiment, reused from its checkpoint when that experiment
 *    ran with the same settings, else trained here) and the conv-count baseline.
 * 4. Zhu et al.'s Finding 1 for every indicator: the share of convolutions in its top-k cells vs
 *    the true top-k (src/proxies/fair-bn-unfairness.ts).
 * The paper evaluates on NB101 too: experiments/nb101-fair-bn.ts (`make reproduce-nb101`).
 *
 * The original-space supernet is the BN-NAS experiment's training (same label, same settings:
 * src/pipeline/supernet-inputs.ts's scale), so src/pipeline/supernet-runner.ts finds its
 * checkpoint and trains nothing when BN-NAS ran first (`make reproduce-nb201` orders them so).
 * Cells: src/pipeline/supernet-inputs.ts `sampledCells` (a prefix of the run's sample, a seeded
 * sample under FULL: the parts cost about a second per cell).
 *
 * Runnable alone:
 *   node --import tsx experiments/nb201-fair-bn.ts --data ../shared/data --store-dir data [--steps N] [--cells N] [--full]
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
  sampledCells,
  standaloneContext,
  type StandaloneOptions,
  supernetCheckpointDir,
} from '../src/pipeline/supernet-inputs.ts';
import { runSupernetSpec, type SupernetSpec, type TrainingPlan } from '../src/pipeline/supernet-runner.ts';
import { bnNasScore, bnNasScoresAt, liveGammas, opGammaScores } from '../src/proxies/bn-nas.ts';
import { FAIR_BN_DEFAULTS, FAIR_BN_DEFINITIONS, FAIR_BN_PARTS, FAIR_BN_ROWS, fairBnScores, type FairBnSettings } from '../src/proxies/fair-bn.ts';
import { pathBnParams } from '../src/proxies/fair-bn-trainability.ts';
import { PAPER_OPTIMISER } from '../src/supernet/train-config.ts';
import { NB201_SUPERNET, type NB201Supernet, type SupernetOptions } from '../src/supernet/nb201-supernet.ts';

export interface FairBnOptions {
  /** BN-only training steps of both supernets. */
  steps?: number;
  /** Cells scored (default 100, under FULL too; see sampledCells). */
  cells?: number;
  C?: number;
  N?: number;
  batchSize?: number;
  snapshots?: number;
  trainSeed?: number;
  /** Images used by the three parts. */
  settings?: FairBnSettings;
  checkpointDir?: string;
}

export const FAIR_BN_EXPERIMENT_DEFAULTS = Object.freeze({ ...NB201_SUPERNET_SCALE, cells: 100 });
/** `--full`: BN-NAS's full settings (so its original-space checkpoint is shared) and 1,000 cells. */
export const FAIR_BN_FULL = Object.freeze({ ...NB201_SUPERNET_FULL_SCALE, cells: 1000 });

export function fairBnSpec(ctx: ExperimentContext, opts: FairBnOptions = {}): SupernetSpec<readonly NB201Op[], NB201Supernet, SupernetOptions> {
  const o = { ...FAIR_BN_EXPERIMENT_DEFAULTS, settings: FAIR_BN_DEFAULTS, ...opts };
  const cells = nb201SupernetCells(ctx, sampledCells(ctx, o.cells));
  const original: SupernetOptions = { C: o.C, N: o.N, numClasses: CIFAR10_CLASSES, bn: 'standard', fair: false, seed: ctx.initSeed };
  const bnOnly = (label: string, supernet: SupernetOptions): TrainingPlan<SupernetOptions> => ({ label, mode: 'bn-only', supernet, steps: o.steps, batchSize: o.batchSize, seed: o.trainSeed, snapshots: o.snapshots });
  const scale = `supernet C=${o.C}, N=${o.N} (NB201: C=16, N=5); ${o.steps} BN-only steps at batch ${o.batchSize} on the CIFAR-10 training images; lr ${PAPER_OPTIMISER.lr} linear decay`;
  return {
    experiment: 'fair-bn',
    name: 'nb201-fair-bn',
    title: 'Fair BN indicator (Zhu et al., arXiv 2112.00265) on NB201 — reconstruction',
    paper: 'fair-bn-arxiv2021',
    benchmark: 'nb201',
    kind: NB201_SUPERNET,
    images: 'cifar10',
    cells,
    trainings: [
      // the BN-NAS experiment's training: same label and settings, so the same checkpoint
      bnOnly('bn-only', original),
      bnOnly('fair-bn-only', { ...original, fair: true }),
    ],
    indicators: [
      {
        training: 'fair-bn-only',
        rows: [...FAIR_BN_ROWS, { method: 'bn-nas on the fair supernet', column: 'bn_nas_fair', notes: ['sum of mean |gamma| of every op\'s last BN, skip and pool included (fair space)'] }],
        score: (run, paths, images) => {
          const table = opGammaScores(liveGammas(run!.supernet.params));
          return {
            ...fairBnScores<readonly NB201Op[]>(run!.supernet, paths, images, o.settings, ctx.batchSeed, (cell) => pathBnParams(run!.supernet, cell), 'fair-bn parts'),
            bn_nas_fair: Float64Array.from(paths, (c) => bnNasScore(table, c)),
          };
        },
      },
      {
        training: 'bn-only',
        row: { method: 'bn-nas (original space, bn-only supernet)', column: 'bn_nas_original', notes: ['skip / pool / none score 0 (no BN), as the reference; the BN-NAS experiment\'s supernet'] },
        scoreAt: (s, run, paths) => bnNasScoresAt(run.supernet.params, s, paths),
      },
      {
        training: 'bn-only',
        snapshot: 'initial',
        row: { method: 'conv count (bn-nas at initialisation)', column: 'conv_count', notes: ['every gamma 1: 3N x the number of conv edges'] },
        scoreAt: (s, run, paths) => bnNasScoresAt(run.supernet.params, s, paths),
      },
    ],
    metrics: ['kendall_tau', 'spearman'],
    rowNotes: [scale, ...(cells.cells.length >= 15625 ? [] : [`sample of ${cells.cells.length} cells, not all 15,625`])],
    description: [
      'The fair supernet (a BN after every op but none) trained BN-only, on the BN-NAS experiment\'s schedule.',
      `For each cell, its three parts (expressivity, trainability, uncertainty) on its path, and the composite (mean of the parts' ranks over the cells). Part images (batch seed ${ctx.batchSeed}): expressivity ${o.settings.expressivityBatch}, NTK ${o.settings.ntkImages}, ${o.settings.probes} probes x ${o.settings.draws} draws of ${o.settings.contextBatch}.`,
      'Definitions (ours; the paper publishes none):',
      ...[...FAIR_BN_PARTS, 'composite' as const].map((k) => `  ${k}: ${FAIR_BN_DEFINITIONS[k]}`),
      'Beside them: BN-NAS\'s indicator on the fair supernet (mean |γ| now defined for skip and pool), BN-NAS\'s indicator in the original space (the BN-NAS experiment\'s BN-only supernet) and the conv-count baseline; Kendall τ / Spearman ρ against CIFAR-10 accuracy, and the share of convolutions in each indicator\'s top-k cells (Finding 1).',
      'NB101: see results/nb101/fair-bn/ (`make reproduce-nb101`).',
    ],
    differences: [
      'a reconstruction: the paper describes its composite indicator but publishes no formula (src/proxies/fair-bn.ts); no published value to set beside ours',
      `scale (our choice): ${scale}`,
    ],
    convShare: [0.1, 0.05],
    checkpointDir: o.checkpointDir ?? supernetCheckpointDir(ctx.cacheDir, 'nb201'),
  };
}

export async function runFairBnExperiment(ctx: ExperimentContext, opts: FairBnOptions = {}): Promise<ExperimentOutput> {
  const { name, markdown, files } = await runSupernetSpec(fairBnSpec(ctx, opts), ctx);
  return { name, markdown, files };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const program = reproduceCommand('nb201', 'Fair BN composite indicator on NB201 (reconstruction): parts, composite, BN-NAS, conv share')
    .option('--steps <n>', `BN-only training steps (default ${FAIR_BN_EXPERIMENT_DEFAULTS.steps}; --full: ${FAIR_BN_FULL.steps})`)
    .option('--cells <n>', `cells scored (default ${FAIR_BN_EXPERIMENT_DEFAULTS.cells}; --full: ${FAIR_BN_FULL.cells})`)
    .option('--full', 'NB201 macro-structure C=16 N=5, 625 steps, 1,000 cells (hours on a CPU)');
  await runReproduction<StandaloneOptions>(program, async (o) => {
    const base = o.full ? FAIR_BN_FULL : FAIR_BN_EXPERIMENT_DEFAULTS;
    const cells = positive(o.cells, '--cells') ?? base.cells;
    // --full here keeps a sample (the parts cost seconds per cell): the selection is a sample of `cells`.
    const { ctx } = await standaloneContext({ ...o, full: false }, cells);
    try {
      const out = await runFairBnExperiment(ctx, { ...base, cells, steps: positive(o.steps, '--steps') ?? base.steps });
      return out.markdown;
    } finally {
      ctx.store.close();
    }
  });
}
