import { execFile } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importNB201 } from '../../src/benchmarks/import-nb201.ts';
import { archStringFromIndex } from '../../src/spaces/nb201-index.ts';
import { dataFile } from '../helpers/data.ts';

// Every error a user can cause is one line naming the file (or argument) and what is wrong, then
// exit 2: no stack trace, no library source. The real CLI is run on each bad input; the CIFAR
// cases go through worker processes with the wasm backend loaded, whose own uncaughtException
// handler used to print its 30 KB minified source line above the message.

const tmp = mkdtempSync(path.join(tmpdir(), 'nasrepro-bad-'));
let store: string;

function cli(...args: string[]): Promise<{ code: number; stderr: string }> {
  return run(['bin/nasrepro.js', ...args]);
}

function run(argv: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, argv, { encoding: 'utf8', env: { ...process.env, NASREPRO_DEBUG: '' } }, (err, _stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr });
    });
  });
}

/** The failure is reported as one short line with `parts`, and the exit code is 2. */
async function expectOneLine(args: string[], ...parts: Array<string | RegExp>): Promise<string> {
  return expectOneLineFrom('nasrepro', cli(...args), parts);
}

async function expectOneLineFrom(program: string, result: Promise<{ code: number; stderr: string }>, parts: Array<string | RegExp>): Promise<string> {
  const r = await result;
  const text = r.stderr.trim();
  expect(r.code, text).toBe(2);
  expect(text.split('\n'), text).toHaveLength(1);
  expect(text.startsWith(`${program}: `), text).toBe(true);
  expect(text).not.toMatch(/^\s+at /m);
  expect(text.length).toBeLessThan(500);
  for (const p of parts) expect(text).toMatch(p);
  return text;
}

function head(file: string, bytes: number, out: string): string {
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(bytes);
  const n = readSync(fd, buf, 0, bytes, 0);
  closeSync(fd);
  writeFileSync(out, buf.subarray(0, n));
  return out;
}

/** A DATA whose CIFAR-10 training batch is cut inside a record. */
function brokenCifarData(): string {
  const data = path.join(tmp, 'data-bad-cifar');
  const dir = path.join(data, 'cifar10', 'cifar-10-batches-bin');
  mkdirSync(dir, { recursive: true });
  head(dataFile('cifar10', 'cifar-10-batches-bin', 'data_batch_1.bin'), 3073 * 9 + 1000, path.join(dir, 'data_batch_1.bin'));
  copyFileSync(dataFile('cifar10', 'cifar-10-batches-bin', 'test_batch.bin'), path.join(dir, 'test_batch.bin'));
  return data;
}

const ARCH0 = archStringFromIndex(0);
const ARCH1 = archStringFromIndex(1);

beforeAll(async () => {
  const csv = path.join(tmp, 'two-cells.csv');
  writeFileSync(csv, `index,arch,cifar10_test_200\n0,${ARCH0},85.5\n1,${ARCH1},80.25\n`);
  store = path.join(tmp, 'nb201.h5');
  await importNB201(csv, store);
});

describe('bad input gets one line naming the file and the problem', () => {
  it('a truncated .pth', async () => {
    const pth = head(dataFile('nb201', 'NAS-Bench-201-sample-legacy.pth'), 100_000, path.join(tmp, 'truncated.pth'));
    await expectOneLine(['import', 'nb201', pth, '--out', path.join(tmp, 'a.h5')], /truncated\.pth/, /ends early/);
  });

  it('a junk .pth', async () => {
    const junk = path.join(tmp, 'junk.pth');
    writeFileSync(junk, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 251)));
    await expectOneLine(['import', 'nb201', junk, '--out', path.join(tmp, 'b.h5')], /junk\.pth/, /unrecognised NB201 source/);
  });

  it('a CSV with a non-numeric value', async () => {
    const csv = path.join(tmp, 'bad-value.csv');
    writeFileSync(csv, `index,arch,cifar10_test_200\n0,${ARCH0},85.5\n1,${ARCH1},eighty\n`);
    await expectOneLine(['import', 'nb201', csv, '--out', path.join(tmp, 'c.h5')], /bad-value\.csv, row 3/, /non-numeric value 'eighty'/);
  });

  it('an invalid arch string and an out-of-range index', async () => {
    await expectOneLine(['query', 'nb201', '|conv_9x9~0|+|none~0|none~1|+|none~0|none~1|none~2|', '--store', store], /conv_9x9/);
    await expectOneLine(['score', 'naswot', '--cells', '0,15625', '--out', path.join(tmp, 'd.csv')], /index 15625 is out of range/);
  });

  it('a CIFAR file whose size is not a whole number of records (wasm backend loaded)', async () => {
    const data = brokenCifarData();
    await expectOneLine(
      ['score', 'naswot', '--cells', '0', '--data', data, '--backend', 'wasm', '--workers', '1', '--cache-dir', path.join(tmp, 'cache'), '--out', path.join(tmp, 'e.csv')],
      /data_batch_1\.bin: size 28657 bytes is not a whole/,
    );
  });

  it('missing images (wasm backend loaded)', async () => {
    const empty = path.join(tmp, 'data-empty');
    mkdirSync(empty, { recursive: true });
    await expectOneLine(
      ['score', 'naswot', '--cells', '0', '--data', empty, '--backend', 'wasm', '--workers', '1', '--cache-dir', path.join(tmp, 'cache'), '--out', path.join(tmp, 'f.csv')],
      /data-empty\/cifar10\/cifar-10-batches-bin: cifar10 directory not found/,
      /nasrepro fetch cifar10/,
    );
  });

  it('the same in an experiment entry point (reproduce-nb201 on a broken CIFAR file)', async () => {
    const data = brokenCifarData();
    await expectOneLineFrom(
      'reproduce-nb201',
      run(['--import', 'tsx', 'experiments/reproduce-nb201.ts', '--data', data, '--store', store, '--cells', '0,1', '--workers', '1', '--backend', 'wasm',
        '--out', path.join(tmp, 'results'), '--cache-dir', path.join(tmp, 'cache-repro')]),
      [/data_batch_1\.bin: size 28657 bytes is not a whole/],
    );
  });

  it('an output path that cannot be written', async () => {
    const file = path.join(tmp, 'a-file');
    writeFileSync(file, 'x');
    await expectOneLine(['score', 'params', '--cells', '0', '--out', path.join(file, 'scores.csv')], /a-file\/scores\.csv: cannot write the output here: a part of the path is a file/);
    const csv = path.join(tmp, 'two-cells.csv');
    await expectOneLine(['import', 'nb201', csv, '--out', path.join(file, 'x.h5')], /a-file\/x\.h5: cannot write/);
  });
});

describe('a bug is not reported as bad input', () => {
  it('prints one line and a hint by default, the stack trace only with NASREPRO_DEBUG=1', async () => {
    const { formatError, reportOf } = await import('../../src/util/report-error.ts');
    const bug = new TypeError("Cannot read properties of undefined (reading 'x')");
    expect(reportOf(bug).exitCode).toBe(1);
    const saved = process.env.NASREPRO_DEBUG;
    try {
      delete process.env.NASREPRO_DEBUG;
      const plain = formatError('nasrepro', bug).trim().split('\n');
      expect(plain).toHaveLength(2);
      expect(plain[0]).toBe("nasrepro: internal error: TypeError: Cannot read properties of undefined (reading 'x')");
      expect(plain[1]).toMatch(/NASREPRO_DEBUG=1/);
      process.env.NASREPRO_DEBUG = '1';
      expect(formatError('nasrepro', bug)).toMatch(/\n\s+at /);
    } finally {
      if (saved === undefined) delete process.env.NASREPRO_DEBUG;
      else process.env.NASREPRO_DEBUG = saved;
    }
    // a file-system error on a user's path is bad input: exit 2, the path first
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open '/x/y.csv'"), { code: 'ENOENT', path: '/x/y.csv', syscall: 'open' });
    expect(reportOf(enoent)).toEqual({ message: '/x/y.csv: cannot open: no such file or directory (ENOENT)', exitCode: 2 });
  });
});
