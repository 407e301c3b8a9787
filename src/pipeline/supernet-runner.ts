/**
 * The second runner of issue 12: one path for the supernet experiments (BN-NAS, the fair-BN and
 * isometry reconstructions, on NB201 and NB101). An experiment declares a `SupernetSpec` — the
 * paper, the space's supernet, the trainings it needs, the indicators scored from them, the
 * cells with their ground truth, the metrics and where it differs from the paper — and this
 * runner does the mechanics, the same way for every table:
 *
 *   1. The CIFAR-10 images and the ground truth: when either is missing, every row says why and
 *      nothing is trained.
 *   2. Each training, in the order declared, through the checkpointed trainer
 *      (src/supernet/train-run.ts). A training is a label, a mode, supernet options, a seed, a
 *      batch size, a snapshot count and its steps, or a multiple of another training's time (the
 *      time ladder: the steps are fixed beforehand from the measured per-step cost of each mode,
 *      src/supernet/train-timing.ts; the measurement is saved beside the checkpoints). The
 *      checkpoint is <label>-<hash of every setting>.ckpt, so experiments that declare the same
 *      training share one checkpoint (the original-space BN-only supernet is BN-NAS's, fair-BN's
 *      and isometry's), a rerun trains nothing, and a killed run resumes.
 *   3. Each indicator: read off one snapshot of a training (BN-NAS's gammas; optionally at every
 *      snapshot too, for the τ-along-training curve), or computed from the trained supernet
 *      itself, or training-free; one plan may give several rows (fair-BN's parts and composite
 *      come from one pass over the cells).
 *   4. Per row and metric: the correlation with a bootstrap CI over the cells
 *      (correlation-entry.ts), identified for `nasrepro check` as every table's rows are (paper,
 *      benchmark, dataset, ground truth, method, metric, cell population), with the published
 *      value beside where the row names one.
 *   5. Writes, through the path the correlation runner writes with (experiment-output.ts):
 *      correlation.{csv,md} and scores-<dataset>.csv (from which the report draws the same
 *      scatters and rank heatmap as for every table); and what only supernets have: timing.csv
 *      (per training), curve.csv (the curve indicators' τ / ρ at each snapshot), time-ratio.csv
 *      (when the spec asks), conv-share.csv (Zhu et al.'s Finding 1 for every row) and README.md.
 *
 * A row's wall_seconds: the training time of the supernet it reads (none for the initial snapshot
 * or a training-free indicator) plus the time its plan took to score the cells.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { datasetDir, DATASET_SOURCES, loadImageSet } from '../datasets/load.ts';
import type { DatasetName, ImageSet } from '../datasets/types.ts';
import { initBackend, type BackendName } from '../engine/backend.ts';
import { convShareTopKOf } from '../proxies/fair-bn-unfairness.ts';
import { correlationTableMarkdown, type CorrelationEntry, type PublishedValue } from '../report/correlation-table.ts';
import { csvNumber, markdownTable, mdNumber } from '../report/format.ts';
import type { PublishedTable } from '../report/published.ts';
import { correlate, type CorrelationMetric } from '../stats/index.ts';
import type { TrainSnapshot } from '../supernet/checkpoint.ts';
import type { SupernetKind, TrainableSupernet } from '../supernet/supernet-space.ts';
import { resolveTrainConfig, type TrainMode } from '../supernet/train-config.ts';
import { medianStepSeconds, trainOrResume } from '../supernet/train-run.ts';
import { stepsPerEpoch } from '../supernet/train-sampling.ts';
import { stepTimeCalibration, type StepTimeCalibration } from '../supernet/train-timing.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';
import { measuredEntry, missingEntry, type RowIdentity } from './correlation-entry.ts';
import { scoresFileOf, sectionHead, writeCorrelationFiles, writeScoresFile, type ScoresColumn } from './experiment-output.ts';

/** One supernet training the experiment needs. */
export interface TrainingPlan<O> {
  /** The checkpoint's name (with the settings' hash) and the run's name in timing.csv and curve.csv. */
  label: string;
  mode: TrainMode;
  supernet: O;
  /** Steps, or `multiple` x the training time of the training labelled `timeOf` (a BN-only one; this one standard). */
  steps: number | { timeOf: string; multiple: number };
  batchSize: number;
  /** Seed of path sampling and batch order (the weights' seed is in the supernet options). */
  seed: number;
  /** Gamma snapshots along the run (the step-0 one included). */
  snapshots: number;
}

/** A finished training: its supernet (live until the indicators are scored) and what the report needs. */
export interface TrainedSupernet<S> {
  label: string;
  mode: TrainMode;
  /** The ladder multiple and the training whose time it multiplies, for a ladder training. */
  multiple: number | null;
  timeOf: string | null;
  steps: number;
  batchSize: number;
  supernet: S;
  snapshots: readonly TrainSnapshot[];
  medianStep: number;
  meanStep: number;
  trainSeconds: number;
  resumedFrom: number | null;
  checkpoint: string;
}

/** One row of the table (and one column of the scores file). */
export interface IndicatorRow {
  /** The row's method. */
  method: string;
  /** Its column in scores-<dataset>.csv. */
  column: string;
  notes?: readonly string[];
  /** The published row it is set beside (published.csv's method and ground-truth text). */
  published?: { method: string; groundTruth: string };
  /** A scores-file column only (a diagnostic beside an indicator): no row, no conv share. */
  columnOnly?: boolean;
}

/** An indicator read off one snapshot of a training (BN-NAS: the BN gammas it saved). */
export interface SnapshotIndicator<P, S> {
  training: string;
  /** 'final' (default): the trained supernet; 'initial': the step-0 snapshot, before training. */
  snapshot?: 'final' | 'initial';
  row: IndicatorRow;
  /** Also correlated at every snapshot of the training (curve.csv). */
  curve?: boolean;
  scoreAt(snapshot: TrainSnapshot, run: TrainedSupernet<S>, cells: readonly P[]): Float64Array;
}

/** Indicators computed from a trained supernet itself, or training-free (no `training`); one pass, several rows. */
export interface SupernetIndicator<P, S> {
  training?: string;
  rows: readonly IndicatorRow[];
  /** Scores per row column, aligned with the cells. */
  score(run: TrainedSupernet<S> | undefined, cells: readonly P[], images: ImageSet): Record<string, Float64Array>;
}

export type IndicatorPlan<P, S> = SnapshotIndicator<P, S> | SupernetIndicator<P, S>;

/** The cells an experiment scores (as the supernet's paths), their ground truth and what the report says about them. */
export interface SupernetCells<P> {
  cells: readonly P[];
  /** The scores file's key columns (NB201: index, arch; NB101: hash). */
  keys: readonly ScoresColumn[];
  /** The population's identity in check tables and its description. */
  population: { id: string; description: string };
  /** The accuracy of each cell, or why there is none. */
  truth: { label: string; y: Float64Array } | { label: string; missing: string };
  /** Share of convolutions among each cell's candidate ops (for the conv-share table). */
  convFraction: Float64Array;
}

export interface SupernetSpec<P, S extends TrainableSupernet<P>, O> {
  /** The results sub-folder ('bn-nas' -> <out>/bn-nas/). */
  experiment: string;
  /** The experiment's name on the summary page. */
  name: string;
  title: string;
  /** published.csv's paper id (the rows' identity) and its table when the paper has several. */
  paper: string;
  table?: string;
  benchmark: 'nb201' | 'nb101';
  /** The space's supernet builder and trainer adapter (NB201_SUPERNET, NB101_SUPERNET). */
  kind: SupernetKind<P, S, O>;
  /** The training images (and the table's dataset). */
  images: DatasetName;
  cells: SupernetCells<P>;
  trainings: readonly TrainingPlan<O>[];
  indicators: readonly IndicatorPlan<P, S>[];
  metrics: readonly CorrelationMetric[];
  /** Notes every row carries (the scale, the sample). */
  rowNotes: readonly string[];
  /** What is run, in the methods-section sense (the report prints these lines). */
  description: readonly string[];
  differences: readonly string[];
  /** Top-k fractions of the conv-share table (none: no table). */
  convShare?: readonly number[];
  /** Training time for equal indicator quality: the smallest ladder multiple whose τ reaches the reference's. */
  timeRatio?: { claim: string; reference: string; ladder: readonly string[] };
  /** Where the checkpoints and step-time calibrations are kept. */
  checkpointDir: string;
}

/** What the runner needs of a run (both spaces' experiment contexts have it). */
export interface SupernetRunContext {
  dataDir: string;
  outDir: string;
  published: PublishedTable;
  backend?: BackendName;
}

export interface SupernetRun {
  name: string;
  markdown: string;
  files: string[];
  entries: CorrelationEntry[];
}

const isSnapshot = <P, S>(p: IndicatorPlan<P, S>): p is SnapshotIndicator<P, S> => 'scoreAt' in p;
const rowsOf = <P, S>(p: IndicatorPlan<P, S>): readonly IndicatorRow[] => (isSnapshot(p) ? [p.row] : p.rows);

/** Why the run cannot happen (no images, no ground truth), or undefined. */
function unavailableReason(spec: { images: DatasetName; cells: { truth: SupernetCells<unknown>['truth'] } }, ctx: SupernetRunContext): string | undefined {
  const dir = datasetDir(ctx.dataDir, spec.images);
  if (!existsSync(dir)) return `data not present: no ${spec.images} images in ${dir} (${DATASET_SOURCES[spec.images].whereToGetIt})`;
  if ('missing' in spec.cells.truth) return `ground truth not in store: ${spec.cells.truth.missing}`;
  return undefined;
}

/** Checks the spec's internal references before anything trains: one clear line per mistake. */
function checkSpec<P, S extends TrainableSupernet<P>, O>(spec: SupernetSpec<P, S, O>): void {
  const where = `supernet spec '${spec.experiment}'`;
  const labels = spec.trainings.map((t) => t.label);
  const dup = labels.find((l, i) => labels.indexOf(l) !== i);
  if (dup) throw new RangeError(`${where}: training '${dup}' is declared twice`);
  spec.trainings.forEach((t, i) => {
    if (!Number.isInteger(t.snapshots) || t.snapshots < 1) throw new RangeError(`${where}: training '${t.label}' needs a positive whole number of snapshots, got ${t.snapshots}`);
    if (typeof t.steps === 'number') return;
    const ref = spec.trainings.findIndex((r) => r.label === (t.steps as { timeOf: string }).timeOf);
    if (ref < 0 || ref >= i) throw new RangeError(`${where}: training '${t.label}' is a multiple of '${t.steps.timeOf}', which is not declared before it`);
    if (spec.trainings[ref]!.mode !== 'bn-only' || t.mode !== 'standard') throw new RangeError(`${where}: the time ladder measures standard steps against bn-only ones; '${t.label}' is ${t.mode} against ${spec.trainings[ref]!.mode}`);
  });
  const columns = spec.indicators.flatMap((p) => rowsOf(p).map((r) => r.column));
  const twice = columns.find((c, i) => columns.indexOf(c) !== i);
  if (twice) throw new RangeError(`${where}: scores column '${twice}' is declared twice`);
  for (const p of spec.indicators) if (p.training !== undefined && !labels.includes(p.training)) throw new RangeError(`${where}: an indicator reads training '${p.training}', which is not declared`);
  for (const c of spec.timeRatio ? [spec.timeRatio.reference, ...spec.timeRatio.ladder] : []) {
    if (!spec.indicators.some((p) => isSnapshot(p) && p.row.column === c)) throw new RangeError(`${where}: the time ratio names column '${c}', not a snapshot indicator's`);
  }
}

/** Runs the spec: trains, scores, correlates, writes <out>/<experiment>/; returns the report section. */
export async function runSupernetSpec<P, S extends TrainableSupernet<P>, O>(spec: SupernetSpec<P, S, O>, ctx: SupernetRunContext): Promise<SupernetRun> {
  checkSpec(spec);
  const dir = spec.experiment;
  const outDir = path.join(ctx.outDir, dir);
  const { cells, population, truth } = spec.cells;
  const measuredRows = spec.indicators.flatMap((p) => rowsOf(p)).filter((r) => !r.columnOnly);
  const identity = (row: IndicatorRow, metric: CorrelationMetric): RowIdentity => ({
    paper: spec.paper,
    population: population.id,
    method: row.method,
    benchmark: spec.benchmark,
    dataset: spec.images,
    groundTruth: truth.label,
    metric,
    published: publishedOf(ctx.published, spec, row, metric) ?? null,
  });

  const why = unavailableReason(spec, ctx);
  if (why !== undefined) {
    const table = writeCorrelationFiles(ctx.outDir, dir, spec.metrics.flatMap((m) => measuredRows.map((r) => missingEntry(identity(r, m), why))));
    const markdown = [...sectionHead(spec.title, spec.description, spec.differences), '', why, '', correlationTableMarkdown(table.rows), ''].join('\n');
    return { name: spec.name, markdown, files: table.files, entries: [] };
  }
  const y = (truth as { y: Float64Array }).y;
  const backendInfo = await initBackend(ctx.backend);
  const backend = `${backendInfo.name} ${backendInfo.version}`;
  const started = performance.now();
  const images = loadImageSet(ctx.dataDir, spec.images, 'train');
  const files: string[] = [];

  // 2. The trainings, in order; a ladder training's steps come from the measured step costs.
  const trained = new Map<string, TrainedSupernet<S>>();
  let calibration: (StepTimeCalibration & { reused: boolean }) | undefined;
  try {
    for (const t of spec.trainings) {
      let steps: number;
      let multiple: number | null = null;
      if (typeof t.steps === 'number') steps = t.steps;
      else {
        const ref = trained.get(t.steps.timeOf)!;
        calibration ??= stepTimeCalibration(spec.kind, spec.checkpointDir, t.supernet, images, t.batchSize);
        steps = Math.max(1, Math.round((t.steps.multiple * ref.steps) / calibration.ratio));
        multiple = t.steps.multiple;
      }
      trained.set(t.label, train(spec.kind, t, steps, multiple, images, spec.checkpointDir));
    }

    // 3. The indicators.
    const scores = new Map<string, { x: Float64Array; seconds: number }>();
    const aligned = (row: IndicatorRow, x: Float64Array | undefined): Float64Array => {
      if (!x || x.length !== cells.length) throw new RangeError(`supernet spec '${spec.experiment}': the indicator of '${row.method}' gave ${x?.length ?? 'no'} scores for ${cells.length} cells`);
      return x;
    };
    const curves: string[][] = [];
    for (const p of spec.indicators) {
      const run = p.training === undefined ? undefined : trained.get(p.training)!;
      const t0 = performance.now();
      if (isSnapshot(p)) {
        const initial = p.snapshot === 'initial';
        const snapshot = initial ? run!.snapshots[0]! : run!.snapshots[run!.snapshots.length - 1]!;
        if (initial && snapshot.step !== 0) throw new RangeError(`training '${run!.label}' has no step-0 snapshot`);
        const x = aligned(p.row, p.scoreAt(snapshot, run!, cells));
        scores.set(p.row.column, { x, seconds: (initial ? 0 : run!.trainSeconds) + (performance.now() - t0) / 1000 });
        if (p.curve) {
          for (const s of run!.snapshots) {
            const xs = p.scoreAt(s, run!, cells);
            curves.push([p.row.method, run!.label, run!.mode, String(s.step), csvNumber(s.trainSeconds, 2), csvNumber(correlate('kendall_tau', xs, y).value), csvNumber(correlate('spearman', xs, y).value)]);
          }
        }
      } else {
        const out = p.score(run, cells, images);
        const seconds = (run?.trainSeconds ?? 0) + (performance.now() - t0) / 1000;
        for (const r of p.rows) scores.set(r.column, { x: aligned(r, out[r.column]), seconds });
      }
    }

    // 4. The rows.
    const entries: CorrelationEntry[] = [];
    for (const metric of spec.metrics) {
      for (const r of measuredRows) {
        const s = scores.get(r.column)!;
        entries.push(measuredEntry(identity(r, metric), s.x, y, { backend, wallSeconds: s.seconds, notes: [...(r.notes ?? []), ...spec.rowNotes] }));
      }
    }

    // 5. The files.
    const table = writeCorrelationFiles(ctx.outDir, dir, entries);
    files.push(...table.files);
    const scoresFile = scoresFileOf(dir, spec.images);
    const allRows = spec.indicators.flatMap((p) => rowsOf(p));
    writeScoresFile(path.join(ctx.outDir, scoresFile), spec.cells.keys, allRows.map((r) => ({ name: r.column, values: scores.get(r.column)!.x })), [{ label: truth.label, values: y }]);
    files.push(scoresFile);

    const runs = [...trained.values()];
    const timingHeader = ['run', 'mode', 'steps', 'median_step_s', 'mean_step_s', 'train_s', 'resumed_from', 'checkpoint'];
    const timingRows = runs.map((r) => [r.label, r.mode, String(r.steps), csvNumber(r.medianStep, 4), csvNumber(r.meanStep, 4), csvNumber(r.trainSeconds, 1), r.resumedFrom === null ? 'fresh' : String(r.resumedFrom), path.basename(r.checkpoint)]);
    files.push(writeCsv(ctx.outDir, dir, 'timing.csv', [timingHeader, ...timingRows]));
    if (curves.length > 0) files.push(writeCsv(ctx.outDir, dir, 'curve.csv', [['indicator', 'run', 'mode', 'step', 'train_seconds', 'kendall_tau', 'spearman'], ...curves]));

    const body: string[] = ['### Correlation of the indicators with accuracy', '', correlationTableMarkdown(table.rows), '', '### Wall time per step', ''];
    body.push(markdownTable(['run', 'mode', 'steps', 'median s/step', 'mean s/step', 'training s'], runs.map((r) => [r.label, r.mode, String(r.steps), mdNumber(r.medianStep, 3), mdNumber(r.meanStep, 3), mdNumber(r.trainSeconds, 1)]), ['l', 'l', 'r', 'r', 'r', 'r']), '');

    if (spec.timeRatio) {
      const tr = spec.timeRatio;
      const runOf = (column: string) => trained.get((spec.indicators.find((p) => isSnapshot(p) && p.row.column === column) as SnapshotIndicator<P, S>).training)!;
      const tau = (column: string) => correlate('kendall_tau', scores.get(column)!.x, y).value;
      const ratio = timeRatio(tau(tr.reference), tr.ladder.map((c) => ({ multiple: runOf(c).multiple ?? 1, tau: tau(c) })));
      const ratioRows = [tr.reference, ...tr.ladder].map((c) => {
        const r = runOf(c);
        return [r.label, r.multiple === null ? '' : String(r.multiple), String(r.steps), csvNumber(r.trainSeconds, 1), csvNumber(tau(c))];
      });
      files.push(writeCsv(ctx.outDir, dir, 'time-ratio.csv', [['run', 'multiple_of_bn_only_time', 'steps', 'train_s', 'kendall_tau'], ...ratioRows, ['ratio (standard time / bn-only time for equal tau)', ratio, '', '', '']]));
      body.push(
        `### Training-time ratio for equal indicator quality (${tr.claim})`,
        '',
        `Target: Kendall τ of ${runOf(tr.reference).label}, ${mdNumber(tau(tr.reference), 3)}. Standard runs are complete runs of m x its training time; the ratio is the smallest m whose τ reaches the target. Result: **${ratio}**.`,
        '',
        markdownTable(['run', 'm', 'steps', 'training s', 'kendall τ'], ratioRows.map((r) => [r[0]!, r[1]!, r[2]!, r[3]!, mdNumber(Number(r[4]), 3)]), ['l', 'r', 'r', 'r', 'r']),
        '',
      );
    }

    if (spec.convShare && spec.convShare.length > 0) {
      const shareHeader = ['indicator', 'k', 'conv_share_indicator_topk', 'conv_share_true_topk', 'conv_share_all_cells', 'n'];
      const shareRows = spec.convShare.flatMap((fraction) =>
        measuredRows.map((r) => {
          const s = convShareTopKOf(spec.cells.convFraction, scores.get(r.column)!.x, y, { fraction });
          return [r.method, String(s.k), csvNumber(s.indicator, 4), csvNumber(s.truth, 4), csvNumber(s.pool, 4), String(s.n)];
        }),
      );
      files.push(writeCsv(ctx.outDir, dir, 'conv-share.csv', [shareHeader, ...shareRows]));
      body.push('### Unfairness: share of convolutions in the top-k cells', '', markdownTable(shareHeader, shareRows, ['l', 'r', 'r', 'r', 'r', 'r']), '');
    }

    const wall = (performance.now() - started) / 1000;
    const runLines = runs.map((r) => {
      // two significant digits: a toy run's fraction of an epoch does not print as 0.0
      const epochs = Number((r.steps / stepsPerEpoch(images.size, r.batchSize)).toPrecision(2));
      const state = r.resumedFrom === null ? 'trained here' : r.resumedFrom >= r.steps ? 'checkpoint reused' : `resumed at step ${r.resumedFrom}`;
      return `- Training ${r.label}: ${r.mode}, ${r.steps} steps (${epochs} epochs of ${images.size} ${spec.images} training images)${r.multiple === null ? '' : `, ${r.multiple}x the time of ${r.timeOf}`}; ${r.trainSeconds.toFixed(0)} s of training (median ${r.medianStep.toFixed(3)} s/step), ${state} (${path.basename(r.checkpoint)}).`;
    });
    const markdown = [
      ...sectionHead(spec.title, spec.description, spec.differences),
      '',
      `- Cells: ${cells.length}, ${population.description}; ground truth ${truth.label}. Backend ${backend} (${backendInfo.detail}). ${wall.toFixed(0)} s in all.`,
      ...runLines,
      ...(calibration ? [`- Step cost, measured interleaved before the ladder (${calibration.reused ? 'saved calibration reused' : 'measured now'}): bn-only ${calibration.bnOnly.toFixed(3)} s, standard ${calibration.standard.toFixed(3)} s per step (ratio ${calibration.ratio.toFixed(2)}).`] : []),
      '',
      ...body,
    ].join('\n');
    writeFileAtomic(path.join(outDir, 'README.md'), markdown);
    files.push(`${dir}/README.md`);
    return { name: spec.name, markdown, files, entries };
  } finally {
    for (const r of trained.values()) r.supernet.dispose();
  }
}

function train<P, S extends TrainableSupernet<P>, O>(kind: SupernetKind<P, S, O>, t: TrainingPlan<O>, steps: number, multiple: number | null, images: ImageSet, checkpointDir: string): TrainedSupernet<S> {
  const config = resolveTrainConfig({ mode: t.mode, steps, batchSize: t.batchSize, seed: t.seed });
  const run = trainOrResume({ label: t.label, supernet: t.supernet, config, snapshotEvery: Math.max(1, Math.round(steps / t.snapshots)) }, images, checkpointDir, kind);
  const seconds = run.result.log.stepSeconds;
  const trainSeconds = seconds.reduce((a, b) => a + b, 0);
  return {
    label: t.label,
    mode: t.mode,
    multiple,
    timeOf: typeof t.steps === 'number' ? null : t.steps.timeOf,
    steps,
    batchSize: t.batchSize,
    supernet: run.supernet,
    snapshots: run.result.snapshots,
    medianStep: medianStepSeconds(run.result),
    meanStep: trainSeconds / seconds.length,
    trainSeconds,
    resumedFrom: run.result.resumedFrom,
    checkpoint: run.checkpointFile,
  };
}

function publishedOf(table: PublishedTable, spec: { paper: string; table?: string; benchmark: string; images: string }, row: IndicatorRow, metric: CorrelationMetric): PublishedValue | undefined {
  if (!row.published) return undefined;
  return table.lookup({ paper: spec.paper, ...(spec.table ? { table: spec.table } : {}), benchmark: spec.benchmark, dataset: spec.images, method: row.published.method, metric, groundTruth: row.published.groundTruth });
}

function writeCsv(outDir: string, dir: string, name: string, rows: string[][]): string {
  writeFileAtomic(path.join(outDir, dir, name), stringify(rows));
  return `${dir}/${name}`;
}

/**
 * The bracket for the time ratio: the smallest multiple m whose standard-run τ reaches the
 * BN-only τ. Standard runs are complete runs (own schedule) of m x the BN-only time, so with the
 * ladder's grid the answer is a bracket (m_prev, m], "> max" if none reaches it, "<= m_min" if
 * the shortest already does.
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
