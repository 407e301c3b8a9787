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
 * Cells: those of the other NB101 experiments (nb101-naswot.ts `chosenCells`: 1,000 sampled, or
 * all with FULL=1; the indicator costs a table lookup per cell). FULL=1 also trains NB101's three
 * modules per stack for 625 steps with a 1x/2x/4x ladder. Checkpoints in <cache>/supernets-nb101/
 * make every run resumable and a rerun with the same settings trains nothing.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { datasetDir, DATASET_SOURCES, loadImageSet } from '../src/datasets/load.ts';
import type { ImageSet } from '../src/datasets/types.ts';
import { initBackend } from '../src/engine/backend.ts';
import { measuredEntry, missingEntry } from '../src/pipeline/correlation-entry.ts';
import { snapshotGammas } from '../src/proxies/bn-nas.ts';
import { nb101BnNasScoreOf, nb101CellOps, nb101GammaTable, type NB101CellOp } from '../src/proxies/bn-nas-nb101.ts';
import { convShareTopKOf } from '../src/proxies/fair-bn-unfairness.ts';
import { buildCorrelationRows, correlationTableMarkdown, writeCorrelationTable, type CorrelationEntry } from '../src/report/correlation-table.ts';
import { csvNumber, markdownTable, mdNumber } from '../src/report/format.ts';
import { validateSpec, type ModelSpec } from '../src/spaces/nb101.ts';
import { correlate, type CorrelationMetric } from '../src/stats/index.ts';
import type { TrainSnapshot } from '../src/supernet/checkpoint.ts';
import { NB101_SUPERNET, type NB101Slot, type NB101SupernetOptions } from '../src/supernet/nb101-supernet.ts';
import { PAPER_OPTIMISER, resolveTrainConfig, type TrainConfig, type TrainMode } from '../src/supernet/train-config.ts';
import { medianStepSeconds, trainOrResume } from '../src/supernet/train-run.ts';
import { stepsPerEpoch } from '../src/supernet/train-sampling.ts';
import { stepTimeCalibration } from '../src/supernet/train-timing.ts';
import { writeFileAtomic } from '../src/util/atomic-file.ts';
import { chosenCells, type Candidate, type NB101ExperimentContext } from './nb101-naswot.ts';
import { timeRatio } from './nb201-bn-nas.ts';
import { originWithFiles } from '../src/pipeline/ground-truth.ts';

const METRICS: CorrelationMetric[] = ['kendall_tau', 'spearman'];
const TOP_K_FRACTIONS = [0.05, 0.01];
export const NB101_SUPERNET_NOTE = 'NB101 supernet: our construction, channel-sliced weight sharing (src/supernet/nb101-supernet.ts)';

export interface NB101BnOptions {
  steps?: number;
  cellsPerStack?: number;
  batchSize?: number;
  ladder?: number[];
  snapshots?: number;
  trainSeed?: number;
  checkpointDir?: string;
}

export const NB101_BN_DEFAULTS = Object.freeze({ steps: 300, cellsPerStack: 1, batchSize: 64, ladder: [1, 2], snapshots: 6, trainSeed: 0 });
/** FULL=1: NB101's 3 modules per stack, 10 epochs of the 4,000 images, a 1x/2x/4x ladder. */
export const NB101_BN_FULL = Object.freeze({ steps: 625, cellsPerStack: 3, batchSize: 64, ladder: [1, 2, 4], snapshots: 10, trainSeed: 0 });

export type NB101ParamLabel = { name: string; kind: string; slot?: NB101Slot };

export interface NB101RunSummary {
  label: string;
  mode: TrainMode;
  multiple: number | null;
  steps: number;
  medianStep: number;
  trainSeconds: number;
  resumedFrom: number | null;
  snapshots: TrainSnapshot[];
}

/** Everything the two NB101 supernet experiments (this one and nb101-fair-bn.ts) start from. */
export interface NB101SupernetInputs {
  backend: string;
  started: number;
  images: ImageSet;
  cells: Candidate[];
  specs: ModelSpec[];
  y: Float64Array;
  truthLabel: string;
  convFraction: Float64Array;
  checkpointDir: string;
}

/** Why the experiment cannot run (no CIFAR-10 images), or undefined. */
export function nb101Unavailable(ctx: NB101ExperimentContext): string | undefined {
  const dir = datasetDir(ctx.dataDir, 'cifar10');
  return existsSync(dir) ? undefined : `data not present: no cifar10 images in ${dir} (${DATASET_SOURCES.cifar10.whereToGetIt})`;
}

export async function nb101SupernetInputs(ctx: NB101ExperimentContext, cells: Candidate[], checkpointDir: string | undefined): Promise<NB101SupernetInputs> {
  const info = await initBackend(ctx.backend);
  const specs = cells.map((c) => validateSpec(c.spec));
  const origins = [...new Set(cells.map((c) => c.origin))].map((o) => originWithFiles(ctx.store, o)).join(' / ');
  return {
    backend: `${info.name} ${info.version}`,
    started: performance.now(),
    images: loadImageSet(ctx.dataDir, 'cifar10', 'train'),
    cells,
    specs,
    y: Float64Array.from(cells, (c) => c.accuracy),
    truthLabel: `cifar10 valid 108ep, one training run (${origins})`,
    convFraction: Float64Array.from(specs, (s) => {
      const interior = s.ops.slice(1, -1);
      return interior.length === 0 ? 0 : interior.filter((o) => o !== 'maxpool3x3').length / interior.length;
    }),
    checkpointDir: checkpointDir ?? path.join(ctx.cacheDir, 'supernets-nb101'),
  };
}

/** Trains (or resumes / reuses) one NB101 supernet run; keeps its summary, labels and module shapes. */
export function runNB101(label: string, multiple: number | null, supernet: NB101SupernetOptions, config: TrainConfig, snapshots: number, images: ImageSet, dir: string) {
  const run = trainOrResume({ label, supernet, config, snapshotEvery: Math.max(1, Math.round(config.steps / snapshots)) }, images, dir, NB101_SUPERNET);
  try {
    const seconds = run.result.log.stepSeconds;
    const summary: NB101RunSummary = {
      label,
      mode: config.mode,
      multiple,
      steps: config.steps,
      medianStep: medianStepSeconds(run.result),
      trainSeconds: seconds.reduce((a, b) => a + b, 0),
      resumedFrom: run.result.resumedFrom,
      snapshots: run.result.snapshots,
    };
    const labels: NB101ParamLabel[] = run.supernet.params.map(({ name, kind, label }) => ({ name, kind, slot: label }));
    return { summary, labels, modules: run.supernet.modules };
  } finally {
    run.supernet.dispose();
  }
}

/** Every cell's vertex ops and widths in the supernet of this shape (once per run, not per snapshot). */
export function cellOpsOf(modules: readonly { inChannels: number; outChannels: number }[], specs: readonly ModelSpec[]): NB101CellOp[][] {
  return specs.map((s) => nb101CellOps(modules, s));
}

/** BN-NAS scores of the cells (their `cellOpsOf`) from one snapshot's gammas. */
export function nb101BnNasScores(labels: readonly NB101ParamLabel[], modules: readonly { inChannels: number; outChannels: number }[], snapshot: TrainSnapshot, cellOps: readonly NB101CellOp[][]): Float64Array {
  const table = nb101GammaTable(snapshotGammas(labels, snapshot.values), modules);
  return Float64Array.from(cellOps, (ops) => nb101BnNasScoreOf(table, ops));
}

export function nb101Entry(method: string, metric: CorrelationMetric, inp: NB101SupernetInputs, x: Float64Array, seconds: number, notes: string[]): CorrelationEntry {
  return measuredEntry({ method, benchmark: 'nb101', dataset: 'cifar10', groundTruth: inp.truthLabel, metric, published: null }, x, inp.y, { backend: inp.backend, wallSeconds: seconds, notes });
}

/** Rows saying why there is no number (no images). */
export function nb101UnavailableOutput(ctx: NB101ExperimentContext, dir: string, title: string, methods: readonly string[], why: string): { markdown: string; files: string[] } {
  const rows = buildCorrelationRows(
    methods.flatMap((method) => METRICS.map((metric) => missingEntry({ method, benchmark: 'nb101', dataset: 'cifar10', groundTruth: 'cifar10 valid 108ep', metric }, why))),
  );
  writeCorrelationTable(rows, { csv: path.join(ctx.outDir, dir, 'correlation.csv'), markdown: path.join(ctx.outDir, dir, 'correlation.md') });
  return { markdown: `## ${title}\n\n${why}\n\n${correlationTableMarkdown(rows)}`, files: [`${dir}/correlation.csv`, `${dir}/correlation.md`] };
}

export function nb101SupernetOptions(ctx: NB101ExperimentContext, cellsPerStack: number, fair: boolean): NB101SupernetOptions {
  return { stemChannels: ctx.stemChannels, cellsPerStack, numClasses: 10, seed: 0, fair };
}

/** One row per cell: hash, each indicator, the accuracy. */
export function writeNB101Scores(file: string, inp: NB101SupernetInputs, columns: ReadonlyArray<[string, ArrayLike<number>]>): void {
  const rows = inp.cells.map((c, i) => [c.hash, ...columns.map(([, v]) => v[i]), c.accuracy]);
  writeFileAtomic(file, stringify(rows, { header: true, columns: ['hash', ...columns.map(([n]) => n), 'valid_accuracy_108'] }));
}

/** Options left undefined keep their defaults (a spread would overwrite them with undefined). */
export function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const ladderLabel = (m: number) => (m === 1 ? 'standard supernet, equal time' : `standard supernet, ${m}x time`);

export async function run(ctx: NB101ExperimentContext, opts: NB101BnOptions = {}): Promise<{ markdown: string; files: string[] }> {
  const o = { ...(ctx.sample === undefined ? NB101_BN_FULL : NB101_BN_DEFAULTS), ...definedOnly(opts) };
  const dir = 'bn-nas';
  const outDir = path.join(ctx.outDir, dir);
  const why = nb101Unavailable(ctx);
  if (why) return nb101UnavailableOutput(ctx, dir, 'BN-NAS on NB101', ['bn-nas (bn-only supernet)'], why);
  const inp = await nb101SupernetInputs(ctx, chosenCells(ctx), o.checkpointDir);
  const supernet = nb101SupernetOptions(ctx, o.cellsPerStack, false);
  const epochs = (o.steps / stepsPerEpoch(inp.images.size, o.batchSize)).toFixed(1);

  const bn = runNB101('bn-only', null, supernet, resolveTrainConfig({ mode: 'bn-only', steps: o.steps, batchSize: o.batchSize, seed: o.trainSeed }), o.snapshots, inp.images, inp.checkpointDir);
  const calibration = stepTimeCalibration(NB101_SUPERNET, inp.checkpointDir, supernet, inp.images, o.batchSize);
  const standard = o.ladder.map((m) => {
    const steps = Math.max(1, Math.round((m * o.steps) / calibration.ratio));
    return runNB101(`standard-x${m}`, m, supernet, resolveTrainConfig({ mode: 'standard', steps, batchSize: o.batchSize, seed: o.trainSeed }), o.snapshots, inp.images, inp.checkpointDir).summary;
  });
  const runs = [bn.summary, ...standard];
  const cellOps = cellOpsOf(bn.modules, inp.specs);
  const scoresAt = (s: TrainSnapshot) => nb101BnNasScores(bn.labels, bn.modules, s, cellOps);
  const scoresOf = new Map(runs.map((r) => [r.label, scoresAt(r.snapshots[r.snapshots.length - 1]!)]));
  const convCount = scoresAt(bn.summary.snapshots[0]!);

  const scale = `${NB101_SUPERNET_NOTE}; stem ${ctx.stemChannels}, ${o.cellsPerStack} module(s) per stack (NB101: 128, 3); batch ${o.batchSize} on ${inp.images.size} CIFAR-10 training images; lr ${PAPER_OPTIMISER.lr} linear decay, momentum 0.9, label smoothing 0.1`;
  const common = [scale, 'validation (not test) accuracy of a single run', 'the paper reports no NB101 correlation (reference/published.csv has none)'];
  const entries: CorrelationEntry[] = [];
  for (const metric of METRICS) {
    entries.push(nb101Entry('bn-nas (bn-only supernet)', metric, inp, scoresOf.get('bn-only')!, bn.summary.trainSeconds, [`${o.steps} BN-only steps (${epochs} epochs), ${bn.summary.trainSeconds.toFixed(0)} s of training`, 'max-pool scores 0 (no BN), as the reference', ...common]));
    for (const r of standard) {
      entries.push(nb101Entry(`bn-nas (${ladderLabel(r.multiple!)})`, metric, inp, scoresOf.get(r.label)!, r.trainSeconds, [`${r.steps} standard steps = ${r.multiple}x the BN-only training time by the measured step costs`, ...common]));
    }
    entries.push(nb101Entry('conv count (bn-nas at initialisation)', metric, inp, convCount, 0, ['every gamma is 1 before training: modules x the number of conv vertices', ...common]));
  }
  const corrRows = buildCorrelationRows(entries);
  writeCorrelationTable(corrRows, { csv: path.join(outDir, 'correlation.csv'), markdown: path.join(outDir, 'correlation.md') });

  const timingRows = runs.map((r) => [r.label, r.mode, String(r.steps), csvNumber(r.medianStep, 4), csvNumber(r.trainSeconds, 1), r.resumedFrom === null ? 'fresh' : String(r.resumedFrom)]);
  writeFileAtomic(path.join(outDir, 'timing.csv'), stringify([['run', 'mode', 'steps', 'median_step_s', 'train_s', 'resumed_from'], ...timingRows]));
  const curveRows = runs.flatMap((r) =>
    r.snapshots.map((s) => {
      const x = scoresAt(s);
      return [r.label, r.mode, String(s.step), csvNumber(s.trainSeconds, 2), csvNumber(correlate('kendall_tau', x, inp.y).value), csvNumber(correlate('spearman', x, inp.y).value)];
    }),
  );
  writeFileAtomic(path.join(outDir, 'curve.csv'), stringify([['run', 'mode', 'step', 'train_seconds', 'kendall_tau', 'spearman'], ...curveRows]));

  const tau = (label: string) => correlate('kendall_tau', scoresOf.get(label)!, inp.y).value;
  const ratio = timeRatio(tau('bn-only'), standard.map((r) => ({ multiple: r.multiple!, tau: tau(r.label) })));
  const ratioRows = runs.map((r) => [r.label, r.multiple === null ? '' : String(r.multiple), String(r.steps), csvNumber(r.trainSeconds, 1), csvNumber(tau(r.label))]);
  writeFileAtomic(path.join(outDir, 'time-ratio.csv'), stringify([['run', 'multiple_of_bn_only_time', 'steps', 'train_s', 'kendall_tau'], ...ratioRows, ['ratio (standard time / bn-only time for equal tau)', ratio, '', '', '']]));

  const shareHeader = ['indicator', 'k', 'conv_share_indicator_topk', 'conv_share_true_topk', 'conv_share_all_cells', 'n'];
  const shareRows = TOP_K_FRACTIONS.flatMap((fraction) =>
    runs.map((r) => {
      const s = convShareTopKOf(inp.convFraction, scoresOf.get(r.label)!, inp.y, { fraction });
      return [`bn-nas (${r.label})`, String(s.k), csvNumber(s.indicator, 4), csvNumber(s.truth, 4), csvNumber(s.pool, 4), String(s.n)];
    }),
  );
  writeFileAtomic(path.join(outDir, 'conv-share.csv'), stringify([shareHeader, ...shareRows]));
  writeNB101Scores(path.join(outDir, 'scores.csv'), inp, [['conv_count', convCount], ...runs.map((r): [string, Float64Array] => [r.label, scoresOf.get(r.label)!])]);

  const wall = (performance.now() - inp.started) / 1000;
  const markdown = [
    '## BN-NAS (Chen et al., ICCV 2021) on NB101, scaled down',
    '',
    `- Cells: ${inp.cells.length}; ground truth ${inp.truthLabel}. Backend ${inp.backend}. ${wall.toFixed(0)} s in all.`,
    `- Supernet and scale (our choices): ${scale}. BN-only: ${o.steps} steps (${epochs} epochs).`,
    `- Step cost (${calibration.reused ? 'saved calibration reused' : 'measured now'}): bn-only ${calibration.bnOnly.toFixed(3)} s, standard ${calibration.standard.toFixed(3)} s per step (ratio ${calibration.ratio.toFixed(2)}).`,
    '',
    correlationTableMarkdown(corrRows),
    '',
    `Training-time ratio for equal indicator quality (paper: >10x): target τ ${mdNumber(tau('bn-only'), 3)} (BN-only); **${ratio}**.`,
    '',
    markdownTable(['run', 'm', 'steps', 'training s', 'kendall τ'], ratioRows.map((r) => [r[0]!, r[1]!, r[2]!, r[3]!, mdNumber(Number(r[4]), 3)]), ['l', 'r', 'r', 'r', 'r']),
    '',
    'Share of convolutions (of the interior vertices) in the top-k cells:',
    '',
    markdownTable(shareHeader, shareRows, ['l', 'r', 'r', 'r', 'r', 'r']),
    '',
  ].join('\n');
  writeFileAtomic(path.join(outDir, 'README.md'), markdown);
  const files = ['correlation.csv', 'correlation.md', 'timing.csv', 'curve.csv', 'time-ratio.csv', 'conv-share.csv', 'scores.csv', 'README.md'].map((f) => `${dir}/${f}`);
  return { markdown, files };
}
