import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openScoreCache, scoreCachePath, scoreStatus, type ScoreCacheKey } from '../../src/results/score-cache.ts';
import { canonicalJson, configHash } from '../../src/results/canonical-json.ts';
import { DataError } from '../../src/util/errors.ts';
import { KILL_TEST_KEY } from './fixtures/key.ts';

const KEY: ScoreCacheKey = {
  space: 'nb201',
  proxy: 'naswot',
  config: { batchSize: 128, mode: 'train', classifier: { outputs: 1 } },
  batch: 'cifar10-train-b128-seed0',
  seed: 0,
  backend: 'tfjs-wasm',
};

const tempDir = () => mkdtempSync(path.join(tmpdir(), 'score-cache-'));
const quiet = { onWarning: () => {} };

describe('canonical config', () => {
  it('hashes equal configs equally whatever the key order, and refuses non-JSON values', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 2], c: 'x' } })).toBe('{"a":{"c":"x","d":[1,2]},"b":1}');
    expect(configHash({ a: 1, b: 2 })).toBe(configHash({ b: 2, a: 1 }));
    expect(configHash({ a: 1 })).not.toBe(configHash({ a: 2 }));
    expect(() => canonicalJson({ lr: NaN })).toThrow(/\$\.lr/);
    expect(() => canonicalJson({ when: new Date() })).toThrow(/plain objects/);
  });
});

describe('openScoreCache', () => {
  it('gets back what was put, after reopening, including non-finite scores and errors', () => {
    const dir = tempDir();
    const a = openScoreCache(dir, KEY);
    expect(a.size).toBe(0);
    expect(existsSync(a.file)).toBe(false); // nothing written until the first put
    a.put('|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|none~2|', { score: 1234.5, status: 'ok', seconds: 1.5 });
    a.put('cell-nan', { score: NaN, status: 'nan', seconds: 0.2 });
    a.put('cell-neg-inf', { score: -Infinity, status: 'inf', seconds: 0.3 });
    a.put('cell-err', { score: null, status: 'error', seconds: 0.1, error: 'memory access out of bounds' });
    a.close();

    const b = openScoreCache(dir, KEY);
    expect(b.file).toBe(a.file);
    expect(b.size).toBe(4);
    expect(b.get('|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|none~2|')).toEqual({
      cell: '|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|none~2|',
      score: 1234.5,
      status: 'ok',
      seconds: 1.5,
    });
    expect(b.get('cell-nan')?.score).toBeNaN();
    expect(b.get('cell-neg-inf')).toMatchObject({ score: -Infinity, status: 'inf' });
    expect(b.get('cell-err')).toMatchObject({ score: null, status: 'error', error: 'memory access out of bounds' });
    expect(b.get('missing')).toBeUndefined();
    expect(b.entries().map((e) => e.cell)).toEqual([
      '|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|none~2|',
      'cell-nan',
      'cell-neg-inf',
      'cell-err',
    ]);
    b.close();
  });

  it('lets a later record supersede an earlier one for the same cell', () => {
    const dir = tempDir();
    const a = openScoreCache(dir, KEY);
    a.put('c', { score: null, status: 'error', seconds: 1, error: 'oom' });
    a.put('d', { score: 2, status: 'ok', seconds: 1 });
    a.put('c', { score: 5, status: 'ok', seconds: 2 });
    a.close();
    const b = openScoreCache(dir, KEY);
    expect(b.entries()).toEqual([
      { cell: 'c', score: 5, status: 'ok', seconds: 2 },
      { cell: 'd', score: 2, status: 'ok', seconds: 1 },
    ]);
    b.close();
  });

  it('refuses a status that disagrees with the score (non-finite scores are never replaced)', () => {
    const c = openScoreCache(tempDir(), KEY);
    expect(() => c.put('x', { score: NaN, status: 'ok', seconds: 0 })).toThrow(/finite score/);
    expect(() => c.put('x', { score: 0, status: 'nan', seconds: 0 })).toThrow(/NaN/);
    expect(() => c.put('x', { score: 1, status: 'inf', seconds: 0 })).toThrow(/Infinity/);
    expect(() => c.put('x', { score: null, status: 'error', seconds: 0 })).toThrow(/message/);
    expect(() => c.put('x', { score: 1, status: 'ok', seconds: -1 })).toThrow(/seconds/);
    expect(c.size).toBe(0);
    expect(scoreStatus(1)).toBe('ok');
    expect(scoreStatus(NaN)).toBe('nan');
    expect(scoreStatus(-Infinity)).toBe('inf');
  });

  it('keys the file by space, proxy, config, batch, seed and backend', () => {
    const dir = tempDir();
    const base = scoreCachePath(dir, KEY);
    const variants: Partial<ScoreCacheKey>[] = [
      { space: 'nb101' },
      { proxy: 'synflow' },
      { config: { batchSize: 64, mode: 'train', classifier: { outputs: 1 } } },
      { batch: 'cifar10-train-b128-seed1' },
      { seed: 1 },
      { backend: 'onnxruntime-cpu' },
    ];
    const paths = variants.map((v) => scoreCachePath(dir, { ...KEY, ...v }));
    expect(new Set([base, ...paths]).size).toBe(7);
    // Reordered config keys are the same config.
    expect(scoreCachePath(dir, { ...KEY, config: { classifier: { outputs: 1 }, mode: 'train', batchSize: 128 } })).toBe(base);
  });

  it('refuses a file whose header names another identity', () => {
    const dir = tempDir();
    const a = openScoreCache(dir, KEY);
    a.put('c', { score: 1, status: 'ok', seconds: 0 });
    a.close();
    // Two backends whose names slug to the same file name: the header tells them apart.
    const header = JSON.parse(readFileSync(a.file, 'utf8').split('\n')[0]);
    header.backend = 'tfjs wasm';
    const lines = readFileSync(a.file, 'utf8').split('\n');
    lines[0] = JSON.stringify(header);
    writeFileSync(a.file, lines.join('\n'));
    let error: unknown;
    try {
      openScoreCache(dir, KEY);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).row).toBe(1);
    expect((error as Error).message).toMatch(/backend: file has "tfjs wasm", requested "tfjs-wasm"/);
  });

  it('ignores a torn last line with a warning, keeps the rest, and cuts it off before appending', () => {
    const dir = tempDir();
    const a = openScoreCache(dir, KEY);
    for (let i = 0; i < 5; i++) a.put(`cell-${i}`, { score: i, status: 'ok', seconds: 0.1 });
    a.close();
    // Cut the file in the middle of the last record.
    const size = statSync(a.file).size;
    truncateSync(a.file, size - 7);

    const warnings: string[] = [];
    const b = openScoreCache(dir, KEY, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/torn last line/);
    expect(b.entries().map((e) => e.cell)).toEqual(['cell-0', 'cell-1', 'cell-2', 'cell-3']);
    b.put('cell-4', { score: 4, status: 'ok', seconds: 0.1 });
    b.put('cell-5', { score: 5, status: 'ok', seconds: 0.1 });
    b.close();

    const text = readFileSync(a.file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    for (const line of text.trimEnd().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    const c = openScoreCache(dir, KEY, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1); // clean now
    expect(c.entries().map((e) => e.score)).toEqual([0, 1, 2, 3, 4, 5]);
    c.close();
  });

  it('reports a malformed complete line as damage, with its row', () => {
    const dir = tempDir();
    const a = openScoreCache(dir, KEY);
    a.put('c', { score: 1, status: 'ok', seconds: 0 });
    a.close();
    appendFileSync(a.file, '{"cell": oops}\n');
    expect(() => openScoreCache(dir, KEY, quiet)).toThrow(/row 3: score cache record is not valid JSON/);
  });

  it('refuses a second live writer', () => {
    const dir = tempDir();
    const a = openScoreCache(dir, KEY);
    a.put('c', { score: 1, status: 'ok', seconds: 0 });
    // Pretend another live process (our parent) holds the lock.
    a.close();
    writeFileSync(`${a.file}.lock`, String(process.ppid));
    const b = openScoreCache(dir, KEY);
    expect(() => b.put('d', { score: 1, status: 'ok', seconds: 0 })).toThrow(/being written by process/);
    // A lock left by a dead process is taken over.
    writeFileSync(`${a.file}.lock`, '999999999');
    b.put('d', { score: 1, status: 'ok', seconds: 0 });
    b.close();
    expect(existsSync(`${a.file}.lock`)).toBe(false);
  });
});

describe('score cache under SIGKILL', () => {
  const script = path.resolve('test/results/fixtures/write-scores.ts');

  /** Run the writer; it pauses after `killAfter` cells (0: let it finish) and is killed on that line. */
  function runWriter(dir: string, first: number, end: number, killAfter: number): Promise<{ done: string[]; signal: string | null }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, dir, String(first), String(end), String(killAfter)], {
        cwd: process.cwd(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const done: string[] = [];
      let buffered = '';
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.stdout.on('data', (c: Buffer) => {
        buffered += c.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          if (line.startsWith('done ')) done.push(line.slice(5));
          if (line === 'paused') child.kill('SIGKILL');
        }
      });
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (killAfter === 0 && code !== 0) reject(new Error(`writer exited ${code}: ${stderr}`));
        else resolve({ done, signal });
      });
    });
  }

  it('keeps every cell reported done before the kill, and a resumed run appends correctly', async () => {
    const dir = tempDir();
    const total = 400;
    const killed = await runWriter(dir, 0, total, 25);
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.done).toHaveLength(25); // killed while paused after the 25th: cut short of 400

    const warnings: string[] = [];
    const afterKill = openScoreCache(dir, KILL_TEST_KEY, { onWarning: (m) => warnings.push(m) });
    const cached = new Set(afterKill.entries().map((e) => e.cell));
    for (const cell of killed.done) expect(cached.has(cell)).toBe(true);
    // It was blocked after reporting its 25th cell: nothing beyond what it reported.
    expect(cached.size).toBe(killed.done.length);
    afterKill.close();

    // Resume: the writer skips cached cells and finishes the rest; the lock of the dead process
    // is taken over.
    const resumed = await runWriter(dir, 0, total, 0);
    const final = openScoreCache(dir, KILL_TEST_KEY, quiet);
    const entries = final.entries();
    expect(entries).toHaveLength(total);
    expect(new Set(entries.map((e) => e.cell)).size).toBe(total);
    for (const e of entries) expect(e.score).toBe(Number(e.cell.slice(5)) * 0.5);
    expect(resumed.done.length + cached.size).toBe(total); // nothing scored twice
    const lines = readFileSync(final.file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(total + 1); // header + one record per cell
    final.close();
  });
});
