/**
 * BN-NAS on NAS-Bench-101 (Chen et al., ICCV 2021), the NB101 rows of issue 5; the NB201
 * experiment is experiments/nb201-bn-nas.ts and this one follows it step for step.
 *
 * What is run (every number comes from this run):
 * 1. The NB101 supernet (src/supernet/nb101-supernet.ts: NB101's macro-structure, every vertex
 *    position of every module holding all three ops, weights shared across widths by channel
 *    slicing - OUR CONSTRUCTION, NB101 has no supernet) trained BN-only (convolutions frozen at
 *    initialisation, only the candidate ops' BN γ/β trained, single-path sampling with NB101's
 *    random_spec sampler), and the BN-NAS indicator (src/proxies/bn-nas-nb101.ts: sum over
 *    modules and interior vertices of the op's mean |γ| over the vertex's width; max-pool 0) of
 *    the run's NB101 cells, correlated (Kendall τ-b, Spearman) with their accuracy.
 * 2. The same after STANDARD training of the same wall time and of the `ladder` multiples.
 * 3. The training-time ratio for equal indicator quality (paper: >10x), as on NB201.
 * 4. The share of convolutions (of the interior vertices) in the indicator's top-k cells vs the
 *    true top-k (Zhu et al.'s Finding 1: max-pool has no BN, so BN-NAS cannot credit it).
 * Baseline: the indicator at initialisation (every γ = 1) = modules x the number of conv vertices.
 *
 * Where we differ (every report row says so): the supernet is ours (above); scaled down to
 * 1 module per stack and stem `ctx.stemChannels` (16 by default, NB101: 3 modules, stem 128) and
 * 300 BN-only steps at batch 64 on the 4,000 CIFAR-10 training images; ground truth is the
 * 108-epoch validation accuracy of one training run (the shared data has no test accuracy).
 * Cells: those of the other NB101 experiments (src/pipeline/nb101-context.ts `chosenCells`: 1,000
 * sampled, or all with FULL=1; the indicator costs a table lookup per cell). FULL=1 also trains
 * NB101's three modules per stack for 625 steps with a 1x/2x/4x ladder. Checkpoints in
 * <cache>/supernets-nb101/ make every run resumable and a rerun with the same settings trains
 * nothing. The spec below declares it; src/pipeline/supernet-runner.ts runs it.
 */
import path from 'node:path';
import {
  candidates,
  chosenCells,
  chosenPopulation,
  NB101_BN_DEFAULTS,
  NB101_BN_FULL,
  NB101_SUPERNET_NOTE,
  nb101BnNas,
  nb101SupernetCells,
  nb101SupernetOptions,
  type NB101ExperimentContext,
} from '../src/pipeline/nb101-context.ts';
import { definedOnly, supernetCheckpointDir } from '../src/pipeline/supernet-inputs.ts';
import { runSupernetSpec, type SupernetSpec, type TrainingPlan } from '../src/pipeline/supernet-runner.ts';
import type { ModelSpec } from '../src/spaces/nb101.ts';
import { NB101_SUPERNET, type NB101Supernet, type NB101SupernetOptions } from '../src/supernet/nb101-supernet.ts';
import { PAPER_OPTIMISER } from '../src/supernet/train-config.ts';

export { NB101_BN_DEFAULTS, NB101_BN_FULL } from '../src/pipeline/nb101-context.ts';

export interface NB101BnOptions {
  steps?: number;
  cellsPerStack?: number;
  batchSize?: number;
  ladder?: number[];
  snapshots?: number;
  trainSeed?: number;
  checkpointDir?: string;
}

const ladderMethod = (m: number) => `bn-nas (standard supernet, ${m === 1 ? 'equal time' : `${m}x time`})`;

export function bnNasNB101Spec(ctx: NB101ExperimentContext, opts: NB101BnOptions = {}): SupernetSpec<ModelSpec, NB101Supernet, NB101SupernetOptions> {
  const o = { ...(ctx.sample === undefined ? NB101_BN_FULL : NB101_BN_DEFAULTS), ...definedOnly(opts) };
  const all = candidates(ctx).cells;
  const chosen = chosenCells(ctx, all);
  const supernet = nb101SupernetOptions(ctx, o.cellsPerStack, false);
  const training = (label: string, mode: TrainingPlan<NB101SupernetOptions>['mode'], steps: TrainingPlan<NB101SupernetOptions>['steps']): TrainingPlan<NB101SupernetOptions> => ({ label, mode, supernet, steps, batchSize: o.batchSize, seed: o.trainSeed, snapshots: o.snapshots });
  const scale = `${NB101_SUPERNET_NOTE}; stem ${ctx.stemChannels}, ${o.cellsPerStack} module(s) per stack (NB101: 128, 3); batch ${o.batchSize} on the CIFAR-10 training images; lr ${PAPER_OPTIMISER.lr} linear decay, momentum 0.9, label smoothing 0.1`;
  return {
    experiment: 'bn-nas',
    name: 'nb101-bn-nas',
    title: 'BN-NAS (Chen et al., ICCV 2021) on NB101, scaled down',
    paper: 'bn-nas-iccv2021',
    benchmark: 'nb101',
    kind: NB101_SUPERNET,
    images: 'cifar10',
    cells: nb101SupernetCells(ctx, chosen, chosenPopulation(ctx, chosen, all.length)),
    trainings: [
      training('bn-only', 'bn-only', o.steps),
      ...o.ladder.map((m) => training(`standard-x${m}`, 'standard', { timeOf: 'bn-only', multiple: m })),
    ],
    indicators: [
      nb101BnNas('bn-only', { method: 'bn-nas (bn-only supernet)', column: 'bn-only', notes: [`${o.steps} BN-only steps`, 'max-pool scores 0 (no BN), as the reference'] }, 'final', true),
      ...o.ladder.map((m) => nb101BnNas(`standard-x${m}`, { method: ladderMethod(m), column: `standard-x${m}`, notes: [`standard training of ${m}x the BN-only training time, its steps from the measured step costs (timing.csv)`] }, 'final', true)),
      nb101BnNas('bn-only', { method: 'conv count (bn-nas at initialisation)', column: 'conv_count', notes: ['every gamma is 1 before training: modules x the number of conv vertices'] }, 'initial'),
    ],
    metrics: ['kendall_tau', 'spearman'],
    rowNotes: [scale, 'validation (not test) accuracy of a single run', 'the paper reports no NB101 correlation (reference/published.csv has none)'],
    description: [
      'The NB101 supernet (every vertex position of every module holding all three ops, weights shared across widths by channel slicing) trained BN-only (convolutions frozen at initialisation, only the candidate ops\' BN γ/β trained, single-path sampling with NB101\'s random_spec sampler), and the BN-NAS indicator (sum over modules and interior vertices of the op\'s mean |γ| over the vertex\'s width; max-pool 0; src/proxies/bn-nas-nb101.ts) against the cells\' accuracy: Kendall τ-b and Spearman ρ.',
      `The same after standard training of ${o.ladder.join('x, ')}x the BN-only wall time, its τ along each run (curve.csv), and the training-time ratio for equal indicator quality, as on NB201.`,
      'Baseline: the indicator at initialisation (every γ = 1) = modules x the number of conv vertices. The share of convolutions (of the interior vertices) in each indicator\'s top-k cells vs the true top-k.',
    ],
    differences: [
      'the supernet is ours: NB101 has none (src/supernet/nb101-supernet.ts)',
      `scale (our choice): ${scale}; ${o.steps} BN-only steps`,
      'ground truth: the 108-epoch validation accuracy of one training run (the shared data has no test accuracy)',
    ],
    convShare: [0.05, 0.01],
    timeRatio: { claim: 'paper: >10x', reference: 'bn-only', ladder: o.ladder.map((m) => `standard-x${m}`) },
    checkpointDir: o.checkpointDir ?? supernetCheckpointDir(ctx.cacheDir, 'nb101'),
  };
}

export async function run(ctx: NB101ExperimentContext, opts: NB101BnOptions = {}): Promise<{ markdown: string; files: string[] }> {
  const { markdown, files } = await runSupernetSpec(bnNasNB101Spec(ctx, opts), ctx);
  return { markdown, files };
}
