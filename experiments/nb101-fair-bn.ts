/**
 * The "fair BN" indicator on NAS-Bench-101 (Zhu et al., arXiv 2112.00265) — A RECONSTRUCTION
 * (src/proxies/fair-bn.ts defines the parts and the combination; every row says so). The NB101
 * rows of issue 5, following experiments/nb201-fair-bn.ts.
 *
 * What is run:
 * 1. The fair NB101 supernet (src/supernet/nb101-supernet.ts with `fair`: the max-pool gets a BN
 *    of its own, so every op has a γ) trained BN-only on the BN-NAS experiment's schedule
 *    (experiments/nb101-bn-nas.ts).
 * 2. For a seeded sample of the run's cells (default 100: the parts cost ~1 + 8 + 4 forward
 *    passes per cell), the three parts on the cell's path and the composite (mean of the parts'
 *    ranks over the sample).
 * 3. Kendall τ / Spearman ρ against the 108-epoch validation accuracy of each part, the
 *    composite, BN-NAS on the fair supernet (max-pool now scored), BN-NAS in NB101's own space
 *    (the BN-NAS experiment's BN-only supernet, reused from its checkpoint) and the conv count.
 * 4. The share of convolutions in each indicator's top-k cells vs the true top-k.
 *
 * The original-space supernet is the BN-NAS experiment's training (same label and options,
 * src/pipeline/nb101-context.ts), so its checkpoint is reused when that experiment ran first.
 * The spec below declares it; src/pipeline/supernet-runner.ts runs it.
 */
import path from 'node:path';
import { selectIndices } from '../src/datasets/batch.ts';
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
import { nb101BnNasScoreOf, nb101CellOps, nb101GammaTable } from '../src/proxies/bn-nas-nb101.ts';
import { FAIR_BN_DEFAULTS, FAIR_BN_DEFINITIONS, FAIR_BN_PARTS, FAIR_BN_ROWS, fairBnScores } from '../src/proxies/fair-bn.ts';
import type { ModelSpec } from '../src/spaces/nb101.ts';
import { NB101_SUPERNET, nb101PathBnParams, type NB101Supernet, type NB101SupernetOptions } from '../src/supernet/nb101-supernet.ts';

export const DEFAULT_NB101_FAIR_BN_CELLS = 100;

export interface NB101FairBnOptions {
  cells?: number;
  steps?: number;
  cellsPerStack?: number;
  batchSize?: number;
  checkpointDir?: string;
}

export function fairBnNB101Spec(ctx: NB101ExperimentContext, opts: NB101FairBnOptions = {}): SupernetSpec<ModelSpec, NB101Supernet, NB101SupernetOptions> {
  const base = ctx.sample === undefined ? NB101_BN_FULL : NB101_BN_DEFAULTS;
  const o = { ...base, cells: DEFAULT_NB101_FAIR_BN_CELLS, ...definedOnly(opts) };
  const all = candidates(ctx).cells;
  const pool = chosenCells(ctx, all);
  const poolPopulation = chosenPopulation(ctx, pool, all.length);
  // a seeded sample of the BN-NAS experiment's cells: the parts cost ~1 + 8 + 4 forward passes per cell
  const sampled = o.cells < pool.length;
  const cells = sampled ? selectIndices(pool.length, o.cells, ctx.sampleSeed).map((i) => pool[i]!) : pool;
  const population = sampled
    ? { id: `${poolPopulation.id}/sample(${cells.length},seed=${ctx.sampleSeed})`, description: `a seeded sample (seed ${ctx.sampleSeed}) of ${cells.length} of the run's ${pool.length} cells (${poolPopulation.description})` }
    : poolPopulation;
  const bnOnly = (label: string, fair: boolean): TrainingPlan<NB101SupernetOptions> => ({ label, mode: 'bn-only', supernet: nb101SupernetOptions(ctx, o.cellsPerStack, fair), steps: o.steps, batchSize: o.batchSize, seed: o.trainSeed, snapshots: o.snapshots });
  const scale = `${NB101_SUPERNET_NOTE}; stem ${ctx.stemChannels}, ${o.cellsPerStack} module(s) per stack (NB101: 128, 3); ${o.steps} BN-only steps at batch ${o.batchSize} on the CIFAR-10 training images`;
  return {
    experiment: 'fair-bn',
    name: 'nb101-fair-bn',
    title: 'Fair BN indicator (Zhu et al., arXiv 2112.00265) on NB101 — reconstruction',
    paper: 'fair-bn-arxiv2021',
    benchmark: 'nb101',
    kind: NB101_SUPERNET,
    images: 'cifar10',
    cells: nb101SupernetCells(ctx, cells, population),
    trainings: [
      // the BN-NAS experiment's training: same label and options, so the same checkpoint
      bnOnly('bn-only', false),
      bnOnly('fair-bn-only', true),
    ],
    indicators: [
      {
        training: 'fair-bn-only',
        rows: [...FAIR_BN_ROWS, { method: 'bn-nas on the fair supernet', column: 'bn_nas_fair', notes: ['mean |gamma| of every op\'s BN, max-pool included (fair space)'] }],
        score: (run, specs, images) => {
          const supernet = run!.supernet;
          // only the candidate ops' gammas are read back from the backend (not every kernel)
          const live = supernet.params.filter((p) => p.kind === 'bn-gamma' && p.label).map((p) => ({ name: p.name, kind: p.kind, slot: p.label, values: p.variable.dataSync() }));
          const table = nb101GammaTable(live, supernet.modules);
          return {
            ...fairBnScores(supernet, specs, images, FAIR_BN_DEFAULTS, 0, (spec) => nb101PathBnParams(supernet, spec), 'fair-bn parts nb101'),
            bn_nas_fair: Float64Array.from(specs, (spec) => nb101BnNasScoreOf(table, nb101CellOps(supernet.modules, spec))),
          };
        },
      },
      nb101BnNas('bn-only', { method: 'bn-nas (original space, bn-only supernet)', column: 'bn_nas_original', notes: ['max-pool scores 0 (no BN); the BN-NAS experiment\'s supernet'] }),
      nb101BnNas('bn-only', { method: 'conv count (bn-nas at initialisation)', column: 'conv_count', notes: ['every gamma 1: modules x the number of conv vertices'] }, 'initial'),
    ],
    metrics: ['kendall_tau', 'spearman'],
    rowNotes: [scale, `sample of ${cells.length} cells`, 'validation (not test) accuracy of a single run', 'the paper\'s NB101 table could not be read (no published value)'],
    description: [
      'The fair NB101 supernet (the max-pool gets a BN of its own, so every op has a γ) trained BN-only on the BN-NAS experiment\'s schedule.',
      `For a seeded sample of the run's cells, the three parts on the cell's path and the composite (mean of the parts' ranks over the sample). Part images: expressivity ${FAIR_BN_DEFAULTS.expressivityBatch}, NTK ${FAIR_BN_DEFAULTS.ntkImages}, ${FAIR_BN_DEFAULTS.probes} probes x ${FAIR_BN_DEFAULTS.draws} draws of ${FAIR_BN_DEFAULTS.contextBatch}.`,
      'Definitions (ours; the paper publishes none):',
      ...[...FAIR_BN_PARTS, 'composite' as const].map((k) => `  ${k}: ${FAIR_BN_DEFINITIONS[k]}`),
      'Kendall τ / Spearman ρ against the 108-epoch validation accuracy of each part, the composite, BN-NAS on the fair supernet (max-pool now scored), BN-NAS in NB101\'s own space (the BN-NAS experiment\'s BN-only supernet) and the conv count; the share of convolutions in each indicator\'s top-k cells vs the true top-k.',
    ],
    differences: [
      'a reconstruction: the paper publishes no formula (src/proxies/fair-bn.ts), and its NB101 table could not be read',
      'the supernet is ours: NB101 has none (src/supernet/nb101-supernet.ts)',
      `scale (our choice): ${scale}`,
      'ground truth: the 108-epoch validation accuracy of one training run (the shared data has no test accuracy)',
    ],
    convShare: [0.1, 0.05],
    checkpointDir: o.checkpointDir ?? supernetCheckpointDir(ctx.cacheDir, 'nb101'),
  };
}

export async function run(ctx: NB101ExperimentContext, opts: NB101FairBnOptions = {}): Promise<{ markdown: string; files: string[] }> {
  const { markdown, files } = await runSupernetSpec(fairBnNB101Spec(ctx, opts), ctx);
  return { markdown, files };
}
