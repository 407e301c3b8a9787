import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkAgainstPublished, checkTables, parseTolerance, readCheckSide, readCorrelationCsv } from '../../src/report/check.ts';
import { buildCorrelationRows, correlationTableCsv, type CorrelationEntry } from '../../src/report/correlation-table.ts';
import { parsePublished, PublishedTable } from '../../src/report/published.ts';
import { PUBLISHED_CSV } from '../../src/cli/check.ts';
import { DataError } from '../../src/util/errors.ts';

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/nasrepro.js', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function entry(method: string, dataset: string, value: number, over: Partial<CorrelationEntry> = {}): CorrelationEntry {
  return {
    paper: 'naswot-icml2021',
    population: 'nb201:sample(32,seed=0)',
    method,
    benchmark: 'nb201',
    dataset,
    groundTruth: 'cifar10-valid x-valid 200ep (nb201-v1_0: nb201-accuracies.csv)',
    metric: 'kendall_tau',
    result: { value, n: 32, dropped: 0 },
    ci: Number.isNaN(value) ? null : { low: value - 0.1, high: value + 0.15 },
    published: null,
    backend: 'wasm 4.22.0',
    wallSeconds: 1,
    ...over,
  };
}

const BASE = [entry('naswot', 'cifar10', 0.6), entry('naswot', 'cifar10', 0.8, { metric: 'spearman' }), entry('naswot', 'cifar100', NaN, { result: { value: NaN, n: 0, dropped: 0, reason: 'data not present' } })];

function table(dir: string, name: string, entries: CorrelationEntry[]): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, correlationTableCsv(buildCorrelationRows(entries)));
  return file;
}

const tmp = mkdtempSync(path.join(tmpdir(), 'nasrepro-check-'));
mkdirSync(path.join(tmp, 'empty-dir'));

describe('nasrepro check', () => {
  it('passes on identical tables, matching rows by identity whatever their order', () => {
    const a = readCorrelationCsv(table(tmp, 'a.csv', BASE));
    const b = readCorrelationCsv(table(tmp, 'b.csv', [...BASE].reverse()));
    const r = checkTables(a, b);
    expect(r.failed).toBe(0);
    expect(r.lines.map((l) => l.verdict)).toEqual(['ok', 'ok', 'ok']);
    const run = cli('check', path.join(tmp, 'a.csv'), '--against', path.join(tmp, 'b.csv'));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/3 ok, 0 failed, of 3 rows/);
  });

  it('fails on a value moved beyond the tolerance and holds within it', () => {
    const exp = readCorrelationCsv(table(tmp, 'exp.csv', BASE));
    const moved = readCorrelationCsv(table(tmp, 'moved.csv', [entry('naswot', 'cifar10', 0.6 + 0.021), BASE[1]!, BASE[2]!]));
    const r = checkTables(moved, exp, 0.02);
    expect(r.failed).toBe(1);
    const bad = r.lines.find((l) => l.verdict !== 'ok')!;
    expect(bad).toMatchObject({ verdict: 'drift', method: 'naswot', metric: 'kendall_tau' });
    expect(bad.diff).toBeCloseTo(0.021, 9);
    expect(checkTables(moved, exp, 0.03).failed).toBe(0);
    // the command: exit 1 and the row marked (one process per verdict kind keeps the test fast)
    const run = cli('check', path.join(tmp, 'moved.csv'), '--against', path.join(tmp, 'exp.csv'));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL: drift/);
  });

  it('fails on a row present on one side only, and on a value that became NaN', () => {
    const exp = readCorrelationCsv(table(tmp, 'exp2.csv', BASE));
    const fewer = readCorrelationCsv(table(tmp, 'fewer.csv', BASE.slice(0, 2)));
    expect(checkTables(fewer, exp).lines.filter((l) => l.verdict !== 'ok').map((l) => l.verdict)).toEqual(['missing in ours']);
    expect(checkTables(exp, fewer).lines.filter((l) => l.verdict !== 'ok').map((l) => l.verdict)).toEqual(['missing in expected']);
    // same identity, another population: not the same row
    const otherCells = readCorrelationCsv(table(tmp, 'cells.csv', [entry('naswot', 'cifar10', 0.6, { population: 'nb201:sample(33,seed=0)' }), BASE[1]!, BASE[2]!]));
    expect(checkTables(otherCells, exp).failed).toBe(2);
    const nan = readCorrelationCsv(table(tmp, 'nan.csv', [entry('naswot', 'cifar10', NaN), BASE[1]!, BASE[2]!]));
    expect(checkTables(nan, exp).lines.find((l) => l.verdict !== 'ok')!.verdict).toBe('no value');
    const fewerCells = readCorrelationCsv(table(tmp, 'n.csv', [entry('naswot', 'cifar10', 0.6, { result: { value: 0.6, n: 31, dropped: 1 } }), BASE[1]!, BASE[2]!]));
    expect(checkTables(fewerCells, exp).lines.find((l) => l.verdict !== 'ok')!.verdict).toBe('n differs');
  });

  it('exits 2 with one line naming the file and line on a corrupt CSV', () => {
    const good = table(tmp, 'good.csv', BASE);
    const lines = correlationTableCsv(buildCorrelationRows(BASE)).split('\n');
    const torn = path.join(tmp, 'torn.csv');
    writeFileSync(torn, [...lines.slice(0, 2), lines[2]!.split(',').slice(0, 5).join(','), ''].join('\n'));
    const run = cli('check', torn, '--against', good);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/torn\.csv, row 3: not a valid CSV/);
    const badNumber = path.join(tmp, 'bad-number.csv');
    writeFileSync(badNumber, lines.map((l, i) => (i === 1 ? l.replace(',0.6,', ',zero point six,') : l)).join('\n'));
    // the same DataError (exit 2 through the CLI's error report) for the other unreadable inputs
    expect(() => readCorrelationCsv(badNumber)).toThrow(/bad-number\.csv, row 2: ours is not a number: "zero point six"/);
    const notTable = path.join(tmp, 'not-table.csv');
    writeFileSync(notTable, 'a,b\n1,2\n');
    expect(() => readCorrelationCsv(notTable)).toThrow(/not-table\.csv, row 1: not a correlation table: missing column/);
    expect(() => readCheckSide(path.join(tmp, 'nope'))).toThrow(DataError);
    expect(() => readCheckSide(path.join(tmp, 'empty-dir'))).toThrow(DataError);
    expect(() => parseTolerance('wide')).toThrow(DataError);
    expect(() => checkTables(readCorrelationCsv(table(tmp, 'dup.csv', [BASE[0]!, BASE[0]!])), [])).toThrow(/dup\.csv, row 3: two rows with the same identity.*line 2/);
  });

  it('with --tolerance ci, each row is allowed its own interval width', () => {
    const exp = readCorrelationCsv(table(tmp, 'ci-exp.csv', BASE));
    // CI of the expected row: [0.5, 0.75], width 0.25
    const within = readCorrelationCsv(table(tmp, 'ci-in.csv', [entry('naswot', 'cifar10', 0.6 + 0.24), BASE[1]!, BASE[2]!]));
    const beyond = readCorrelationCsv(table(tmp, 'ci-out.csv', [entry('naswot', 'cifar10', 0.6 + 0.26), BASE[1]!, BASE[2]!]));
    expect(parseTolerance('ci')).toBe('ci');
    expect(checkTables(within, exp, 'ci').failed).toBe(0);
    expect(checkTables(within, exp, 0.02).failed).toBe(1);
    const r = checkTables(beyond, exp, 'ci');
    expect(r.failed).toBe(1);
    expect(r.lines.find((l) => l.verdict === 'drift')!.tolerance).toBeCloseTo(0.25, 9);
  });

  it('--against published compares with the papers\' values, by identity, and reads directories', () => {
    const published = new PublishedTable(
      parsePublished(
        [
          'paper,table,benchmark,dataset,ground_truth,method,metric,value,std,n_archs,source',
          'naswot-icml2021,fig3,nb201,cifar10,cifar10-valid x-valid 200ep,naswot,kendall_tau,0.574,,1000,Fig 3',
          'naswot-icml2021,fig3,nb201,cifar100,x-test 200ep,naswot,kendall_tau,0.611,,1000,Fig 3',
          'naswot-icml2021,table2a,nb201,cifar10,x-valid,naswot-search-N10,accuracy,89.1,0.3,,Table 2',
          'other-paper,t1,nb201,cifar10,x,naswot,kendall_tau,0.1,,,elsewhere',
        ].join('\n'),
      ),
    );
    const dir = path.join(tmp, 'results');
    table(dir, 'naswot/correlation.csv', BASE);
    const ours = readCheckSide(dir);
    expect(ours).toHaveLength(3);
    const r = checkAgainstPublished(ours, published, 0.03);
    // cifar10 tau 0.6 vs 0.574 holds at 0.03; cifar100 has no value (no images): fails; spearman is not published
    expect(r.lines.map((l) => [l.dataset, l.metric, l.verdict])).toEqual([
      ['cifar10', 'kendall_tau', 'ok'],
      ['cifar100', 'kendall_tau', 'no value'],
      ['cifar10', 'spearman', 'not published'],
    ]);
    expect(r.failed).toBe(1);
    expect(checkAgainstPublished(ours, published, 0.02).lines[0]!.verdict).toBe('drift');
    // the real reference table (what `--against published` reads) has the same Figure 3 value
    const real = checkAgainstPublished(ours, PublishedTable.load(PUBLISHED_CSV), 0.03);
    expect(real.lines.find((l) => l.dataset === 'cifar10' && l.metric === 'kendall_tau')).toMatchObject({ expected: 0.574, ours: 0.6, verdict: 'ok' });
  });
});
