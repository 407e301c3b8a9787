/**
 * The regression check (`nasrepro check RESULTS --against EXPECTED|published`): compares two
 * correlation tables row by row and says, for every row, whether our value still holds.
 *
 * - A side is a correlation CSV (src/report/correlation-table.ts's columns) or a directory: every
 *   `correlation.csv` below it (a `make reproduce-*` results folder, or an expected table under
 *   results/expected/), skipping the score cache.
 * - Rows are matched by their identity, never by position: paper, benchmark, dataset, ground
 *   truth, method, metric and cell population (the `cells` column). Two rows with one identity
 *   on the same side are bad input (the match would be a guess).
 * - Verdicts: `ok` (|ours - expected| <= tolerance, or both undefined), `drift` (beyond it),
 *   `no value` (one side NaN, the other a number), `n differs` (same identity, a different count
 *   of cells with finite values: cells started failing or stopped), `missing in ours`,
 *   `missing in expected`. Everything but `ok` fails the check (exit 1).
 * - Tolerance: a number (default 0.02), or `ci`: each row's own 95% bootstrap interval width
 *   (ci_high - ci_low) of the expected row, else of ours; a row with neither uses the default and
 *   says so. Why the full width and not the half: the issue asks for "its confidence-interval
 *   width", and a change inside the interval a resample could produce is not evidence of drift.
 *
 * `--against published` (reference/published.csv): the papers' printed values are the expected
 * side. Published rows are restricted to the papers and benchmarks our table covers and to the
 * correlation metrics (not the search tables' accuracies). A published row matches our rows of
 * the same paper, benchmark, dataset, method and metric; where a paper printed the metric for
 * several ground truths, our ground truth (its label without the "(release: file)" provenance)
 * or our row's recorded published value picks the one. The published side has no population, so
 * every population of ours is compared with it. Our rows that the paper has no number for are
 * listed as `not published` and do not fail (most of our extra rows: Spearman where a paper
 * printed τ, the extra ground truths); a published row we have no row for fails.
 * Choice (the issue leaves it open): `n` is not compared against published values, papers print
 * their own cell counts.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { isCorrelationMetric } from '../stats/correlate.ts';
import { DataError } from '../util/errors.ts';
import { csvNumber, markdownTable, NA } from './format.ts';
import type { PublishedTable } from './published.ts';

export const DEFAULT_TOLERANCE = 0.02;

export type Tolerance = number | 'ci';

/** What identifies a row on both sides of a check (rows are matched by it, never by position). */
export interface CheckIdentity {
  paper: string;
  benchmark: string;
  dataset: string;
  groundTruth: string;
  method: string;
  metric: string;
  /** The cell population ('' on the published side: papers name no population). */
  cells: string;
}

/** One row of a correlation table as the check reads it. */
export interface CheckRow extends CheckIdentity {
  n: number | null;
  value: number;
  ciLow: number | null;
  ciHigh: number | null;
  /** The published value recorded in the row ('published' column), if any. */
  published: number | null;
  /** Where the row came from, for messages. */
  file: string;
  line: number;
}

export type Verdict = 'ok' | 'drift' | 'no value' | 'n differs' | 'missing in ours' | 'missing in expected' | 'not published';

export interface CheckLine extends CheckIdentity {
  expected: number | null;
  ours: number | null;
  diff: number | null;
  tolerance: number | null;
  /** 'ci' where the row's interval gave the tolerance; 'default' where a ci check fell back. */
  toleranceFrom: 'fixed' | 'ci' | 'default';
  verdict: Verdict;
  /** Extra detail (n on each side, why there is no value). */
  detail: string;
}

export interface CheckResult {
  lines: CheckLine[];
  failed: number;
  passed: number;
  /** Rows listed but not judged (not published). */
  informational: number;
}

const REQUIRED = ['paper', 'method', 'benchmark', 'dataset', 'ground_truth', 'metric', 'cells', 'n', 'ours'] as const;

/** Parses `ours`-style numbers: a number, 'NaN', '±Infinity'; null for 'n/a' or empty. */
function numberCell(s: string | undefined, what: string, file: string, line: number, nullable: boolean): number | null {
  const t = (s ?? '').trim();
  if (t === NA || t === '') {
    if (nullable) return null;
    throw new DataError(`${what} is empty`, { file, row: line });
  }
  if (t === 'NaN') return NaN;
  const v = Number(t);
  if (Number.isNaN(v)) throw new DataError(`${what} is not a number: "${t}"`, { file, row: line });
  return v;
}

/** Reads one correlation CSV; any malformed line is a DataError naming the file and line. */
export function readCorrelationCsv(file: string): CheckRow[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new DataError(code === 'ENOENT' ? 'no such file' : `cannot read: ${(e as Error).message}`, { file }, { cause: e });
  }
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: false, skip_empty_lines: true }) as string[][];
  } catch (e) {
    const line = (e as { lines?: number }).lines;
    throw new DataError(`not a valid CSV: ${(e as Error).message.replace(/^Invalid Record Length: /, '')}`, { file, ...(line ? { row: line } : {}) }, { cause: e });
  }
  if (records.length === 0) throw new DataError('empty file, expected a correlation table header', { file, row: 1 });
  const header = records[0]!;
  const missing = REQUIRED.filter((c) => !header.includes(c));
  if (missing.length > 0) throw new DataError(`not a correlation table: missing column(s) ${missing.join(', ')}`, { file, row: 1 });
  const col = (name: string) => header.indexOf(name);
  const rows: CheckRow[] = [];
  for (let r = 1; r < records.length; r++) {
    const rec = records[r]!;
    const line = r + 1;
    const get = (c: string) => (col(c) < 0 ? undefined : rec[col(c)]);
    const metric = get('metric') ?? '';
    if (!isCorrelationMetric(metric)) throw new DataError(`unknown metric "${metric}"`, { file, row: line });
    const n = numberCell(get('n'), 'n', file, line, false)!;
    if (!Number.isInteger(n) || n < 0) throw new DataError(`n is not a cell count: "${get('n')}"`, { file, row: line });
    rows.push({
      paper: get('paper')!,
      benchmark: get('benchmark')!,
      dataset: get('dataset')!,
      groundTruth: get('ground_truth')!,
      method: get('method')!,
      metric,
      cells: get('cells')!,
      n,
      value: numberCell(get('ours'), 'ours', file, line, false)!,
      ciLow: numberCell(get('ci_low'), 'ci_low', file, line, true),
      ciHigh: numberCell(get('ci_high'), 'ci_high', file, line, true),
      published: numberCell(get('published'), 'published', file, line, true),
      file,
      line,
    });
  }
  return rows;
}

/** Every correlation.csv under a directory (sorted, the score cache skipped), or the file itself. */
export function correlationFiles(target: string): string[] {
  if (!existsSync(target)) throw new DataError('no such file or directory', { file: target });
  if (!statSync(target).isDirectory()) return [target];
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && e.name !== 'cache') walk(p);
      else if (e.isFile() && e.name === 'correlation.csv') found.push(p);
    }
  };
  walk(target);
  if (found.length === 0) throw new DataError('no correlation.csv in this directory or below it', { file: target });
  return found;
}

export function readCheckSide(target: string): CheckRow[] {
  return correlationFiles(target).flatMap(readCorrelationCsv);
}

function identityKey(r: CheckIdentity): string {
  return JSON.stringify([r.paper, r.benchmark, r.dataset, r.groundTruth, r.method, r.metric, r.cells]);
}

function indexUnique(rows: readonly CheckRow[]): Map<string, CheckRow> {
  const byKey = new Map<string, CheckRow>();
  for (const r of rows) {
    const key = identityKey(r);
    const first = byKey.get(key);
    if (first) {
      throw new DataError(
        `two rows with the same identity (${r.method}, ${r.dataset}, ${r.groundTruth}, ${r.metric}, cells ${r.cells}): also ${first.file} line ${first.line}`,
        { file: r.file, row: r.line },
      );
    }
    byKey.set(key, r);
  }
  return byKey;
}

function toleranceOf(tolerance: Tolerance, expected: CheckRow | undefined, ours: CheckRow | undefined): { tol: number; from: CheckLine['toleranceFrom'] } {
  if (tolerance !== 'ci') return { tol: tolerance, from: 'fixed' };
  for (const r of [expected, ours]) {
    if (r && r.ciLow !== null && r.ciHigh !== null && Number.isFinite(r.ciLow) && Number.isFinite(r.ciHigh)) return { tol: r.ciHigh - r.ciLow, from: 'ci' };
  }
  return { tol: DEFAULT_TOLERANCE, from: 'default' };
}

function judge(expected: CheckRow, ours: CheckRow, tolerance: Tolerance, compareN: boolean): CheckLine {
  const { tol, from } = toleranceOf(tolerance, expected, ours);
  const e = expected.value;
  const o = ours.value;
  const base = lineBase(ours, expected.cells === '' ? ours.cells : expected.cells);
  const finite = Number.isFinite(e) && Number.isFinite(o);
  const diff = finite ? o - e : null;
  let verdict: Verdict;
  let detail = '';
  if (!finite) {
    // Both undefined (no images, a missing ground truth) is the same outcome; one side only is not.
    verdict = Number.isNaN(e) && Number.isNaN(o) ? 'ok' : Object.is(e, o) ? 'ok' : 'no value';
    if (verdict === 'no value') detail = Number.isNaN(o) ? 'ours has no value' : 'expected has no value';
  } else {
    // A tiny epsilon so a difference equal to the tolerance as printed (6 decimals) holds.
    verdict = Math.abs(o - e) <= tol + 1e-9 ? 'ok' : 'drift';
  }
  if (compareN && expected.n !== ours.n) {
    detail = [detail, `n ${ours.n} vs expected ${expected.n}`].filter(Boolean).join('; ');
    if (verdict === 'ok') verdict = 'n differs';
  }
  return { ...base, expected: e, ours: o, diff, tolerance: tol, toleranceFrom: from, verdict, detail };
}

function lineBase(r: CheckRow, cells: string): CheckIdentity {
  return { paper: r.paper, benchmark: r.benchmark, dataset: r.dataset, groundTruth: r.groundTruth, method: r.method, metric: r.metric, cells };
}

function summarise(lines: CheckLine[]): CheckResult {
  const informational = lines.filter((l) => l.verdict === 'not published').length;
  const passed = lines.filter((l) => l.verdict === 'ok').length;
  return { lines, passed, informational, failed: lines.length - passed - informational };
}

/** Our table against an expected one (both read by readCheckSide). */
export function checkTables(ours: readonly CheckRow[], expected: readonly CheckRow[], tolerance: Tolerance = DEFAULT_TOLERANCE): CheckResult {
  const oursBy = indexUnique(ours);
  const expBy = indexUnique(expected);
  const lines: CheckLine[] = [];
  for (const [key, e] of expBy) {
    const o = oursBy.get(key);
    if (o) lines.push(judge(e, o, tolerance, true));
    else lines.push({ ...lineBase(e, e.cells), expected: e.value, ours: null, diff: null, tolerance: null, toleranceFrom: 'fixed', verdict: 'missing in ours', detail: `${e.file} line ${e.line}` });
  }
  for (const [key, o] of oursBy) {
    if (!expBy.has(key)) lines.push({ ...lineBase(o, o.cells), expected: null, ours: o.value, diff: null, tolerance: null, toleranceFrom: 'fixed', verdict: 'missing in expected', detail: `${o.file} line ${o.line}` });
  }
  return summarise(lines);
}

/** Our ground-truth label without the provenance suffix: 'x-test 200ep (nb201-v1_0: f.csv)' -> 'x-test 200ep'. */
function bareTruth(label: string): string {
  return label.replace(/\s*\([^()]*\)\s*$/, '');
}

/** Our table against the papers' printed values (reference/published.csv). */
export function checkAgainstPublished(ours: readonly CheckRow[], published: PublishedTable, tolerance: Tolerance = DEFAULT_TOLERANCE, publishedFile = 'published.csv'): CheckResult {
  indexUnique(ours);
  const papers = new Set(ours.map((r) => r.paper));
  const benchmarks = new Set(ours.map((r) => r.benchmark));
  const pubRows = published.rows.filter((p) => papers.has(p.paper) && benchmarks.has(p.benchmark) && isCorrelationMetric(p.metric));
  const matchedOurs = new Set<CheckRow>();
  const lines: CheckLine[] = [];
  for (const p of pubRows) {
    const candidates = ours.filter((o) => o.paper === p.paper && o.benchmark === p.benchmark && o.dataset === p.dataset && o.method === p.method && o.metric === p.metric);
    // Where the paper printed this metric for several ground truths, only ours of the same one.
    const siblings = pubRows.filter((q) => q !== p && q.paper === p.paper && q.benchmark === p.benchmark && q.dataset === p.dataset && q.method === p.method && q.metric === p.metric);
    const mine = siblings.length === 0 ? candidates : candidates.filter((o) => bareTruth(o.groundTruth) === p.groundTruth || (o.published !== null && o.published === p.value && !siblings.some((q) => q.value === p.value)));
    const expected: CheckRow = {
      paper: p.paper,
      benchmark: p.benchmark,
      dataset: p.dataset,
      groundTruth: p.groundTruth,
      method: p.method,
      metric: p.metric,
      cells: '',
      n: p.nArchs,
      value: p.value,
      ciLow: null,
      ciHigh: null,
      published: p.value,
      file: publishedFile,
      line: p.line,
    };
    if (mine.length === 0) {
      lines.push({ ...lineBase(expected, ''), expected: p.value, ours: null, diff: null, tolerance: null, toleranceFrom: 'fixed', verdict: 'missing in ours', detail: `${publishedFile} line ${p.line}` });
      continue;
    }
    for (const o of mine) {
      matchedOurs.add(o);
      lines.push({ ...judge(expected, o, tolerance, false), groundTruth: o.groundTruth });
    }
  }
  for (const o of ours) {
    if (!matchedOurs.has(o)) lines.push({ ...lineBase(o, o.cells), expected: null, ours: o.value, diff: null, tolerance: null, toleranceFrom: 'fixed', verdict: 'not published', detail: '' });
  }
  return summarise(lines);
}

/** The table the command prints: every row, expected, ours, difference, tolerance, verdict. */
export function checkReportMarkdown(result: CheckResult): string {
  const header = ['paper', 'benchmark', 'dataset', 'ground_truth', 'method', 'metric', 'cells', 'expected', 'ours', 'diff', 'tolerance', 'verdict', 'detail'];
  const num = (v: number | null) => (v === null ? NA : csvNumber(v, 4));
  const rows = result.lines.map((l) => [
    l.paper,
    l.benchmark,
    l.dataset,
    l.groundTruth,
    l.method,
    l.metric,
    l.cells === '' ? NA : l.cells,
    num(l.expected),
    num(l.ours),
    l.diff === null ? NA : `${l.diff >= 0 ? '+' : ''}${csvNumber(l.diff, 4)}`,
    l.tolerance === null ? NA : `${csvNumber(l.tolerance, 4)}${l.toleranceFrom === 'ci' ? ' (ci)' : l.toleranceFrom === 'default' ? ' (no ci: default)' : ''}`,
    l.verdict === 'ok' ? 'ok' : l.verdict === 'not published' ? 'not published' : `FAIL: ${l.verdict}`,
    l.detail,
  ]);
  const align = header.map((h) => (['expected', 'ours', 'diff', 'tolerance'].includes(h) ? 'r' : 'l') as 'l' | 'r');
  const summary = `${result.passed} ok, ${result.failed} failed${result.informational > 0 ? `, ${result.informational} not published (not judged)` : ''}, of ${result.lines.length} rows`;
  return `${markdownTable(header, rows, align)}\n${summary}\n`;
}

/** Parses `--tolerance`: a non-negative number or 'ci'. */
export function parseTolerance(v: string | undefined): Tolerance {
  if (v === undefined) return DEFAULT_TOLERANCE;
  if (v === 'ci') return 'ci';
  const t = Number(v);
  if (v.trim() === '' || !Number.isFinite(t) || t < 0) throw new DataError(`--tolerance must be a non-negative number or 'ci', got '${v}'`);
  return t;
}
