import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePublished, PublishedTable } from '../../src/report/published.ts';
import { DataError } from '../../src/util/errors.ts';

// A copy of reference/published.csv, so the parser is tested on the real file's shape.
const FIXTURE = path.resolve('reference/published.csv');
const HEADER = 'paper,table,benchmark,dataset,ground_truth,method,metric,value,std,n_archs,source\n';

describe('published.csv', () => {
  const table = PublishedTable.load(FIXTURE);

  it('reads every row into typed values', () => {
    // every data line of the file (the header excluded)
    expect(table.rows.length).toBe(readFileSync(FIXTURE, 'utf8').trimEnd().split('\n').length - 1);
    const naswot = table.lookup({ benchmark: 'nb201', dataset: 'cifar10', method: 'naswot', metric: 'kendall_tau' });
    expect(naswot).toMatchObject({
      paper: 'naswot-icml2021',
      table: 'fig3',
      groundTruth: 'cifar10-valid x-valid 200ep',
      value: 0.574,
      std: null,
      nArchs: 1000,
      line: 2,
    });
  });

  it('resolves source "same" to the citation of the row above', () => {
    const snip = table.lookup({ benchmark: 'nb201', dataset: 'cifar100', method: 'snip', metric: 'spearman_abs' });
    expect(snip?.source).toBe('SamsungLabs/zero-cost-nas notebooks/nasbench201_correlations.ipynb');
    const nb101 = table.lookup({ benchmark: 'nb101', dataset: 'cifar10', method: 'synflow', metric: 'spearman_abs' });
    expect(nb101?.source).toBe('SamsungLabs/zero-cost-nas notebooks/nasbench101_correlations.ipynb');
    expect(table.rows.every((r) => r.source !== 'same')).toBe(true);
  });

  it('returns undefined for a number the papers did not print', () => {
    expect(table.lookup({ benchmark: 'nb201', dataset: 'cifar10', method: 'bn-nas', metric: 'kendall_tau' })).toBeUndefined();
  });

  it('refuses an ambiguous lookup and resolves it with the ground truth', () => {
    const q = { benchmark: 'nb201', dataset: 'cifar10', method: 'naswot-search-N10', metric: 'accuracy' };
    expect(() => table.lookup(q)).toThrow(/ambiguous.*line 6.*line 7/);
    expect(table.lookup({ ...q, groundTruth: 'ori-test' })).toMatchObject({ value: 92.44, std: 1.13 });
  });

  it('reports bad input with the file and line', () => {
    expect(() => parsePublished(HEADER + 'p,t,nb201,cifar10,gt,m,kendall_tau,abc,,,src\n', 'x.csv')).toThrow(
      /x\.csv, row 2: value is not a number: "abc"/,
    );
    expect(() => parsePublished('paper,value\np,1\n', 'y.csv')).toThrow(DataError);
    expect(() => parsePublished(HEADER + 'p,t,nb201,cifar10,gt,m,kendall_tau,0.5,,,same\n')).toThrow(/"same" with no earlier row/);
  });
});
