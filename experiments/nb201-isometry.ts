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
 *
 * Runnable alone:
 *   node --import tsx experiments/nb201-isometry.ts --data ../shared/data --store-dir data [--steps N] [--cells N]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { stringify } from 'csv-stringify/sync';
import { normalizeBatch } from '../src/datasets/normalize.ts';
import type { NB201Op } from '../src/models/nb201-cell.ts';
import { selectIndices } from '../src/datasets/batch.ts';
import type { ExperimentContext, ExperimentOutput } from '../src/pipeline/context.ts';
import { reproduceCommand, runReproduction } from '../src/pipeline/reproduce-cli.ts';
import { bnNasScore, liveGammas, opGammaScores } from '../src/proxies/bn-nas.ts';
import { disposeFairBnInputs, FAIR_BN_DEFAULTS, fairBnComposite, fairBnInputs, fairBnPartsOf, type FairBnSettings } from '../src/proxies/fair-bn.ts';
import { pathBnParams } from '../src/proxies/fair-bn-trainability.ts';
import { convShareTopK } from '../src/proxies/fair-bn-unfairness.ts';
import { jacobianSpectrumTfjs } from '../src/proxies/jacobian-isometry.ts';
import { buildCorrelationRows, correlationTableMarkdown, writeCorrelationTable, type CorrelationEntry } from '../src/report/correlation-table.ts';
import { csvNumber, markdownTable } from '../src/report/format.ts';
import type { CorrelationMetric } from '../src/stats/index.ts';
import { buildNB201Supernet, NB201_SUPERNET, type SupernetOptions } from '../src/supernet/nb201-supernet.ts';
import { PAPER_OPTIMISER, resolveTrainConfig } from '../src/supernet/train-config.ts';
import { trainOrResume } from '../src/supernet/train-run.ts';
import { stepsPerEpoch } from '../src/supernet/train-sampling.ts';
import { writeFileAtomic } from '../src/util/atomic-file.ts';
import { BN_NAS_DEFAULTS, BN_NAS_FULL, bnNasScores, correlationEntry, positiveInt, runAndSummarise, standaloneContext, supernetRunInputs, unavailable, unavailableOutput, writeScores, type StandaloneOptions } from './nb201-bn-nas.ts';
import { sampledCells as fairBnCells } from '../src/pipeline/supernet-inputs.ts';

const METRICS: CorrelationMetric[] = ['kendall_tau', 'spearman'];
const TOP_K_FRACTIONS = [0.1, 0.05];
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

export const ISOMETRY_DEFAULTS: Readonly<IsometryOptions> = Object.freeze({
  steps: BN_NAS_DEFAULTS.steps, cells: 100, C: BN_NAS_DEFAULTS.C, N: BN_NAS_DEFAULTS.N, batchSize: BN_NAS_DEFAULTS.batchSize, snapshots: BN_NAS_DEFAULTS.snapshots, trainSeed: 0,
  jacobianBatch: 8, probes: 16, fairSettings: FAIR_BN_DEFAULTS,
});
export const ISOMETRY_FULL: Readonly<IsometryOptions> = Object.freeze({ ...ISOMETRY_DEFAULTS, steps: BN_NAS_FULL.steps, cells: 1000, C: BN_NAS_FULL.C, N: BN_NAS_FULL.N, snapshots: BN_NAS_FULL.snapshots, probes: 32 });

export async function runIsometryExperiment(ctx: ExperimentContext, opts: Partial<IsometryOptions> = {}): Promise<ExperimentOutput> {
  const o: IsometryOptions = { ...ISOMETRY_DEFAULTS, ...opts };
  const dir = 'isometry';
  const outDir = path.join(ctx.outDir, dir);
  const why = unavailable(ctx);
  if (why !== undefined) return unavailableOutput(ctx, 'nb201-isometry', dir, 'Dynamical isometry fair NAS (Luo et al. 2023), reconstruction', ['isometry bn-gamma (reconstruction)'], why);
  const { backend, started, truth, images, cellIndices, cells, y, checkpointDir } = await supernetRunInputs(ctx, fairBnCells(ctx, o.cells), o.checkpointDir);
  const base: SupernetOptions = { C: o.C, N: o.N, numClasses: images.numClasses, bn: 'standard', fair: false, seed: ctx.initSeed };
  const config = resolveTrainConfig({ mode: 'bn-only', steps: o.steps, batchSize: o.batchSize, seed: o.trainSeed });
  const epochs = (o.steps / stepsPerEpoch(images.size, o.batchSize)).toFixed(1);

  // 1. The isometric BN-only supernet and its BN-γ indicator.
  const iso = runAndSummarise('iso-bn-only', null, { ...base, init: 'orthogonal-critical' }, config, o.snapshots, images, checkpointDir);
  const isoScores = bnNasScores(iso.labels, iso.summary.snapshots[iso.summary.snapshots.length - 1]!, cells);
  // 3a. BN-NAS: torch-default init, same settings as the BN-NAS experiment (shared checkpoint).
  const bn = runAndSummarise('bn-only', null, base, config, o.snapshots, images, checkpointDir);
  const bnScores = bnNasScores(bn.labels, bn.summary.snapshots[bn.summary.snapshots.length - 1]!, cells);
  const convCount = bnNasScores(bn.labels, bn.summary.snapshots[0]!, cells);

  // 2. Jacobian conditioning at the orthogonal initialisation, per cell path.
  const jacStarted = performance.now();
  const fresh = buildNB201Supernet({ ...base, init: 'orthogonal-critical' });
  const jac = new Float64Array(cells.length);
  const jacMeanSq = new Float64Array(cells.length);
  const batch = normalizeBatch(images, selectIndices(images.size, o.jacobianBatch, ctx.batchSeed));
  const xj = tf.tensor4d(batch.x, [batch.n, batch.height, batch.width, batch.channels]);
  try {
    cells.forEach((cell, i) => {
      const s = jacobianSpectrumTfjs((x) => fresh.apply(x, { path: cell, training: true, updateRunningStats: false }), xj, o.probes, cellIndices[i]!);
      jac[i] = s.score;
      jacMeanSq[i] = s.meanSquared;
    });
  } finally {
    xj.dispose();
    fresh.dispose();
  }
  const jacSeconds = (performance.now() - jacStarted) / 1000;

  // 3b. The fair-BN composite (its supernet shares the fair-BN experiment's checkpoint).
  const fair = trainOrResume({ label: 'fair-bn-only', supernet: { ...base, fair: true }, config, snapshotEvery: Math.max(1, Math.round(o.steps / o.snapshots)) }, images, checkpointDir, NB201_SUPERNET);
  const inputs = fairBnInputs(images, o.fairSettings, ctx.batchSeed);
  let composite: Float64Array;
  let fairBnNas: Float64Array;
  try {
    const table = opGammaScores(liveGammas(fair.supernet.params));
    fairBnNas = Float64Array.from(cells, (c) => bnNasScore(table, c));
    composite = fairBnComposite(fairBnPartsOf<readonly NB201Op[]>(fair.supernet, cells, inputs, (cell) => pathBnParams(fair.supernet, cell), 'fair-bn parts').parts);
  } finally {
    disposeFairBnInputs(inputs);
    fair.supernet.dispose();
  }

  const scale = `supernet C=${o.C}, N=${o.N} (NB201: C=16, N=5); ${o.steps} BN-only steps (${epochs} epochs) at batch ${o.batchSize} on ${images.size} CIFAR-10 training images; lr ${PAPER_OPTIMISER.lr} linear decay`;
  const sampleNote = cells.length >= 15625 ? [] : [`sample of ${cells.length} cells, not all 15,625`];
  const indicators: Array<{ method: string; x: Float64Array; notes: string[]; seconds: number }> = [
    { method: 'isometry bn-gamma (reconstruction)', x: isoScores, notes: [RECON, 'BN-only supernet from the orthogonal-critical init, BN-NAS\'s mean |γ| indicator'], seconds: iso.summary.trainSeconds },
    { method: 'jacobian isometry at init (reconstruction)', x: jac, notes: [RECON, `-std(ln σ) of the input-output Jacobian, ${o.probes} random probes, batch ${o.jacobianBatch}, train-mode BN`], seconds: jacSeconds },
    { method: 'bn-nas (bn-only supernet)', x: bnScores, notes: ['torch-default init, the BN-NAS experiment\'s supernet'], seconds: bn.summary.trainSeconds },
    { method: 'fair-bn composite (reconstruction)', x: composite, notes: ['Zhu et al. reconstruction (src/proxies/fair-bn.ts), the fair-BN experiment\'s supernet'], seconds: 0 },
    { method: 'bn-nas on the fair supernet', x: fairBnNas, notes: [], seconds: 0 },
    { method: 'conv count (bn-nas at initialisation)', x: convCount, notes: ['every gamma 1: 3N x the number of conv edges'], seconds: 0 },
  ];
  const entries: CorrelationEntry[] = [];
  for (const metric of METRICS) for (const ind of indicators) entries.push(correlationEntry(ind.method, metric, truth.label, ind.x, y, backend, ind.seconds, [...ind.notes, scale, ...sampleNote], undefined));
  const corrRows = buildCorrelationRows(entries);
  writeCorrelationTable(corrRows, { csv: path.join(outDir, 'correlation.csv'), markdown: path.join(outDir, 'correlation.md') });
  const shareRows: string[][] = [];
  for (const fraction of TOP_K_FRACTIONS) for (const ind of indicators) {
    const s = convShareTopK(cells, ind.x, y, { fraction });
    shareRows.push([ind.method, String(s.k), csvNumber(s.indicator, 4), csvNumber(s.truth, 4), csvNumber(s.pool, 4), String(s.n)]);
  }
  const shareHeader = ['indicator', 'k', 'conv_share_indicator_topk', 'conv_share_true_topk', 'conv_share_all_cells', 'n'];
  writeFileAtomic(path.join(outDir, 'conv-share.csv'), stringify([shareHeader, ...shareRows]));
  writeScores(path.join(outDir, 'scores.csv'), cellIndices, [['isometry_bn_gamma', isoScores], ['jacobian_isometry', jac], ['jacobian_mean_sq_singular', jacMeanSq], ['bn_nas', bnScores], ['fair_bn_composite', composite], ['bn_nas_fair', fairBnNas], ['conv_count', convCount]], truth);

  const wall = (performance.now() - started) / 1000;
  const markdown = [
    '## Dynamical-isometry fair NAS (Luo et al. 2023) on NB201 — reconstruction',
    '',
    `- **Reconstruction** from the abstract; every row says so. Cells: ${cells.length}; ground truth ${truth.label}. Backend ${backend}. ${wall.toFixed(0)} s in all (Jacobian proxy ${jacSeconds.toFixed(0)} s).`,
    `- ${scale}. Isometric supernet: ${iso.summary.trainSeconds.toFixed(0)} s of training (${iso.summary.resumedFrom === null ? 'fresh' : `checkpoint at step ${iso.summary.resumedFrom}`}); BN-NAS supernet ${bn.summary.resumedFrom === null ? 'trained here' : 'checkpoint reused'}; fair supernet ${fair.result.resumedFrom === null ? 'trained here' : 'checkpoint reused'}.`,
    '',
    '### Correlation with accuracy',
    '',
    correlationTableMarkdown(corrRows),
    '',
    '### Share of convolutions in the top-k cells',
    '',
    markdownTable(shareHeader, shareRows, ['l', 'r', 'r', 'r', 'r', 'r']),
    '',
  ].join('\n');
  writeFileAtomic(path.join(outDir, 'README.md'), markdown);
  const files = ['correlation.csv', 'correlation.md', 'conv-share.csv', 'scores.csv', 'README.md'].map((f) => `${dir}/${f}`);
  return { name: 'nb201-isometry', markdown, files };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const program = reproduceCommand('nb201', 'Dynamical-isometry fair NAS on NB201 (reconstruction): isometric BN-only supernet, Jacobian proxy, vs BN-NAS and fair-BN')
    .option('--steps <n>', `BN-only training steps (default ${ISOMETRY_DEFAULTS.steps})`)
    .option('--cells <n>', `cells scored (default ${ISOMETRY_DEFAULTS.cells})`)
    .option('--probes <n>', `Jacobian probes per cell (default ${ISOMETRY_DEFAULTS.probes})`)
    .option('--full', 'C=16 N=5, 625 steps, 1,000 cells (hours on a CPU)');
  await runReproduction<StandaloneOptions & { probes?: string }>(program, async (opt) => {
    const base = opt.full ? ISOMETRY_FULL : ISOMETRY_DEFAULTS;
    const cells = positiveInt(opt.cells, '--cells') ?? base.cells;
    const { ctx } = await standaloneContext({ ...opt, full: false }, cells);
    try {
      const out = await runIsometryExperiment(ctx, { ...base, cells, steps: positiveInt(opt.steps, '--steps') ?? base.steps, probes: positiveInt(opt.probes, '--probes') ?? base.probes });
      return out.markdown;
    } finally {
      ctx.store.close();
    }
  });
}
