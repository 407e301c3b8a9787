/**
 * The search-protocol table in the layout of NASWOT Table 2(a): one row per method
 * (naswot-search-N10, random-N1, optimal-N10, ...), one column per (dataset, split), each cell
 * "mean ± std" of the chosen architectures' accuracy over the runs, ours beside published.
 *
 * The CSV is long (one row per method × dataset × split) so it stays a plain table for tools;
 * the Markdown is wide, the paper's layout, with each cell "ours (published)".
 */
import { stringify } from 'csv-stringify/sync';
import { writeFileAtomic } from '../util/atomic-file.ts';
import { csvNumber, markdownTable, mdNumber, NA } from './format.ts';

export const SEARCH_COLUMNS = [
  'method',
  'benchmark',
  'dataset',
  'split',
  'runs',
  'ours_mean',
  'ours_std',
  'published_mean',
  'published_std',
  'delta_mean',
  'published_source',
  'notes',
] as const;

export interface SearchEntry {
  method: string;
  benchmark: string;
  dataset: string;
  /** The accuracy reported for the chosen cell: 'x-valid', 'x-test', 'ori-test', ... */
  split: string;
  /** Number of search runs the mean and std are over. */
  runs: number;
  mean: number;
  std: number;
  /** The paper's mean ± std (a PublishedRow fits: value, std, source). */
  published?: { value: number; std: number | null; source: string } | null;
  notes?: string[];
}

export interface SearchRow {
  method: string;
  benchmark: string;
  dataset: string;
  split: string;
  runs: number;
  ours_mean: number;
  ours_std: number;
  published_mean: number | null;
  published_std: number | null;
  delta_mean: number | null;
  published_source: string | null;
  notes: string;
}

export function buildSearchRows(entries: readonly SearchEntry[]): SearchRow[] {
  return entries.map((e) => {
    const pub = e.published ?? null;
    return {
      method: e.method,
      benchmark: e.benchmark,
      dataset: e.dataset,
      split: e.split,
      runs: e.runs,
      ours_mean: e.mean,
      ours_std: e.std,
      published_mean: pub?.value ?? null,
      published_std: pub?.std ?? null,
      delta_mean: pub !== null && Number.isFinite(e.mean) ? e.mean - pub.value : null,
      published_source: pub?.source ?? null,
      notes: (e.notes ?? []).join('; '),
    };
  });
}

export function searchTableCsv(rows: readonly SearchRow[]): string {
  return stringify([
    [...SEARCH_COLUMNS],
    ...rows.map((r) => [
      r.method,
      r.benchmark,
      r.dataset,
      r.split,
      String(r.runs),
      csvNumber(r.ours_mean, 4),
      csvNumber(r.ours_std, 4),
      csvNumber(r.published_mean, 4),
      csvNumber(r.published_std, 4),
      csvNumber(r.delta_mean, 4),
      r.published_source ?? NA,
      r.notes,
    ]),
  ]);
}

/**
 * Wide Markdown: methods as rows (in order of first appearance), (dataset, split) as columns (in
 * order of first appearance; the benchmark is added to the heading when rows mix benchmarks).
 * A cell reads "ours_mean ± ours_std (published_mean ± published_std)", accuracies to 2 decimals as
 * the paper prints them; "(n/a)" where the paper has no number, "" where we have no run.
 */
export function searchTableMarkdown(rows: readonly SearchRow[]): string {
  const multiBench = new Set(rows.map((r) => r.benchmark)).size > 1;
  const colKey = (r: SearchRow) => (multiBench ? `${r.benchmark} ${r.dataset} ${r.split}` : `${r.dataset} ${r.split}`);
  const columns = unique(rows.map(colKey));
  const methods = unique(rows.map((r) => r.method));
  const byCell = new Map(rows.map((r) => [`${r.method}\u0000${colKey(r)}`, r]));
  const body = methods.map((m) => [
    m,
    ...columns.map((c) => {
      const r = byCell.get(`${m}\u0000${c}`);
      if (r === undefined) return '';
      const ours = `${mdNumber(r.ours_mean, 2)} ± ${mdNumber(r.ours_std, 2)}`;
      const pub =
        r.published_mean === null
          ? NA
          : r.published_std === null
            ? mdNumber(r.published_mean, 2)
            : `${mdNumber(r.published_mean, 2)} ± ${mdNumber(r.published_std, 2)}`;
      return `${ours} (${pub})`;
    }),
  ]);
  const runs = unique(rows.map((r) => String(r.runs)));
  const legend = `Cells: ours mean ± std over ${runs.join('/')} runs (published mean ± std).\n`;
  return markdownTable(['method', ...columns], body, ['l', ...columns.map(() => 'r' as const)]) + '\n' + legend;
}

export function writeSearchTable(rows: readonly SearchRow[], paths: { csv?: string; markdown?: string }): void {
  if (paths.csv !== undefined) writeFileAtomic(paths.csv, searchTableCsv(rows));
  if (paths.markdown !== undefined) writeFileAtomic(paths.markdown, searchTableMarkdown(rows));
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
