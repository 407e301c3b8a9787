/**
 * The correlation table: one row per (method, benchmark, dataset, ground truth), our value beside
 * the published one, laid out like the papers' correlation tables (NASWOT Fig. 3, zero-cost
 * Table 1). Written as CSV (for machines and diffs) and as Markdown (README, terminal).
 *
 * Where a paper printed no value, published / delta / published_source are 'n/a'; where no
 * interval was computed, ci_low / ci_high are 'n/a'. delta = ours - published, in the metric's
 * own terms (so for spearman_abs, |rho| - published |rho|).
 */
import { stringify } from 'csv-stringify/sync';
import type { CorrelationResult } from '../stats/pairs.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';
import { csvNumber, markdownTable, mdNumber, NA } from './format.ts';

export const CORRELATION_COLUMNS = [
  'paper',
  'method',
  'benchmark',
  'dataset',
  'ground_truth',
  'metric',
  'cells',
  'n',
  'dropped',
  'ours',
  'ci_low',
  'ci_high',
  'seeds',
  'seed_mean',
  'seed_std',
  'published',
  'delta',
  'published_source',
  'backend',
  'wall_seconds',
  'notes',
] as const;

/** What a published number contributes to a row (a PublishedRow fits). */
export interface PublishedValue {
  value: number;
  source: string;
  /** Architectures the published value is over; a note is added when ours differs. */
  nArchs?: number | null;
}

/** The metric over several seed pairs (initialisation x batch) on a common set of cells. */
export interface SeedSpread {
  pairs: number;
  cells: number;
  mean: number;
  std: number;
  values: number[];
}

/** One measured correlation, as an experiment hands it to the table. */
export interface CorrelationEntry {
  /** published.csv's paper id (part of the row's identity for `nasrepro check`). */
  paper?: string;
  /** The cell population (part of the identity), e.g. 'nb201:sample(1000,seed=0)'. */
  population?: string;
  method: string;
  benchmark: string;
  dataset: string;
  /** The ground truth's definition, e.g. 'cifar10-valid x-valid 200ep (nb201-v1_0)'. */
  groundTruth: string;
  /** kendall_tau / spearman / spearman_abs (published.csv's names). */
  metric: string;
  /** Our value in the metric's terms (|rho| for spearman_abs), with n and dropped; NaN + reason if undefined. */
  result: CorrelationResult;
  ci?: { low: number; high: number } | null;
  published?: PublishedValue | null;
  /** Mean ± std over seed pairs, when the run had several. */
  seeds?: SeedSpread;
  backend: string;
  wallSeconds: number;
  notes?: string[];
}

export interface CorrelationRow {
  paper: string;
  method: string;
  benchmark: string;
  dataset: string;
  ground_truth: string;
  metric: string;
  cells: string;
  n: number;
  dropped: number;
  ours: number;
  ci_low: number | null;
  ci_high: number | null;
  seeds: number | null;
  seed_mean: number | null;
  seed_std: number | null;
  published: number | null;
  delta: number | null;
  published_source: string | null;
  backend: string;
  wall_seconds: number;
  notes: string;
}

export function buildCorrelationRows(entries: readonly CorrelationEntry[]): CorrelationRow[] {
  return entries.map((e) => {
    const notes = [...(e.notes ?? [])];
    if (e.result.reason !== undefined) notes.push(`no value: ${e.result.reason}`);
    const pub = e.published ?? null;
    if (pub?.nArchs != null && e.result.n > 0 && pub.nArchs !== e.result.n) {
      notes.push(`published over ${pub.nArchs} cells, ours over ${e.result.n}`);
    }
    const ours = e.result.value;
    return {
      paper: e.paper ?? NA,
      method: e.method,
      benchmark: e.benchmark,
      dataset: e.dataset,
      ground_truth: e.groundTruth,
      metric: e.metric,
      cells: e.population ?? NA,
      n: e.result.n,
      dropped: e.result.dropped,
      ours,
      ci_low: e.ci?.low ?? null,
      ci_high: e.ci?.high ?? null,
      seeds: e.seeds?.pairs ?? null,
      seed_mean: e.seeds?.mean ?? null,
      seed_std: e.seeds?.std ?? null,
      published: pub?.value ?? null,
      delta: pub !== null && Number.isFinite(ours) ? ours - pub.value : null,
      published_source: pub?.source ?? null,
      backend: e.backend,
      wall_seconds: e.wallSeconds,
      notes: notes.join('; '),
    };
  });
}

function csvCells(r: CorrelationRow): string[] {
  return [
    r.paper,
    r.method,
    r.benchmark,
    r.dataset,
    r.ground_truth,
    r.metric,
    r.cells,
    String(r.n),
    String(r.dropped),
    csvNumber(r.ours),
    csvNumber(r.ci_low),
    csvNumber(r.ci_high),
    r.seeds === null ? NA : String(r.seeds),
    csvNumber(r.seed_mean),
    csvNumber(r.seed_std),
    csvNumber(r.published),
    csvNumber(r.delta),
    r.published_source ?? NA,
    r.backend,
    csvNumber(r.wall_seconds, 1),
    r.notes,
  ];
}

export function correlationTableCsv(rows: readonly CorrelationRow[]): string {
  return stringify([[...CORRELATION_COLUMNS], ...rows.map(csvCells)]);
}

/** The same table in Markdown: same columns, correlations to 3 decimals as the papers print them. */
export function correlationTableMarkdown(rows: readonly CorrelationRow[]): string {
  const right = new Set(['n', 'dropped', 'ours', 'ci_low', 'ci_high', 'seeds', 'seed_mean', 'seed_std', 'published', 'delta', 'wall_seconds']);
  const cells = rows.map((r) => [
    r.paper,
    r.method,
    r.benchmark,
    r.dataset,
    r.ground_truth,
    r.metric,
    r.cells,
    String(r.n),
    String(r.dropped),
    mdNumber(r.ours, 3),
    mdNumber(r.ci_low, 3),
    mdNumber(r.ci_high, 3),
    r.seeds === null ? NA : String(r.seeds),
    mdNumber(r.seed_mean, 3),
    mdNumber(r.seed_std, 3),
    mdNumber(r.published, 3),
    mdNumber(r.delta, 3, true),
    r.published_source ?? NA,
    r.backend,
    mdNumber(r.wall_seconds, 1),
    r.notes,
  ]);
  return markdownTable(CORRELATION_COLUMNS, cells, CORRELATION_COLUMNS.map((c) => (right.has(c) ? 'r' : 'l')));
}

/** Write the CSV and/or Markdown atomically (a killed run never leaves half a table). */
export function writeCorrelationTable(rows: readonly CorrelationRow[], paths: { csv?: string; markdown?: string }): void {
  if (paths.csv !== undefined) writeFileAtomic(paths.csv, correlationTableCsv(rows));
  if (paths.markdown !== undefined) writeFileAtomic(paths.markdown, correlationTableMarkdown(rows));
}
