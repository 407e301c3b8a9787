/**
 * The writing path both runners share (correlation-runner.ts for the proxy tables,
 * supernet-runner.ts for the supernet experiments), so that every table has the same files, the
 * same row identity for `nasrepro check` and the same figures:
 *
 * - `<experiment>/correlation.{csv,md}`: the rows (src/report/correlation-table.ts), each
 *   identified by paper, benchmark, dataset, ground truth, method, metric and cell population;
 * - `<experiment>/scores-<dataset>.csv`: one row per cell, the key column(s), one column per
 *   scored method, then the ground truths under their labels. src/report/figures.ts draws the
 *   score-vs-accuracy scatters and the rank heatmap from exactly this file (a truth column is
 *   recognised by its label's "<n>ep"), so a figure shows what the table says;
 * - the report section: heading, what was run, where it differs from the paper, then the body.
 */
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { buildCorrelationRows, writeCorrelationTable, type CorrelationEntry, type CorrelationRow } from '../report/correlation-table.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';

/** One column of a scores file: its header and a value per cell ('' where a method did not score the cell). */
export interface ScoresColumn {
  name: string;
  values: ArrayLike<number | string>;
}

/** The scores file of one dataset, relative to the results folder. */
export function scoresFileOf(experiment: string, dataset: string): string {
  return `${experiment}/scores-${dataset}.csv`;
}

/** Writes a scores file: key columns, score columns, truth columns, one row per key. */
export function writeScoresFile(file: string, keys: readonly ScoresColumn[], scores: readonly ScoresColumn[], truths: readonly { label: string; values: ArrayLike<number> }[]): void {
  if (keys.length === 0) throw new RangeError(`${file}: a scores file needs a key column`);
  const columns = [...keys, ...scores, ...truths.map((t) => ({ name: t.label, values: t.values }))];
  const n = keys[0]!.values.length;
  const short = columns.find((c) => c.values.length < n);
  if (short) throw new RangeError(`${file}: column '${short.name}' has ${short.values.length} values for ${n} cells`);
  const rows = Array.from({ length: n }, (_, i) => columns.map((c) => c.values[i]));
  writeFileAtomic(file, stringify(rows, { header: true, columns: columns.map((c) => c.name) }));
}

/** Writes `<outDir>/<experiment>/correlation.{csv,md}`; returns the rows and the files (relative to outDir). */
export function writeCorrelationFiles(outDir: string, experiment: string, entries: readonly CorrelationEntry[]): { rows: CorrelationRow[]; files: string[] } {
  const rows = buildCorrelationRows(entries);
  writeCorrelationTable(rows, { csv: path.join(outDir, experiment, 'correlation.csv'), markdown: path.join(outDir, experiment, 'correlation.md') });
  return { rows, files: [`${experiment}/correlation.csv`, `${experiment}/correlation.md`] };
}

/** The head of a report section: heading, what was run, where it differs from the paper. */
export function sectionHead(title: string, description: readonly string[], differences: readonly string[]): string[] {
  return [
    `## ${title}`,
    '',
    ...description.map((l) => `- ${l}`),
    ...(differences.length > 0 ? ['', 'Where this run differs from the paper:', ...differences.map((l) => `- ${l}`)] : []),
  ];
}

/** A population's identity for the first n of its cells ('nb201:sample(1000,seed=0)[:100]'). */
export function prefixPopulation(id: string, n: number, total: number): string {
  return n === total ? id : `${id}[:${n}]`;
}
