/**
 * The published numbers (reference/published.csv): what each paper printed, one number a row,
 * with where it came from. Reports set our value beside these; the path is the caller's to find.
 *
 * Columns: paper, table, benchmark, dataset, ground_truth, method, metric, value, std, n_archs,
 * source. std and n_archs may be empty. A source of "same" means "as the row above" in the file
 * (the zero-cost rows cite one notebook many times); it is resolved here to that row's source so
 * every typed row carries its full citation.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { DataError } from '../util/errors.ts';

export interface PublishedRow {
  paper: string;
  table: string;
  benchmark: string;
  dataset: string;
  groundTruth: string;
  method: string;
  metric: string;
  value: number;
  /** Spread the paper printed beside the value (± std), if any. */
  std: number | null;
  /** Number of architectures the value is over, if the paper says. */
  nArchs: number | null;
  source: string;
  /** 1-based line in the file (the header is line 1), for messages. */
  line: number;
}

export interface PublishedQuery {
  benchmark: string;
  dataset: string;
  method: string;
  metric: string;
  /** Needed where one paper reports one method on several ground truths (Table 2(a) splits). */
  groundTruth?: string;
  paper?: string;
  table?: string;
}

const COLUMNS = ['paper', 'table', 'benchmark', 'dataset', 'ground_truth', 'method', 'metric', 'value', 'std', 'n_archs', 'source'];

export function parsePublished(text: string, file = 'published.csv'): PublishedRow[] {
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: false, skip_empty_lines: true, trim: true }) as string[][];
  } catch (err) {
    throw new DataError(`not a valid CSV: ${(err as Error).message}`, { file }, { cause: err });
  }
  if (records.length === 0) throw new DataError('empty file, expected a header line', { file, row: 1 });
  const header = records[0];
  const missing = COLUMNS.filter((c) => !header.includes(c));
  if (missing.length > 0) throw new DataError(`missing column(s): ${missing.join(', ')}`, { file, row: 1 });
  const col = Object.fromEntries(COLUMNS.map((c) => [c, header.indexOf(c)])) as Record<string, number>;

  const rows: PublishedRow[] = [];
  const lastSource = new Map<string, string>(); // per paper
  for (let r = 1; r < records.length; r++) {
    const rec = records[r];
    const line = r + 1;
    const get = (c: string) => rec[col[c]] ?? '';
    const paper = get('paper');
    const value = parseNumber(get('value'), 'value', file, line, false);
    let source = get('source');
    if (source === 'same') {
      const prev = lastSource.get(paper);
      if (prev === undefined) throw new DataError(`source "same" with no earlier row of paper ${paper}`, { file, row: line });
      source = prev;
    }
    lastSource.set(paper, source);
    rows.push({
      paper,
      table: get('table'),
      benchmark: get('benchmark'),
      dataset: get('dataset'),
      groundTruth: get('ground_truth'),
      method: get('method'),
      metric: get('metric'),
      value: value as number,
      std: parseNumber(get('std'), 'std', file, line, true),
      nArchs: parseNumber(get('n_archs'), 'n_archs', file, line, true),
      source,
      line,
    });
  }
  return rows;
}

function parseNumber(s: string, what: string, file: string, row: number, optional: boolean): number | null {
  if (s === '') {
    if (optional) return null;
    throw new DataError(`${what} is empty`, { file, row });
  }
  const v = Number(s);
  if (!Number.isFinite(v)) throw new DataError(`${what} is not a number: "${s}"`, { file, row });
  return v;
}

export class PublishedTable {
  constructor(readonly rows: readonly PublishedRow[]) {}

  static load(file: string): PublishedTable {
    return new PublishedTable(parsePublished(readFileSync(file, 'utf8'), file));
  }

  /** Every row matching the query (fields left out of the query match anything). */
  find(q: PublishedQuery): PublishedRow[] {
    return this.rows.filter(
      (r) =>
        r.benchmark === q.benchmark &&
        r.dataset === q.dataset &&
        r.method === q.method &&
        r.metric === q.metric &&
        (q.groundTruth === undefined || r.groundTruth === q.groundTruth) &&
        (q.paper === undefined || r.paper === q.paper) &&
        (q.table === undefined || r.table === q.table),
    );
  }

  /**
   * The one row matching the query, or undefined when the paper printed none (the report shows
   * 'n/a'). Throws when several rows match: picking one silently could compare against the wrong
   * split or table; narrow the query instead.
   */
  lookup(q: PublishedQuery): PublishedRow | undefined {
    const found = this.find(q);
    if (found.length > 1) {
      const where = found.map((r) => `line ${r.line} (${r.paper} ${r.table}, ${r.groundTruth})`).join(', ');
      throw new Error(`published lookup is ambiguous for ${JSON.stringify(q)}: ${where}; add paper, table or groundTruth`);
    }
    return found[0];
  }
}
