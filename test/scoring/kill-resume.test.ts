import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATA_DIR, dataFile } from '../helpers/data.ts';

function cacheFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.jsonl')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function cachedCells(dir: string): number {
  return cacheFiles(dir).reduce((n, f) => n + readFileSync(f, 'utf8').split('\n').filter((l) => l.includes('"cell"')).length, 0);
}

const PAUSE = path.resolve('test/helpers/pause-after-cache-lines.mjs');

function scoreCli(args: string[], pauseAfter?: number): ReturnType<typeof spawn> {
  const preload = pauseAfter === undefined ? [] : ['--import', PAUSE];
  const env = pauseAfter === undefined ? process.env : { ...process.env, NASREPRO_TEST_PAUSE_AFTER: String(pauseAfter) };
  return spawn(process.execPath, [...preload, 'bin/nasrepro.js', 'score', 'naswot', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
}

// A scoring run killed with SIGKILL keeps every score it finished; the next run computes only
// the rest and writes the same table as an uninterrupted run would.
describe('nasrepro score: kill and resume', () => {
  it('loses nothing already computed and resumes where it stopped', async () => {
    dataFile('cifar10', 'cifar-10-batches-bin', 'data_batch_1.bin');
    const tmp = mkdtempSync(path.join(tmpdir(), 'nasrepro-kill-'));
    const cache = path.join(tmp, 'cache');
    const cells = '0,1,2,3,4,5,6,7,8,9,10,11';
    const args = ['--cells', cells, '--batch', '4', '--workers', '1', '--data', DATA_DIR, '--cache-dir', cache];

    // The child blocks right after its 3rd cache record and says so; it is killed on that line.
    const first = scoreCli([...args, '--out', path.join(tmp, 'killed.csv')], 3);
    let firstErr = '';
    const exited = new Promise<unknown>((r) => first.on('exit', r));
    await new Promise<void>((resolve, reject) => {
      first.stderr!.on('data', (d) => {
        firstErr += d;
        if (firstErr.includes('nasrepro-test: paused')) {
          first.kill('SIGKILL');
          resolve();
        }
      });
      first.on('exit', () => reject(new Error(`the run ended before it paused: ${firstErr}`)));
    });
    await exited;
    const done = cachedCells(cache);
    expect(done).toBe(3);
    expect(existsSync(path.join(tmp, 'killed.csv'))).toBe(false);

    const second = scoreCli([...args, '--out', path.join(tmp, 'resumed.csv')]);
    let stderr = '';
    second.stderr!.on('data', (d) => (stderr += d));
    const code = await new Promise((r) => second.on('exit', r));
    expect(code, stderr).toBe(0);
    const sidecar = JSON.parse(readFileSync(path.join(tmp, 'resumed.csv.json'), 'utf8'));
    // one seed pair: its run computed exactly the cells the killed run had not cached
    expect(sidecar.runs).toHaveLength(1);
    expect(sidecar.runs[0].computed).toBe(12 - done);
    const rows = readFileSync(path.join(tmp, 'resumed.csv'), 'utf8').trim().split('\n').slice(1);
    expect(rows.map((r) => Number(r.split(',')[0]))).toEqual(cells.split(',').map(Number));
    expect(cachedCells(cache)).toBe(12);
  });
});
