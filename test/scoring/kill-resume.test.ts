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

function scoreCli(args: string[]): ReturnType<typeof spawn> {
  return spawn(process.execPath, ['bin/nasrepro.js', 'score', 'naswot', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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

    const first = scoreCli([...args, '--out', path.join(tmp, 'killed.csv')]);
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (cachedCells(cache) >= 3) {
          clearInterval(timer);
          first.kill('SIGKILL');
          resolve();
        }
      }, 50);
      first.on('exit', () => {
        clearInterval(timer);
        reject(new Error('the run finished before it could be killed'));
      });
    });
    await new Promise((r) => first.on('exit', r));
    const done = cachedCells(cache);
    expect(done).toBeGreaterThanOrEqual(3);
    expect(done).toBeLessThan(12);
    expect(existsSync(path.join(tmp, 'killed.csv'))).toBe(false);

    const second = scoreCli([...args, '--out', path.join(tmp, 'resumed.csv')]);
    let stderr = '';
    second.stderr!.on('data', (d) => (stderr += d));
    const code = await new Promise((r) => second.on('exit', r));
    expect(code, stderr).toBe(0);
    const sidecar = JSON.parse(readFileSync(path.join(tmp, 'resumed.csv.json'), 'utf8'));
    expect(sidecar.computed).toBe(12 - done);
    const rows = readFileSync(path.join(tmp, 'resumed.csv'), 'utf8').trim().split('\n').slice(1);
    expect(rows.map((r) => Number(r.split(',')[0]))).toEqual(cells.split(',').map(Number));
    expect(cachedCells(cache)).toBe(12);
  });
});
