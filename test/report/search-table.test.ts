import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import {
  buildSearchRows,
  SEARCH_COLUMNS,
  searchTableCsv,
  searchTableMarkdown,
  type SearchEntry,
} from '../../src/report/search-table.ts';

const entries: SearchEntry[] = [
  {
    method: 'naswot-search-N10',
    benchmark: 'nb201',
    dataset: 'cifar10',
    split: 'x-valid',
    runs: 500,
    mean: 89.3,
    std: 1.2,
    published: { value: 89.14, std: 1.14, source: 'Table 2(a), 500 runs' },
  },
  {
    method: 'naswot-search-N10',
    benchmark: 'nb201',
    dataset: 'cifar10',
    split: 'ori-test',
    runs: 500,
    mean: 92.5,
    std: 1.1,
    published: { value: 92.44, std: 1.13, source: 'Table 2(a), 500 runs' },
  },
  { method: 'random-N1', benchmark: 'nb201', dataset: 'cifar10', split: 'x-valid', runs: 500, mean: 83.0, std: 13.1, published: null },
];

describe('search table', () => {
  it('writes long CSV with delta = ours - published and n/a where nothing was published', () => {
    const records = parse(searchTableCsv(buildSearchRows(entries)), { columns: true }) as Record<string, string>[];
    expect(Object.keys(records[0])).toEqual([...SEARCH_COLUMNS]);
    expect(records[0]).toMatchObject({ ours_mean: '89.3', published_mean: '89.14', published_std: '1.14', delta_mean: '0.16' });
    expect(records[2]).toMatchObject({
      method: 'random-N1',
      published_mean: 'n/a',
      published_std: 'n/a',
      delta_mean: 'n/a',
      published_source: 'n/a',
    });
  });

  it('renders the Table 2(a) layout: methods as rows, (dataset, split) as columns', () => {
    const md = searchTableMarkdown(buildSearchRows(entries));
    const lines = md.split('\n');
    expect(lines[0]).toBe('| method | cifar10 x-valid | cifar10 ori-test |');
    expect(lines[1]).toBe('|---|---:|---:|');
    expect(lines[2]).toBe('| naswot-search-N10 | 89.30 ± 1.20 (89.14 ± 1.14) | 92.50 ± 1.10 (92.44 ± 1.13) |');
    expect(lines[3]).toBe('| random-N1 | 83.00 ± 13.10 (n/a) |  |');
    expect(md).toContain('over 500 runs');
  });
});
