/**
 * A small process pool. tfjs in Node computes on one core (wasm threads are disabled there), so
 * using more cores means more processes. Each worker is a TypeScript module run under tsx that
 * calls serveTasks(); it initialises its backend once and then handles tasks one at a time.
 *
 * Failure policy: a task whose worker reports an error, crashes or times out is retried once on
 * a fresh worker (after a kernel error the engine state is unreliable, so an errored worker is
 * never reused); a second failure reports the task as failed and the pool goes on. A worker that
 * cannot even start (setup failed, module does not load) stops the whole pool, since every
 * other worker would fail the same way.
 *
 * Results are delivered in completion order, one callback at a time (the next onResult starts
 * after the previous one's promise settles), so the caller can persist each one immediately.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BackendName } from './backend.ts';
import { EngineError } from './errors.ts';
import type { FaultKind } from './faults.ts';
import type { FromWorker, ToWorker } from './worker-protocol.ts';
import { DataError } from '../util/errors.ts';

export interface PoolOptions<TTask, TResult> {
  /** Path of the worker module (a .ts file calling serveTasks), absolute or relative to cwd. */
  workerModule: string;
  /** Tasks, JSON-serialisable. */
  tasks: readonly TTask[];
  /** Number of worker processes (at most one per task is started). */
  workers: number;
  /** Called once per successful task, in completion order, never concurrently. */
  onResult: (task: TTask, result: TResult) => void | Promise<void>;
  /** Called once per task that failed twice, also serialised with onResult. */
  onFailure?: (task: TTask, failure: TaskFailure) => void | Promise<void>;
  /** Backend each worker initialises once before its first task; omit for workers without tensors. */
  backend?: BackendName | 'auto';
  /** JSON value handed to the worker's setup(). */
  workerData?: unknown;
  /** Kill a worker whose task runs longer than this (counts as a failed attempt). */
  taskTimeoutMs?: number;
  /** How long a worker may take to load and initialise its backend (default 120 s). */
  startupTimeoutMs?: number;
  /** Replace a worker after this many tasks (the wasm heap never shrinks). */
  maxTasksPerWorker?: number;
  /** Forward workers' stdout/stderr to this process's stderr (default: keep only a tail for errors). */
  forwardOutput?: boolean;
  /** Environment of the workers (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export interface TaskFailure {
  /** 'error': the task threw; 'crash': the worker process died; 'timeout': it ran too long. */
  kind: 'error' | 'crash' | 'timeout';
  message: string;
  stack?: string;
  /** For 'error': whether it was a plain task error or an engine/memory fault. */
  fault?: FaultKind;
  /** Attempts made (2 when reported as failed). */
  attempts: number;
  /** Last output of the worker, for crashes and timeouts. */
  outputTail?: string;
}

export interface PoolSummary<TTask> {
  succeeded: number;
  failed: Array<{ task: TTask; failure: TaskFailure }>;
}

const MAX_ATTEMPTS = 2;
const OUTPUT_TAIL_CHARS = 4000;
const DEFAULT_STARTUP_TIMEOUT_MS = 120_000;

export function runPool<TTask, TResult>(options: PoolOptions<TTask, TResult>): Promise<PoolSummary<TTask>> {
  if (!Number.isInteger(options.workers) || options.workers < 1) {
    return Promise.reject(new EngineError(`runPool: workers must be a positive integer, got ${options.workers}`));
  }
  return new Pool(options).run();
}

interface QueuedTask<TTask> {
  task: TTask;
  attempts: number;
}

interface Slot<TTask> {
  child: ChildProcess;
  ready: boolean;
  /** Set once we stop using the worker: its exit is then expected. */
  retiring: boolean;
  tasksDone: number;
  current?: { item: QueuedTask<TTask>; seq: number; timer?: NodeJS.Timeout };
  startupTimer?: NodeJS.Timeout;
  outputTail: string;
  exited: Promise<void>;
}

class Pool<TTask, TResult> {
  private readonly pending: QueuedTask<TTask>[];
  private readonly slots = new Set<Slot<TTask>>();
  private readonly summary: PoolSummary<TTask> = { succeeded: 0, failed: [] };
  private readonly modulePath: string;
  private readonly loaderUrl: string;
  private callbacks: Promise<void> = Promise.resolve();
  private nextSeq = 0;
  private settled = false;
  private resolve!: (summary: PoolSummary<TTask>) => void;
  private reject!: (err: unknown) => void;

  constructor(private readonly options: PoolOptions<TTask, TResult>) {
    this.pending = options.tasks.map((task) => ({ task, attempts: 0 }));
    this.modulePath = path.resolve(options.workerModule);
    // Resolve tsx from this package, not from the worker's cwd, so that any cwd works.
    this.loaderUrl = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  }

  run(): Promise<PoolSummary<TTask>> {
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      this.pump();
    });
  }

  /** Hands queued tasks to idle workers, starts workers as needed, and finishes when all is done. */
  private pump(): void {
    if (this.settled) return;
    for (const slot of this.slots) {
      if (this.pending.length === 0) break;
      if (slot.ready && !slot.retiring && slot.current === undefined) this.dispatch(slot, this.pending.shift()!);
    }
    const live = [...this.slots].filter((s) => !s.retiring);
    const starting = live.filter((s) => !s.ready).length;
    const wanted = Math.min(this.options.workers - live.length, this.pending.length - starting);
    for (let i = 0; i < wanted; i++) this.spawn();
    const busy = [...this.slots].some((s) => s.current !== undefined);
    if (this.pending.length === 0 && !busy) void this.finish();
  }

  private spawn(): void {
    const child = fork(this.modulePath, [], {
      execArgv: ['--import', this.loaderUrl],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
      env: this.options.env ?? process.env,
    });
    let onExit!: () => void;
    const slot: Slot<TTask> = {
      child,
      ready: false,
      retiring: false,
      tasksDone: 0,
      outputTail: '',
      exited: new Promise((r) => (onExit = r)),
    };
    this.slots.add(slot);
    const keepOutput = (chunk: Buffer): void => {
      slot.outputTail = (slot.outputTail + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
      if (this.options.forwardOutput === true) process.stderr.write(chunk);
    };
    child.stdout?.on('data', keepOutput);
    child.stderr?.on('data', keepOutput);
    child.on('message', (message: FromWorker) => this.onMessage(slot, message));
    child.on('error', (err) => this.fail(new EngineError(`worker ${this.modulePath} could not be started: ${err.message}`, { cause: err })));
    child.on('exit', (code, signal) => {
      onExit();
      this.onExit(slot, code, signal);
    });
    slot.startupTimer = setTimeout(() => {
      this.fail(new EngineError(`worker ${this.modulePath} did not become ready within ${this.startupTimeoutMs()} ms${tail(slot)}`));
    }, this.startupTimeoutMs());
    this.send(slot, { kind: 'init', backend: this.options.backend ?? null, data: this.options.workerData ?? null });
  }

  private startupTimeoutMs(): number {
    return this.options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS;
  }

  private dispatch(slot: Slot<TTask>, item: QueuedTask<TTask>): void {
    const seq = this.nextSeq++;
    slot.current = { item, seq };
    const timeout = this.options.taskTimeoutMs;
    if (timeout !== undefined) {
      slot.current.timer = setTimeout(() => {
        slot.current = undefined;
        this.retire(slot, 'SIGKILL');
        this.attemptFailed(item, { kind: 'timeout', message: `task did not finish within ${timeout} ms`, outputTail: slot.outputTail });
        this.pump();
      }, timeout);
    }
    this.send(slot, { kind: 'task', seq, task: item.task });
  }

  private onMessage(slot: Slot<TTask>, message: FromWorker): void {
    if (this.settled) return;
    switch (message.kind) {
      case 'ready':
        clearTimeout(slot.startupTimer);
        slot.ready = true;
        break;
      case 'setup-failed':
        // Bad input met while setting up (a missing or broken image file) stays a DataError, so
        // the command reports it as the user's to fix rather than as an engine failure.
        this.fail(
          message.error.name === 'DataError'
            ? new DataError(message.error.message)
            : new EngineError(`worker setup failed: ${message.error.message}`),
        );
        return;
      case 'result': {
        const item = this.takeCurrent(slot, message.seq);
        if (item === undefined) return;
        this.summary.succeeded++;
        this.enqueueCallback(() => this.options.onResult(item.task, message.result as TResult));
        slot.tasksDone++;
        const limit = this.options.maxTasksPerWorker;
        if (limit !== undefined && slot.tasksDone >= limit) this.retire(slot);
        break;
      }
      case 'error': {
        const item = this.takeCurrent(slot, message.seq);
        if (item === undefined) return;
        // Never reuse a worker after an error: its engine state may be corrupt.
        this.retire(slot, 'SIGKILL');
        const { message: text, stack, fault } = message.error;
        this.attemptFailed(item, { kind: 'error', message: text, stack, fault });
        break;
      }
    }
    this.pump();
  }

  private onExit(slot: Slot<TTask>, code: number | null, signal: NodeJS.Signals | null): void {
    clearTimeout(slot.startupTimer);
    this.slots.delete(slot);
    if (this.settled || slot.retiring) return;
    const how = signal !== null ? `signal ${signal}` : `exit code ${code}`;
    if (!slot.ready) {
      this.fail(new EngineError(`worker ${this.modulePath} exited during startup (${how})${tail(slot)}`));
      return;
    }
    const current = slot.current;
    if (current !== undefined) {
      clearTimeout(current.timer);
      slot.current = undefined;
      this.attemptFailed(current.item, { kind: 'crash', message: `worker process died (${how})`, outputTail: slot.outputTail });
    }
    this.pump();
  }

  private takeCurrent(slot: Slot<TTask>, seq: number): QueuedTask<TTask> | undefined {
    const current = slot.current;
    if (current === undefined || current.seq !== seq) return undefined; // e.g. answered after a timeout
    clearTimeout(current.timer);
    slot.current = undefined;
    return current.item;
  }

  private attemptFailed(item: QueuedTask<TTask>, failure: Omit<TaskFailure, 'attempts'>): void {
    item.attempts++;
    if (item.attempts < MAX_ATTEMPTS) {
      this.pending.unshift(item); // retry soon, on a fresh worker
      return;
    }
    const full: TaskFailure = { ...failure, attempts: item.attempts };
    this.summary.failed.push({ task: item.task, failure: full });
    const onFailure = this.options.onFailure;
    if (onFailure !== undefined) this.enqueueCallback(() => onFailure(item.task, full));
  }

  private enqueueCallback(callback: () => void | Promise<void>): void {
    this.callbacks = this.callbacks.then(callback).catch((err: unknown) => {
      this.fail(err);
    });
  }

  private retire(slot: Slot<TTask>, signal?: NodeJS.Signals): void {
    if (slot.retiring) return;
    slot.retiring = true;
    clearTimeout(slot.startupTimer);
    if (signal !== undefined) slot.child.kill(signal);
    else if (slot.child.connected) slot.child.disconnect(); // serveTasks exits on disconnect
  }

  private send(slot: Slot<TTask>, message: ToWorker): void {
    if (!slot.child.connected) return; // it died; its exit handler deals with that
    slot.child.send(message, (err) => {
      if (err !== null && err !== undefined && !slot.retiring) slot.child.kill('SIGKILL');
    });
  }

  private async finish(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    await this.shutdown();
    try {
      await this.callbacks;
    } catch {
      // callback errors already routed to fail(); reject below wins since settled is set
    }
    if (this.callbackError !== undefined) this.reject(this.callbackError);
    else this.resolve(this.summary);
  }

  private callbackError: unknown;

  /** Stops everything and rejects run() (setup failure, startup crash, failing callback). */
  private fail(err: unknown): void {
    if (this.settled) {
      // A callback failed while finishing: remember it so finish() rejects.
      this.callbackError ??= err;
      return;
    }
    this.settled = true;
    void this.shutdown().then(() => this.reject(err));
  }

  private async shutdown(): Promise<void> {
    const slots = [...this.slots];
    for (const slot of slots) {
      clearTimeout(slot.current?.timer);
      this.retire(slot);
    }
    // Give workers a moment to exit on disconnect; then make sure none outlives the pool.
    const killer = setTimeout(() => slots.forEach((s) => s.child.kill('SIGKILL')), 5_000);
    await Promise.all(slots.map((s) => s.exited));
    clearTimeout(killer);
  }
}

function tail(slot: Slot<unknown>): string {
  const text = slot.outputTail.trim();
  return text === '' ? '' : `; its last output:\n${text}`;
}
