import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dataFile } from '../helpers/data.ts';

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/nasrepro.js', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const store = path.join(mkdtempSync(path.join(tmpdir(), 'nasrepro-cli-')), 'nb201.h5');

beforeAll(() => {
  const r = cli('import', 'nb201', dataFile('nb201', 'nb201-accuracies.csv'), '--out', store);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/15625 records \(csv/);
});

describe('nasrepro CLI', () => {
  it('answers a query by index and by arch string with the same value', () => {
    const byIndex = cli('query', 'nb201', '0', '--dataset', 'cifar10', '--split', 'ori-test', '--epochs', '200', '--store', store, '--json');
    expect(byIndex.code, byIndex.stderr).toBe(0);
    const row = JSON.parse(byIndex.stdout);
    expect(row).toMatchObject({ row: 0, origin: 'nats-tss-v1_0', dataset: 'cifar10', split: 'ori-test', epochs: 200, seed: 'mean' });
    expect(row.value).toBeCloseTo(85.8633, 4);
    const byArch = cli('query', 'nb201', row.cell, '--dataset', 'cifar10', '--split', 'ori-test', '--epochs', '200', '--store', store, '--json');
    expect(JSON.parse(byArch.stdout).value).toBe(row.value);
  });

  it('exits 2 with one clear line for bad input', () => {
    const badArch = cli('query', 'nb201', '|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|', '--store', store);
    expect(badArch.code).toBe(2);
    expect(badArch.stderr).toMatch(/^nasrepro: .*unknown .*op/i);
    const missing = cli('query', 'nb201', '0', '--store', path.join(tmpdir(), 'no-such-store.h5'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no-such-store\.h5: store not found/);
    const badSplit = cli('query', 'nb201', '0', '--split', 'x-vlaid', '--store', store);
    expect(badSplit.code).toBe(2);
    expect(badSplit.stderr).toMatch(/no column matches/);
  });

  it('has --help on every command', () => {
    for (const args of [['--help'], ['import', 'nb201', '--help'], ['import', 'nb101', '--help'], ['query', 'nb201', '--help'], ['score', '--help'], ['store-info', '--help']]) {
      const r = cli(...args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: nasrepro/);
    }
  });
});
