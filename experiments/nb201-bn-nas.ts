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
 * Scaled down for a 2-core CPU (every report row says so): a supernet of C=8, N=1 (NB201 uses
 * C=16, N=5) and `steps` = 300 BN-only steps at batch 64 on the 4,000 CIFAR-10 training images
 * in the shared data (~5 epochs), against the paper's 10 epochs of ImageNet at batch 512
 * (~24,000 steps). The optimiser settings are the paper's (src/supernet/train-config.ts).
 * `--full` trains NB201's own macro-structure (C=16, N=5) for 625 steps (10 epochs of the 4,000
 * images, the paper's epoch count), with a 1x/2x/4x standard ladder, on all 15,625 cells: hours on
 * a CPU. Supernet checkpoints live in <cache>/supernets/ and make every run resumable (and a
 * rerun with the same settings retrains nothing).
 *
 * Runnable alone:
 *   node --import tsx experiments/nb201-bn-nas.ts --data ../shared/data --store-dir data [--steps N] [--cells N] [--full]
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'csv-stringify/sync';
import type { MetricQuery } from '../src/benchmarks/store.ts';
import { openBenchmarkStore } from '../src/pipeline/data-sources.ts';
import { datasetDir, DATASET_SOURCES, loadImageSet } from '../src/datasets/load.ts';
import type { ImageSet } from '../src/datasets/types.ts';
import { initBackend, parseBackendName, type BackendName } from '../src/engine/backend.ts';
import type { NB201Op } from '../src/models/nb201-cell.ts';
import type { EdgeRef, ParamKind } from '../src/models/nb201-network.ts';
import { nb201ExperimentContext, type ExperimentContext, type ExperimentOutput } from '../src/pipeline/context.ts';
import { groundTruth, valuesAt } from '../src/pipeline/ground-truth.ts';
import { reproduceCommand, runReproduction } from '../src/pipeline/reproduce-cli.ts';
import { bnNasScore, opGammaScores, snapshotGammas } from '../src/proxies/bn-nas.ts';
import { convShareTopK } from '../src/proxies/fair-bn-unfairness.ts';
import { measuredEntry, missingEntry } from '../src/pipeline/correlation-entry.ts';
import { buildCorrelationRows, correlationTableMarkdown, writeCorrelationTable, type CorrelationEntry, type PublishedValue } from '../src/report/correlation-table.ts';
import { csvNumber, markdownTable, mdNumber } from '../src/report/format.ts';
import { PublishedTable } from '../src/report/published.ts';
import { selectNB201Cells, type CellSelection } from '../src/scoring/cell-selection.ts';
import { archStringFromIndex, cellFromIndex } from '../src/spaces/nb201-index.ts';
import { correlate, type CorrelationMetric } from '../src/stats/index.ts';
import type { TrainSnapshot } from '../src/supernet/checkpoint.ts';
import { NB201_SUPERNET, type SupernetOptions } from '../src/supernet/nb201-supernet.ts';
import { PAPER_OPTIMISER, resolveTrainConfig, type TrainMode } from '../src/supernet/train-config.ts';
import { medianStepSeconds, trainOrResume } from '../src/supernet/train-run.ts';
import { stepTimeCalibration, type StepTimeCalibration } from '../src/supernet/train-timing.ts';
import { stepsPerEpoch } from '../src/supernet/train-sampling.ts';
import { writeFileAtomic } from '../src/util/atomic-file.ts';
import { DataError } from '../src/util/errors.ts';

export const BN_NAS_TRUTH: MetricQuery = { dataset: 'cifar10-valid', split: 'x-valid', epochs: 200 };
const PAPER = 'bn-nas-iccv2021';
const METRICS: CorrelationMetric[] = ['kendall_tau', 'spearman'];
const TOP_K_FRACTIONS = [0.05, 0.01];

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

export const BN_NAS_DEFAULTS = Object.freeze({ steps: 300, C: 8, N: 1, batchSize: 64, ladder: [1, 2], snapshots: 6, trainSeed: 0 });
/** `--full`: NB201's macro-structure, the paper's 10 epochs (of our 4,000 images), all cells. */
export const BN_NAS_FULL = Object.freeze({ steps: 625, C: 16, N: 5, batchSize: 64, ladder: [1, 2, 4], snapshots: 10, trainSeed: 0 });

/** A parameter's labels (what gamma indicators need besides the values). */
export type ParamLabel = { name: string; kind: ParamKind; edge?: EdgeRef };

/** One finished training run, reduced to what the report needs (the supernet is disposed). */
export interface RunSummary {
  label: string;
  mode: TrainMode;
  multiple: number | null;
  steps: number;
  medianStep: number;
  meanStep: number;
  trainSeconds: number;
  resumedFrom: number | null;
  checkpoint: string;
  snapshots: TrainSnapshot[];
}

/** The first `n` cells of the run's selection (all for FULL or a list). */
export function experimentCells(ctx: ExperimentContext, n: number | undefined): number[] {
  const cells = selectNB201Cells(ctx.selection);
  return n !== undefined && ctx.selection.kind === 'sample' ? cells.slice(0, Math.min(n, cells.length)) : cells;
}

/** Trains (or resumes / reuses) one run and keeps only its summary and the parameter labels. */
export function runAndSummarise(
  label: string,
  multiple: number | null,
  supernet: SupernetOptions,
  config: ReturnType<typeof resolveTrainConfig>,
  snapshots: number,
  images: ImageSet,
  checkpointDir: string,
): { summary: RunSummary; labels: ParamLabel[] } {
  const run = trainOrResume({ label, supernet, config, snapshotEvery: Math.max(1, Math.round(config.steps / snapshots)) }, images, checkpointDir, NB201_SUPERNET);
  try {
    const seconds = run.result.log.stepSeconds;
    const trainSeconds = seconds.reduce((a, b) => a + b, 0);
    return {
      summary: {
        label,
        mode: config.mode,
        multiple,
        steps: config.steps,
        medianStep: medianStepSeconds(run.result),
        meanStep: trainSeconds / seconds.length,
        trainSeconds,
        resumedFrom: run.result.resumedFrom,
        checkpoint: run.checkpointFile,
        snapshots: run.result.snapshots,
      },
      labels: run.supernet.params.map(({ name, kind, label }) => ({ name, kind, edge: label })),
    };
  } finally {
    run.supernet.dispose();
  }
}

/** BN-NAS scores of `cells` from one snapshot's gammas. */
export function bnNasScores(labels: readonly ParamLabel[], snapshot: TrainSnapshot, cells: readonly (readonly NB201Op[])[]): Float64Array {
  const table = opGammaScores(snapshotGammas(labels, snapshot.values));
  return Float64Array.from(cells, (c) => bnNasScore(table, c));
}

/** A measured row of this experiment (NB201, CIFAR-10): correlation, bootstrap interval, notes. */
export function correlationEntry(
  method: string,
  metric: CorrelationMetric,
  truthLabel: string,
  x: Float64Array,
  y: Float64Array,
  backend: string,
  wallSeconds: number,
  notes: string[],
  published: PublishedValue | undefined,
): CorrelationEntry {
  return measuredEntry({ method, benchmark: 'nb201', dataset: 'cifar10', groundTruth: truthLabel, metric, published }, x, y, { backend, wallSeconds, notes });
}

export function missingEntries(methods: readonly string[], truthLabel: string, reason: string): CorrelationEntry[] {
  return methods.flatMap((method) => METRICS.map((metric) => missingEntry({ method, benchmark: 'nb201', dataset: 'cifar10', groundTruth: truthLabel, metric }, reason)));
}

/** Why the CIFAR-10 images or the ground truth are unavailable, or undefined when both are there. */
export function unavailable(ctx: ExperimentContext): string | undefined {
  const dir = datasetDir(ctx.dataDir, 'cifar10');
  if (!existsSync(dir)) return `data not present: no cifar10 images in ${dir} (${DATASET_SOURCES.cifar10.whereToGetIt})`;
  const truth = groundTruth(ctx.store, BN_NAS_TRUTH);
  if ('missing' in truth) return `ground truth not in store: ${truth.missing}`;
  return undefined;
}

/**
 * What both supernet experiments (this one and nb201-fair-bn.ts) start from: the backend, the
 * CIFAR-10 training images, the cells with their accuracies, and where checkpoints live.
 */
export async function supernetRunInputs(ctx: ExperimentContext, cellIndices: number[], checkpointDir: string | undefined) {
  const backendInfo = await initBackend(ctx.backend);
  const truth = groundTruth(ctx.store, BN_NAS_TRUTH) as { label: string; values: Float64Array };
  return {
    backendInfo,
    backend: `${backendInfo.name} ${backendInfo.version}`,
    started: performance.now(),
    truth,
    images: loadImageSet(ctx.dataDir, 'cifar10', 'train'),
    cellIndices,
    cells: cellIndices.map((i) => cellFromIndex(i).ops),
    y: valuesAt(truth.values, cellIndices),
    checkpointDir: checkpointDir ?? path.join(ctx.cacheDir, 'supernets'),
  };
}

/** The report of a supernet experiment that cannot run (no images or no ground truth): rows saying why. */
export function unavailableOutput(ctx: ExperimentContext, name: string, dir: string, title: string, methods: readonly string[], why: string): ExperimentOutput {
  const outDir = path.join(ctx.outDir, dir);
  const rows = buildCorrelationRows(missingEntries(methods, groundTruth(ctx.store, BN_NAS_TRUTH).label, why));
  writeCorrelationTable(rows, { csv: path.join(outDir, 'correlation.csv'), markdown: path.join(outDir, 'correlation.md') });
  return { name, markdown: `## ${title}\n\n${why}\n\n${correlationTableMarkdown(rows)}`, files: [`${dir}/correlation.csv`, `${dir}/correlation.md`] };
}

function ladderLabel(m: number): string {
  return m === 1 ? 'standard supernet, equal time' : `standard supernet, ${m}x time`;
}

export async function runBnNasExperiment(ctx: ExperimentContext, opts: BnNasOptions = {}): Promise<ExperimentOutput> {
  const o = { ...BN_NAS_DEFAULTS, ...opts };
  const outDir = path.join(ctx.outDir, 'bn-nas');
  const files: string[] = [];
  const why = unavailable(ctx);
  if (why !== undefined) {
    return unavailableOutput(ctx, 'nb201-bn-nas', 'bn-nas', 'BN-NAS (Chen et al., ICCV 2021)', ['bn-nas (bn-only supernet)', `bn-nas (${ladderLabel(1)})`], why);
  }
  const { backendInfo, backend, started, truth, images, cellIndices, cells, y, checkpointDir } = await supernetRunInputs(ctx, experimentCells(ctx, o.cells), o.checkpointDir);
  const supernet: SupernetOptions = { C: o.C, N: o.N, numClasses: images.numClasses, bn: 'standard', fair: false, seed: ctx.initSeed };
  const epochs = (o.steps / stepsPerEpoch(images.size, o.batchSize)).toFixed(1);

  // 1. BN-only; 2. the step-time calibration; 3. the standard ladder.
  const bn = runAndSummarise('bn-only', null, supernet, resolveTrainConfig({ mode: 'bn-only', steps: o.steps, batchSize: o.batchSize, seed: o.trainSeed }), o.snapshots, images, checkpointDir);
  const calibration = stepTimeCalibration(NB201_SUPERNET, checkpointDir, supernet, images, o.batchSize);
  const standard = o.ladder.map((m) => {
    const steps = Math.max(1, Math.round((m * o.steps) / calibration.ratio));
    return runAndSummarise(`standard-x${m}`, m, supernet, resolveTrainConfig({ mode: 'standard', steps, batchSize: o.batchSize, seed: o.trainSeed }), o.snapshots, images, checkpointDir).summary;
  });
  const labels = bn.labels;
  const runs = [bn.summary, ...standard];

  const finalOf = (r: RunSummary) => r.snapshots[r.snapshots.length - 1]!;
  const scoresOf = new Map(runs.map((r) => [r.label, bnNasScores(labels, finalOf(r), cells)]));
  const convCount = bnNasScores(labels, bn.summary.snapshots[0]!, cells); // all gammas 1 at step 0
  const scale = `supernet C=${o.C}, N=${o.N} (NB201: C=16, N=5); batch ${o.batchSize} on ${images.size} CIFAR-10 training images; lr ${PAPER_OPTIMISER.lr} linear decay, momentum 0.9, label smoothing 0.1`;
  const sampleNote = ctx.selection.kind === 'all' ? [] : [`sample of ${cells.length} cells, not all 15,625`];
  const published = (metric: CorrelationMetric) => ctx.published.lookup({ paper: PAPER, benchmark: 'nb201', dataset: 'cifar10', method: 'bn-nas', metric, groundTruth: 'cifar10-valid x-valid 200ep' });
  const noPublished = 'the paper reports no NB201 correlation (reference/published.csv has none)';

  const entries: CorrelationEntry[] = [];
  for (const metric of METRICS) {
    entries.push(
      correlationEntry(`bn-nas (bn-only supernet)`, metric, truth.label, scoresOf.get('bn-only')!, y, backend, bn.summary.trainSeconds, [
        `${o.steps} BN-only steps (${epochs} epochs), ${bn.summary.trainSeconds.toFixed(0)} s of training`,
        scale,
        ...sampleNote,
        noPublished,
      ], published(metric)),
    );
    for (const r of standard) {
      entries.push(
        correlationEntry(`bn-nas (${ladderLabel(r.multiple!)})`, metric, truth.label, scoresOf.get(r.label)!, y, backend, r.trainSeconds, [
          `${r.steps} standard steps = ${r.multiple}x the BN-only training time by the measured step costs, ${r.trainSeconds.toFixed(0)} s of training`,
          scale,
          ...sampleNote,
        ], undefined),
      );
    }
    entries.push(
      correlationEntry('conv count (bn-nas at initialisation)', metric, truth.label, convCount, y, backend, 0, [
        'every gamma is 1 before training, so the indicator is 3N x the number of conv edges: the baseline training must beat',
        ...sampleNote,
      ], undefined),
    );
  }
  const corrRows = buildCorrelationRows(entries);
  writeCorrelationTable(corrRows, { csv: path.join(outDir, 'correlation.csv'), markdown: path.join(outDir, 'correlation.md') });
  files.push('bn-nas/correlation.csv', 'bn-nas/correlation.md');

  // Timing per mode.
  const timingHeader = ['run', 'mode', 'steps', 'median_step_s', 'mean_step_s', 'train_s', 'resumed_from', 'checkpoint'];
  const timingRows = runs.map((r) => [r.label, r.mode, String(r.steps), csvNumber(r.medianStep, 4), csvNumber(r.meanStep, 4), csvNumber(r.trainSeconds, 1), r.resumedFrom === null ? 'fresh' : String(r.resumedFrom), path.basename(r.checkpoint)]);
  writeFileAtomic(path.join(outDir, 'timing.csv'), stringify([timingHeader, ...timingRows]));
  files.push('bn-nas/timing.csv');

  // The tau-along-training curves.
  const curveRows: string[][] = [];
  for (const r of runs) {
    for (const s of r.snapshots) {
      const x = bnNasScores(labels, s, cells);
      curveRows.push([r.label, r.mode, String(s.step), csvNumber(s.trainSeconds, 2), csvNumber(correlate('kendall_tau', x, y).value), csvNumber(correlate('spearman', x, y).value)]);
    }
  }
  writeFileAtomic(path.join(outDir, 'curve.csv'), stringify([['run', 'mode', 'step', 'train_seconds', 'kendall_tau', 'spearman'], ...curveRows]));
  files.push('bn-nas/curve.csv');

  // Training-time ratio for equal indicator quality.
  const tau = (label: string) => correlate('kendall_tau', scoresOf.get(label)!, y).value;
  const ratio = timeRatio(tau('bn-only'), standard.map((r) => ({ multiple: r.multiple!, tau: tau(r.label) })));
  const ratioRows = [
    ['bn-only', '', String(bn.summary.steps), csvNumber(bn.summary.trainSeconds, 1), csvNumber(tau('bn-only'))],
    ...standard.map((r) => [r.label, String(r.multiple), String(r.steps), csvNumber(r.trainSeconds, 1), csvNumber(tau(r.label))]),
  ];
  writeFileAtomic(path.join(outDir, 'time-ratio.csv'), stringify([['run', 'multiple_of_bn_only_time', 'steps', 'train_s', 'kendall_tau'], ...ratioRows, ['ratio (standard time / bn-only time for equal tau)', ratio, '', '', '']]));
  files.push('bn-nas/time-ratio.csv');

  // Unfairness: conv share in the top k.
  const shareRows: string[][] = [];
  for (const fraction of TOP_K_FRACTIONS) {
    for (const [method, x] of [['bn-nas (bn-only supernet)', scoresOf.get('bn-only')!], ...standard.map((r): [string, Float64Array] => [`bn-nas (${ladderLabel(r.multiple!)})`, scoresOf.get(r.label)!])] as const) {
      const s = convShareTopK(cells, x, y, { fraction });
      shareRows.push([method, String(s.k), csvNumber(s.indicator, 4), csvNumber(s.truth, 4), csvNumber(s.pool, 4), String(s.n)]);
    }
  }
  const shareHeader = ['indicator', 'k', 'conv_share_indicator_topk', 'conv_share_true_topk', 'conv_share_all_cells', 'n'];
  writeFileAtomic(path.join(outDir, 'conv-share.csv'), stringify([shareHeader, ...shareRows]));
  files.push('bn-nas/conv-share.csv');

  writeScores(path.join(outDir, 'scores.csv'), cellIndices, [['conv_count', convCount], ...runs.map((r): [string, Float64Array] => [r.label, scoresOf.get(r.label)!])], truth);
  files.push('bn-nas/scores.csv');

  const wall = (performance.now() - started) / 1000;
  const markdown = [
    '## BN-NAS (Chen et al., ICCV 2021) on NB201, scaled down',
    '',
    `- Cells: ${cells.length} (${ctx.selection.kind === 'all' ? 'all' : 'a prefix of the run\'s seeded sample'}); ground truth ${truth.label}. Backend ${backend} (${backendInfo.detail}). ${wall.toFixed(0)} s in all.`,
    `- Scale (our choice; the paper trains 10 ImageNet epochs at batch 512): ${scale}. BN-only: ${o.steps} steps (${epochs} epochs); weights seed ${ctx.initSeed}, sampling seed ${o.trainSeed}.`,
    `- Step cost, measured interleaved before the standard runs (${calibration.reused ? 'saved calibration reused' : 'measured now'}): bn-only ${calibration.bnOnly.toFixed(3)} s, standard ${calibration.standard.toFixed(3)} s per step (ratio ${calibration.ratio.toFixed(2)}).`,
    '',
    '### Correlation of the indicator with accuracy',
    '',
    correlationTableMarkdown(corrRows),
    '',
    '### Wall time per step',
    '',
    markdownTable(['run', 'mode', 'steps', 'median s/step', 'mean s/step', 'training s'], runs.map((r) => [r.label, r.mode, String(r.steps), mdNumber(r.medianStep, 3), mdNumber(r.meanStep, 3), mdNumber(r.trainSeconds, 1)]), ['l', 'l', 'r', 'r', 'r', 'r']),
    '',
    '### Training-time ratio for equal indicator quality (paper: >10x)',
    '',
    `Target: Kendall τ of the BN-only run, ${mdNumber(tau('bn-only'), 3)}. Standard runs are complete runs of m x the BN-only training time (m in ${o.ladder.join(', ')}); the ratio is the smallest m whose τ reaches the target. Result: **${ratio}**.`,
    '',
    markdownTable(['run', 'm', 'steps', 'training s', 'kendall τ'], ratioRows.map((r) => [r[0]!, r[1]!, r[2]!, r[3]!, mdNumber(Number(r[4]), 3)]), ['l', 'r', 'r', 'r', 'r']),
    '',
    '### Unfairness: share of convolutions in the top-k cells',
    '',
    markdownTable(shareHeader, shareRows, ['l', 'r', 'r', 'r', 'r', 'r']),
    '',
  ].join('\n');
  writeFileAtomic(path.join(outDir, 'README.md'), markdown);
  files.push('bn-nas/README.md');
  return { name: 'nb201-bn-nas', markdown, files };
}

/**
 * The bracket for the time ratio: the smallest multiple m whose standard-run τ reaches the
 * BN-only τ (see the file comment).
 */
export function timeRatio(target: number, ladder: ReadonlyArray<{ multiple: number; tau: number }>): string {
  if (!Number.isFinite(target)) return 'undefined (BN-only tau is not a number)';
  const sorted = [...ladder].sort((a, b) => a.multiple - b.multiple);
  let previous: number | null = null;
  for (const { multiple, tau } of sorted) {
    if (tau >= target) return previous === null ? `<= ${multiple} (standard training of ${multiple}x the time already matches)` : `in (${previous}, ${multiple}]`;
    previous = multiple;
  }
  return `> ${previous ?? 0} (no standard run of up to ${previous ?? 0}x the time reached the BN-only tau)`;
}

/** One row per cell: each indicator's score and the accuracy. */
export function writeScores(file: string, cells: readonly number[], columns: ReadonlyArray<[string, ArrayLike<number>]>, truth: { label: string; values: Float64Array }): void {
  const rows = cells.map((c, i) => [c, archStringFromIndex(c), ...columns.map(([, v]) => v[i]), truth.values[c]]);
  writeFileAtomic(file, stringify(rows, { header: true, columns: ['index', 'arch', ...columns.map(([name]) => name), truth.label] }));
}

// ---------------------------------------------------------------------------------------------
// Running alone.

export interface StandaloneOptions {
  data: string;
  storeDir: string;
  store?: string;
  skipChecksum?: boolean;
  sampleSeed: string;
  backend?: string;
  out: string;
  cacheDir: string;
  full?: boolean;
  steps?: string;
  cells?: string;
}

/** The context the reproduce runner would hand over, for a run of one experiment alone. */
export async function standaloneContext(o: StandaloneOptions, defaultCells: number): Promise<{ ctx: ExperimentContext; cells: number | undefined }> {
  const cells = o.cells !== undefined ? Number(o.cells) : defaultCells;
  if (!Number.isInteger(cells) || cells < 1) throw new DataError(`--cells must be a positive integer, got ${o.cells}`);
  const selection: CellSelection = o.full ? { kind: 'all' } : { kind: 'sample', size: cells, seed: Number(o.sampleSeed) };
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const ctx: ExperimentContext = nb201ExperimentContext({
    dataDir: o.data,
    store: (await openBenchmarkStore({ benchmark: 'nb201', data: o.data, storeDir: o.storeDir, store: o.store, skipChecksum: o.skipChecksum })).store,
    published: PublishedTable.load(path.join(repo, 'reference', 'published.csv')),
    selection,
    cacheDir: o.cacheDir,
    outDir: o.out,
    backend: parseBackendName(o.backend),
  });
  return { ctx, cells: o.full ? undefined : cells };
}

export function positiveInt(v: string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new DataError(`${what} must be a positive integer, got ${v}`);
  return n;
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
      const ladder = o.ladder?.split(',').map((v) => Number(v));
      if (ladder && ladder.some((m) => !(m > 0))) throw new DataError(`--ladder must be positive numbers, got ${o.ladder}`);
      const out = await runBnNasExperiment(ctx, { ...base, cells, steps: positiveInt(o.steps, '--steps') ?? base.steps, ladder: ladder ?? [...base.ladder] });
      return out.markdown;
    } finally {
      ctx.store.close();
    }
  });
}
