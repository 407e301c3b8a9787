import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runPool, type TaskFailure } from '../../src/engine/worker-pool.ts';
import type { SquareTask } from './fixtures/square-worker.ts';

const fixture = (name: string): string => path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', name);

interface Square {
  square: number;
  pid: number;
}

describe('runPool', () => {
  it('runs every task once on several workers and returns each result with its task', async () => {
    const tasks: SquareTask[] = Array.from({ length: 12 }, (_, i) => ({ x: i - 3 }));
    const seen: Array<[number, number]> = [];
    const pids = new Set<number>();
    const summary = await runPool<SquareTask, Square>({
      workerModule: fixture('square-worker.ts'),
      tasks,
      workers: 2,
      onResult: (task, result) => {
        seen.push([task.x, result.square]);
        pids.add(result.pid);
      },
    });
    expect(summary).toEqual({ succeeded: 12, failed: [] });
    expect(seen.sort((a, b) => a[0] - b[0])).toEqual(tasks.map((t) => [t.x, t.x * t.x]));
    // Both workers may or may not get work (one can finish everything while the other starts),
    // but never more processes than asked for.
    expect(pids.size).toBeGreaterThanOrEqual(1);
    expect(pids.size).toBeLessThanOrEqual(2);
    expect(pids.has(process.pid)).toBe(false);
  });

  it('delivers results in completion order, one callback at a time', async () => {
    const order: number[] = [];
    let running = 0;
    let maxRunning = 0;
    // The first task waits for a gate the test opens only once the other three have been
    // delivered: the other worker finishes them first however fast or loaded the machine is.
    const gate = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nasrepro-pool-')), 'open');
    await runPool<SquareTask, Square>({
      workerModule: fixture('square-worker.ts'),
      tasks: [{ x: 1, gate }, { x: 2 }, { x: 3 }, { x: 4 }],
      workers: 2,
      onResult: async (task) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        // yield to the event loop inside the callback, so overlapping callbacks would be seen
        await new Promise((r) => setImmediate(r));
        order.push(task.x);
        if (order.length === 3) fs.writeFileSync(gate, '');
        running--;
      },
    });
    expect(order).toEqual([2, 3, 4, 1]);
    expect(maxRunning).toBe(1);
  });

  it('retries a task that threw on a fresh worker, then reports it failed with the error', async () => {
    const failures: Array<[number, TaskFailure]> = [];
    const results: number[] = [];
    const summary = await runPool<SquareTask, Square>({
      workerModule: fixture('square-worker.ts'),
      tasks: [{ x: 5 }, { x: 6, fail: true }, { x: 7 }],
      workers: 1,
      onResult: (_task, r) => void results.push(r.square),
      onFailure: (task, failure) => void failures.push([task.x, failure]),
    });
    expect(results.sort((a, b) => a - b)).toEqual([25, 49]);
    expect(summary.succeeded).toBe(2);
    expect(failures).toHaveLength(1);
    const [x, failure] = failures[0]!;
    expect(x).toBe(6);
    expect(failure).toMatchObject({ kind: 'error', message: 'refusing to square 6', fault: 'task', attempts: 2 });
    expect(summary.failed).toEqual([{ task: { x: 6, fail: true }, failure }]);
  });

  it('restarts a worker after an error (never reuses a possibly corrupt engine)', async () => {
    const pids: number[] = [];
    await runPool<SquareTask, Square>({
      workerModule: fixture('square-worker.ts'),
      tasks: [{ x: 1 }, { x: 2, fail: true }, { x: 3 }],
      workers: 1,
      onResult: (_t, r) => void pids.push(r.pid),
    });
    expect(pids).toHaveLength(2);
    expect(pids[0]).not.toBe(pids[1]);
  });

  it('reports a task whose worker crashes every time as failed, and finishes the others', async () => {
    const results: number[] = [];
    const summary = await runPool<{ x: number }, Square>({
      workerModule: fixture('crash-worker.ts'),
      tasks: [1, 2, 3, 4].map((x) => ({ x })),
      workers: 2,
      workerData: { crashOn: 3 },
      onResult: (_t, r) => void results.push(r.square),
    });
    expect(results.sort((a, b) => a - b)).toEqual([1, 4, 16]);
    expect(summary.failed).toHaveLength(1);
    expect(summary.failed[0]!.task).toEqual({ x: 3 });
    expect(summary.failed[0]!.failure).toMatchObject({ kind: 'crash', attempts: 2, message: 'worker process died (exit code 3)' });
    expect(summary.failed[0]!.failure.outputTail).toContain('dying on task 3');
  });

  it('retries a task after a one-off crash and succeeds', async () => {
    const markerDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasrepro-pool-'));
    try {
      const results: Array<[number, number]> = [];
      const summary = await runPool<{ x: number }, Square>({
        workerModule: fixture('crash-worker.ts'),
        tasks: [{ x: 8 }, { x: 9 }],
        workers: 1,
        workerData: { crashOn: 8, markerDir },
        onResult: (t, r) => void results.push([t.x, r.square]),
      });
      expect(summary).toEqual({ succeeded: 2, failed: [] });
      expect(results.sort((a, b) => a[0] - b[0])).toEqual([[8, 64], [9, 81]]);
      expect(fs.existsSync(path.join(markerDir, 'crashed-8'))).toBe(true);
    } finally {
      fs.rmSync(markerDir, { recursive: true, force: true });
    }
  });

  it('kills a task that runs past its timeout', async () => {
    const summary = await runPool<SquareTask, Square>({
      workerModule: fixture('square-worker.ts'),
      tasks: [{ x: 2, delayMs: 60_000 }],
      workers: 1,
      taskTimeoutMs: 300,
      onResult: () => undefined,
    });
    expect(summary.succeeded).toBe(0);
    expect(summary.failed[0]!.failure).toMatchObject({ kind: 'timeout', attempts: 2 });
  });

  it('stops with an error naming the cause when worker setup fails', async () => {
    await expect(
      runPool({ workerModule: fixture('setup-fails-worker.ts'), tasks: [1, 2], workers: 2, onResult: () => undefined }),
    ).rejects.toThrow(/worker setup failed: no dataset here/);
  });

  it('stops with an error when the worker module does not exist', async () => {
    await expect(
      runPool({ workerModule: fixture('no-such-worker.ts'), tasks: [1], workers: 1, onResult: () => undefined }),
    ).rejects.toThrow(/exited during startup/);
  });

  it('rejects when onResult throws (the caller could not persist a result)', async () => {
    await expect(
      runPool<SquareTask, Square>({
        workerModule: fixture('square-worker.ts'),
        tasks: [{ x: 1 }],
        workers: 1,
        onResult: () => {
          throw new Error('disk full');
        },
      }),
    ).rejects.toThrow('disk full');
  });

  it('finishes at once with no tasks', async () => {
    await expect(runPool({ workerModule: fixture('square-worker.ts'), tasks: [], workers: 3, onResult: () => undefined })).resolves.toEqual({
      succeeded: 0,
      failed: [],
    });
  });

  it('initialises the requested backend once per worker before its tasks', async () => {
    const results: Array<{ backend: string; tfBackend: string; setups: number; sum: number }> = [];
    await runPool<{ x: number }, (typeof results)[number]>({
      workerModule: fixture('backend-worker.ts'),
      tasks: [{ x: 3 }, { x: 4 }, { x: 5 }],
      workers: 1,
      backend: 'cpu',
      onResult: (_t, r) => void results.push(r),
    });
    expect(results.map((r) => r.sum).sort((a, b) => a - b)).toEqual([6, 8, 10]);
    for (const r of results) expect(r).toMatchObject({ backend: 'cpu', tfBackend: 'cpu', setups: 1 });
  });
});
