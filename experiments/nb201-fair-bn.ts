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
 * Runnable alone:
 *   node --import tsx experiments/nb201-fair-bn.ts --data ../shared/data --store-dir data [--steps N] [--cells N] [--full]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'csv-stringify/sync';
import type { ExperimentContext, ExperimentOutput } from '../src/pipeline/context.ts';
import { reproduceCommand, runReproduction } from '../src/pipeline/reproduce-cli.ts';
import { bnNasScore, liveGammas, opGammaScores } from '../src/proxies/bn-nas.ts';
import { convShareTopK } from '../src/proxies/fair-bn-unfairness.ts';
import {
  disposeFairBnInputs,
  FAIR_BN_DEFAULTS,
  FAIR_BN_DEFINITIONS,
  FAIR_BN_PARTS,
  fairBnComposite,
  fairBnInputs,
  fairBnPartsOf,
  type FairBnPartScores,
  type FairBnSettings,
} from '../src/proxies/fair-bn.ts';
import { buildCorrelationRows, correlationTableMarkdown, writeCorrelationTable, type CorrelationEntry } from '../src/report/correlation-table.ts';
import { csvNumber, markdownTable } from '../src/report/format.ts';
import { selectNB201Cells } from '../src/scoring/cell-selection.ts';
import type { CorrelationMetric } from '../src/stats/index.ts';
import { NB201_SUPERNET, type SupernetOptions } from '../src/supernet/nb201-supernet.ts';
import { PAPER_OPTIMISER, resolveTrainConfig } from '../src/supernet/train-config.ts';
import { medianStepSeconds, trainOrResume } from '../src/supernet/train-run.ts';
import { stepsPerEpoch } from '../src/supernet/train-sampling.ts';
import { writeFileAtomic } from '../src/util/atomic-file.ts';
import { pathBnParams } from '../src/proxies/fair-bn-trainability.ts';
import type { NB201Op } from '../src/models/nb201-cell.ts';
import {
  BN_NAS_DEFAULTS,
  BN_NAS_FULL,
  bnNasScores,
  correlationEntry,
  experimentCells,
  positiveInt,
  runAndSummarise,
  standaloneContext,
  supernetRunInputs,
  unavailable,
  unavailableOutput,
  writeScores,
  type StandaloneOptions,
} from './nb201-bn-nas.ts';

const METRICS: CorrelationMetric[] = ['kendall_tau', 'spearman'];
const TOP_K_FRACTIONS = [0.1, 0.05];
const RECON = 'reconstruction: the paper does not publish the formula (src/proxies/fair-bn.ts)';

export interface FairBnOptions {
  /** BN-only training steps of both supernets. */
  steps?: number;
  /** Cells scored (default 100, under FULL too; see fairBnCells). */
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

export const FAIR_BN_EXPERIMENT_DEFAULTS = Object.freeze({ steps: BN_NAS_DEFAULTS.steps, cells: 100, C: BN_NAS_DEFAULTS.C, N: BN_NAS_DEFAULTS.N, batchSize: BN_NAS_DEFAULTS.batchSize, snapshots: BN_NAS_DEFAULTS.snapshots, trainSeed: 0 });
/** `--full`: BN-NAS's full settings (so its original-space checkpoint is shared) and 1,000 cells. */
export const FAIR_BN_FULL = Object.freeze({ steps: BN_NAS_FULL.steps, cells: 1000, C: BN_NAS_FULL.C, N: BN_NAS_FULL.N, batchSize: BN_NAS_FULL.batchSize, snapshots: BN_NAS_FULL.snapshots, trainSeed: 0 });

/**
 * The cells scored: the first `n` of the run's sample (a prefix of a seeded uniform sample is one
 * too, and these cells are among the BN-NAS experiment's), the listed cells, or under FULL
 * (selection 'all') a seeded sample of `n` rather than all 15,625: the parts cost about a
 * second per cell on one core. Pass n = 15625 to score every cell.
 */
export function fairBnCells(ctx: ExperimentContext, n: number): number[] {
  if (ctx.selection.kind === 'all') return selectNB201Cells({ kind: 'sample', size: n, seed: 0 });
  return experimentCells(ctx, n);
}

/** Report rows of the composite and of each part alone (both spaces' experiments). */
export function fairBnIndicators(parts: readonly FairBnPartScores[], composite: Float64Array, perCell: string, seconds: number): Array<{ method: string; x: Float64Array; notes: string[]; seconds: number }> {
  return [
    { method: 'fair-bn composite (reconstruction)', x: composite, notes: [RECON, FAIR_BN_DEFINITIONS.composite, perCell], seconds },
    ...FAIR_BN_PARTS.map((part) => ({ method: `fair-bn ${part} (reconstruction)`, x: Float64Array.from(parts, (p) => p[part]), notes: [RECON, FAIR_BN_DEFINITIONS[part]], seconds })),
  ];
}

export async function runFairBnExperiment(ctx: ExperimentContext, opts: FairBnOptions = {}): Promise<ExperimentOutput> {
  const o = { ...FAIR_BN_EXPERIMENT_DEFAULTS, settings: FAIR_BN_DEFAULTS, ...opts };
  const outDir = path.join(ctx.outDir, 'fair-bn');
  const why = unavailable(ctx);
  if (why !== undefined) {
    return unavailableOutput(ctx, 'nb201-fair-bn', 'fair-bn', 'Fair BN indicator (Zhu et al.), reconstruction', ['fair-bn composite (reconstruction)'], why);
  }
  const { backend, started, truth, images, cellIndices, cells, y, checkpointDir } = await supernetRunInputs(ctx, fairBnCells(ctx, o.cells), o.checkpointDir);
  const base: SupernetOptions = { C: o.C, N: o.N, numClasses: images.numClasses, bn: 'standard', seed: ctx.initSeed };
  const config = resolveTrainConfig({ mode: 'bn-only', steps: o.steps, batchSize: o.batchSize, seed: o.trainSeed });
  const snapshotEvery = Math.max(1, Math.round(o.steps / o.snapshots));
  const epochs = (o.steps / stepsPerEpoch(images.size, o.batchSize)).toFixed(1);

  // The original space's BN-only supernet: the BN-NAS experiment's run (same label and settings,
  // so the same checkpoint).
  const original = runAndSummarise('bn-only', null, { ...base, fair: false }, config, o.snapshots, images, checkpointDir);
  const originalScores = bnNasScores(original.labels, original.summary.snapshots[original.summary.snapshots.length - 1]!, cells);
  const convCount = bnNasScores(original.labels, original.summary.snapshots[0]!, cells);

  const fair = trainOrResume({ label: 'fair-bn-only', supernet: { ...base, fair: true }, config, snapshotEvery }, images, checkpointDir, NB201_SUPERNET);
  let parts: FairBnPartScores[];
  let fairBnNas: Float64Array;
  let scoringSeconds: number;
  const inputs = fairBnInputs(images, o.settings, ctx.batchSeed);
  try {
    const table = opGammaScores(liveGammas(fair.supernet.params));
    fairBnNas = Float64Array.from(cells, (c) => bnNasScore(table, c));
    ({ parts, seconds: scoringSeconds } = fairBnPartsOf<readonly NB201Op[]>(fair.supernet, cells, inputs, (cell) => pathBnParams(fair.supernet, cell), 'fair-bn parts'));
  } finally {
    disposeFairBnInputs(inputs);
    fair.supernet.dispose();
  }
  const composite = fairBnComposite(parts);
  const fairTrainSeconds = fair.result.log.stepSeconds.reduce((a, b) => a + b, 0);

  const scale = `supernet C=${o.C}, N=${o.N} (NB201: C=16, N=5); ${o.steps} BN-only steps (${epochs} epochs) at batch ${o.batchSize} on ${images.size} CIFAR-10 training images; lr ${PAPER_OPTIMISER.lr} linear decay`;
  const sampleNote = cells.length >= 15625 ? [] : [`sample of ${cells.length} cells, not all 15,625`];
  const perCell = `${(scoringSeconds / cells.length).toFixed(2)} s per cell for the three parts`;
  const indicators: Array<{ method: string; x: Float64Array; notes: string[]; seconds: number }> = [
    ...fairBnIndicators(parts, composite, perCell, fairTrainSeconds + scoringSeconds),
    { method: 'bn-nas on the fair supernet', x: fairBnNas, notes: ['sum of mean |gamma| of every op\'s last BN, skip and pool included (fair space)'], seconds: fairTrainSeconds },
    { method: 'bn-nas (original space, bn-only supernet)', x: originalScores, notes: ['skip / pool / none score 0 (no BN), as the reference; the BN-NAS experiment\'s supernet'], seconds: original.summary.trainSeconds },
    { method: 'conv count (bn-nas at initialisation)', x: convCount, notes: ['every gamma 1: 3N x the number of conv edges'], seconds: 0 },
  ];
  const entries: CorrelationEntry[] = [];
  for (const metric of METRICS) {
    for (const ind of indicators) entries.push(correlationEntry(ind.method, metric, truth.label, ind.x, y, backend, ind.seconds, [...ind.notes, scale, ...sampleNote], undefined));
  }
  const corrRows = buildCorrelationRows(entries);
  writeCorrelationTable(corrRows, { csv: path.join(outDir, 'correlation.csv'), markdown: path.join(outDir, 'correlation.md') });

  const shareRows: string[][] = [];
  for (const fraction of TOP_K_FRACTIONS) {
    for (const ind of indicators) {
      const s = convShareTopK(cells, ind.x, y, { fraction });
      shareRows.push([ind.method, String(s.k), csvNumber(s.indicator, 4), csvNumber(s.truth, 4), csvNumber(s.pool, 4), String(s.n)]);
    }
  }
  const shareHeader = ['indicator', 'k', 'conv_share_indicator_topk', 'conv_share_true_topk', 'conv_share_all_cells', 'n'];
  writeFileAtomic(path.join(outDir, 'conv-share.csv'), stringify([shareHeader, ...shareRows]));
  writeScores(path.join(outDir, 'scores.csv'), cellIndices, [
    ...FAIR_BN_PARTS.map((part): [string, Float64Array] => [part, Float64Array.from(parts, (p) => p[part])]),
    ['composite', composite],
    ['bn_nas_fair', fairBnNas],
    ['bn_nas_original', originalScores],
    ['conv_count', convCount],
  ], truth);

  const wall = (performance.now() - started) / 1000;
  const markdown = [
    '## Fair BN indicator (Zhu et al., arXiv 2112.00265) on NB201 — reconstruction',
    '',
    `- Cells: ${cells.length}; ground truth ${truth.label}. Backend ${backend}. ${wall.toFixed(0)} s in all.`,
    `- Fair supernet (BN after every op but none), BN-only: ${scale}; ${fairTrainSeconds.toFixed(0)} s of training (median ${medianStepSeconds(fair.result).toFixed(3)} s/step, ${fair.result.resumedFrom === null ? 'fresh' : `resumed at step ${fair.result.resumedFrom}`}). Original-space BN-only supernet: ${original.summary.trainSeconds.toFixed(0)} s of training (${original.summary.resumedFrom === null ? 'trained here' : `checkpoint reused / resumed at step ${original.summary.resumedFrom}`}).`,
    `- Part images (batch seed ${ctx.batchSeed}): expressivity ${o.settings.expressivityBatch}, NTK ${o.settings.ntkImages}, ${o.settings.probes} probes x ${o.settings.draws} draws of ${o.settings.contextBatch}; ${perCell}.`,
    '- Definitions (ours; the paper publishes none):',
    ...[...FAIR_BN_PARTS, 'composite' as const].map((k) => `  - ${k}: ${FAIR_BN_DEFINITIONS[k]}`),
    '- NB101: see results/nb101/fair-bn/ (`make reproduce-nb101`).',
    '',
    '### Correlation with accuracy (each part alone, the composite, BN-NAS)',
    '',
    correlationTableMarkdown(corrRows),
    '',
    '### Unfairness: share of convolutions in the top-k cells',
    '',
    markdownTable(shareHeader, shareRows, ['l', 'r', 'r', 'r', 'r', 'r']),
    '',
  ].join('\n');
  writeFileAtomic(path.join(outDir, 'README.md'), markdown);
  const files = ['correlation.csv', 'correlation.md', 'conv-share.csv', 'scores.csv', 'README.md'].map((f) => `fair-bn/${f}`);
  return { name: 'nb201-fair-bn', markdown, files };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const program = reproduceCommand('nb201', 'Fair BN composite indicator on NB201 (reconstruction): parts, composite, BN-NAS, conv share')
    .option('--steps <n>', `BN-only training steps (default ${FAIR_BN_EXPERIMENT_DEFAULTS.steps}; --full: ${FAIR_BN_FULL.steps})`)
    .option('--cells <n>', `cells scored (default ${FAIR_BN_EXPERIMENT_DEFAULTS.cells}; --full: ${FAIR_BN_FULL.cells})`)
    .option('--full', 'NB201 macro-structure C=16 N=5, 625 steps, 1,000 cells (hours on a CPU)');
  await runReproduction<StandaloneOptions>(program, async (o) => {
    const base = o.full ? FAIR_BN_FULL : FAIR_BN_EXPERIMENT_DEFAULTS;
    const cells = positiveInt(o.cells, '--cells') ?? base.cells;
    // --full here keeps a sample (the parts cost seconds per cell): the selection is a sample of `cells`.
    const { ctx } = await standaloneContext({ ...o, full: false }, cells);
    try {
      const out = await runFairBnExperiment(ctx, { ...base, cells, steps: positiveInt(o.steps, '--steps') ?? base.steps });
      return out.markdown;
    } finally {
      ctx.store.close();
    }
  });
}
