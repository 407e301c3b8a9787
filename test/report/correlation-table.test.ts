import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import {
  buildCorrelationRows,
  correlationTableCsv,
  correlationTableMarkdown,
  CORRELATION_COLUMNS,
  writeCorrelationTable,
  type CorrelationEntry,
} from '../../src/report/correlation-table.ts';

const withPublished: CorrelationEntry = {
  method: 'naswot',
  benchmark: 'nb201',
  dataset: 'cifar10',
  groundTruth: 'cifar10-valid x-valid 200ep (nb201-v1_0)',
  metric: 'kendall_tau',
  result: { value: 0.6, n: 1000, dropped: 2 },
  ci: { low: 0.571234, high: 0.62 },
  published: { value: 0.574, source: 'Mellor et al. ICML 2021, Figure 3', nArchs: 1000 },
  backend: 'tfjs-wasm',
  wallSeconds: 1234.56,
};

const withoutPublished: CorrelationEntry = {
  method: 'bn-nas',
  benchmark: 'nb201',
  dataset: 'cifar100',
  groundTruth: 'x-test 200ep (NATS-tss-v1_0)',
  metric: 'kendall_tau',
  result: { value: 0.31, n: 15625, dropped: 0 },
  backend: 'tfjs-wasm',
  wallSeconds: 10,
  notes: ['schedule scaled to CIFAR: 5 epochs'],
};

describe('correlation table', () => {
  it('computes delta = ours - published and n/a where nothing was published', () => {
    const [a, b] = buildCorrelationRows([withPublished, withoutPublished]);
    expect(a.delta).toBeCloseTo(0.6 - 0.574, 15);
    expect(a.published).toBe(0.574);
    expect(b.published).toBeNull();
    expect(b.delta).toBeNull();
  });

  it('writes the expected CSV columns and values', () => {
    const csv = correlationTableCsv(buildCorrelationRows([withPublished, withoutPublished]));
    const records = parse(csv, { columns: true }) as Record<string, string>[];
    expect(Object.keys(records[0])).toEqual([...CORRELATION_COLUMNS]);
    expect(records[0]).toEqual({
      paper: 'n/a',
      method: 'naswot',
      benchmark: 'nb201',
      dataset: 'cifar10',
      ground_truth: 'cifar10-valid x-valid 200ep (nb201-v1_0)',
      metric: 'kendall_tau',
      cells: 'n/a',
      n: '1000',
      dropped: '2',
      ours: '0.6',
      ci_low: '0.571234',
      ci_high: '0.62',
      seeds: 'n/a',
      seed_mean: 'n/a',
      seed_std: 'n/a',
      published: '0.574',
      delta: '0.026', // rounded: not 0.026000000000000023
      published_source: 'Mellor et al. ICML 2021, Figure 3',
      backend: 'tfjs-wasm',
      wall_seconds: '1234.6',
      notes: '',
    });
    expect(records[1]).toMatchObject({
      published: 'n/a',
      delta: 'n/a',
      published_source: 'n/a',
      ci_low: 'n/a',
      ci_high: 'n/a',
      notes: 'schedule scaled to CIFAR: 5 epochs',
    });
  });

  it('renders the same table in Markdown', () => {
    const md = correlationTableMarkdown(buildCorrelationRows([withPublished, withoutPublished]));
    const lines = md.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(`| ${CORRELATION_COLUMNS.join(' | ')} |`);
    expect(lines[1]).toMatch(/^\|---\|---\|---\|---\|---\|---\|---\|---:\|/);
    expect(lines[2]).toBe(
      '| n/a | naswot | nb201 | cifar10 | cifar10-valid x-valid 200ep (nb201-v1_0) | kendall_tau | n/a | 1000 | 2 | 0.600 | 0.571 | 0.620 | n/a | n/a | n/a | 0.574 | +0.026 | Mellor et al. ICML 2021, Figure 3 | tfjs-wasm | 1234.6 |  |',
    );
    expect(lines[3]).toContain('| 0.310 | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a | tfjs-wasm |');
  });

  it('carries the paper, the cell population and the spread over seeds', () => {
    const [row] = buildCorrelationRows([{ ...withPublished, paper: 'naswot-icml2021', population: 'nb201:sample(1000,seed=0)', seeds: { pairs: 3, cells: 200, mean: 0.61, std: 0.02, values: [0.59, 0.61, 0.63] } }]);
    const rec = (parse(correlationTableCsv([row!]), { columns: true }) as Record<string, string>[])[0]!;
    expect(rec).toMatchObject({ paper: 'naswot-icml2021', cells: 'nb201:sample(1000,seed=0)', seed_mean: '0.61', seed_std: '0.02' });
    expect(rec.seeds).toMatch(/3/);
  });

  it('notes an undefined correlation and a different cell count than the paper', () => {
    const [row] = buildCorrelationRows([
      {
        ...withPublished,
        result: { value: NaN, n: 500, dropped: 0, reason: 'all 500 x values are tied (x is constant)' },
      },
    ]);
    expect(row.delta).toBeNull();
    expect(row.notes).toBe('no value: all 500 x values are tied (x is constant); published over 1000 cells, ours over 500');
    const csv = parse(correlationTableCsv([row]), { columns: true }) as Record<string, string>[];
    expect(csv[0].ours).toBe('NaN');
    expect(csv[0].delta).toBe('n/a');
  });

  it('escapes pipes of arch strings in Markdown and writes both files', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'corr-table-'));
    const rows = buildCorrelationRows([{ ...withoutPublished, notes: ['best |nor_conv_3x3~0|'] }]);
    writeCorrelationTable(rows, { csv: path.join(dir, 't.csv'), markdown: path.join(dir, 't.md') });
    expect(readFileSync(path.join(dir, 't.csv'), 'utf8')).toBe(correlationTableCsv(rows));
    const md = readFileSync(path.join(dir, 't.md'), 'utf8');
    expect(md).toContain('best \\|nor_conv_3x3~0\\|');
    // Every data line still has exactly one cell per column.
    const cells = md.split('\n')[2].split(/(?<!\\)\|/).length - 2;
    expect(cells).toBe(CORRELATION_COLUMNS.length);
  });
});
