/**
 * The worker side of the pool: a worker module is a few lines,
 *
 *   import { serveTasks } from '../src/engine/worker-serve.ts';
 *   serveTasks(async (task: MyTask) => computeSomething(task));
 *
 * serveTasks waits for the pool's init message, initialises the requested tfjs backend once,
 * runs the optional setup once, then answers each task message with its result or error.
 */
import type { BackendInfo } from './backend.ts';
import { assertEngineUsable, classifyFault, explainFault, noteFault } from './faults.ts';
import type { FromWorker, SerializedError, ToWorker } from './worker-protocol.ts';

export interface ServeOptions<TContext> {
  /** Runs once per worker process, after the backend is ready; its value is passed to every task. */
  setup?: (data: unknown, backend: BackendInfo | null) => TContext | Promise<TContext>;
}

export function serveTasks<TTask, TResult, TContext = undefined>(
  handler: (task: TTask, context: TContext) => TResult | Promise<TResult>,
  options: ServeOptions<TContext> = {},
): void {
  const send = process.send?.bind(process);
  if (send === undefined) {
    throw new Error('serveTasks: this module must be started by runPool (no IPC channel to a parent process)');
  }
  const post = (message: FromWorker): Promise<void> =>
    new Promise((resolve) => send(message, undefined, {}, () => resolve()));

  let context: Promise<TContext> | undefined;
  // Tasks are handled one at a time, in arrival order (the pool sends one at a time anyway).
  let queue: Promise<void> = Promise.resolve();

  process.on('message', (raw: ToWorker) => {
    if (raw.kind === 'init') {
      context = initialise(raw, options);
      context.then(
        (ctx) => void ctx,
        (err: unknown) => void post({ kind: 'setup-failed', error: serialize(err) }).then(() => process.exit(1)),
      );
      return;
    }
    const ready = context;
    if (ready === undefined) throw new Error('serveTasks: task received before init');
    const { seq, task } = raw;
    queue = queue.then(async () => {
      try {
        assertEngineUsable();
        const result = await handler(task as TTask, await ready);
        await post({ kind: 'result', seq, result });
      } catch (err) {
        noteFault(err);
        await post({ kind: 'error', seq, error: serialize(err) });
      }
    });
  });
  // The pool closes the channel when it is done with us; nothing else should keep us alive.
  process.on('disconnect', () => process.exit(0));

  async function initialise(init: Extract<ToWorker, { kind: 'init' }>, opts: ServeOptions<TContext>): Promise<TContext> {
    let backend: BackendInfo | null = null;
    if (init.backend !== null) {
      // Imported lazily so that workers that never touch tensors do not load tfjs.
      const { initBackend } = await import('./backend.ts');
      backend = await initBackend(init.backend === 'auto' ? undefined : init.backend);
    }
    const ctx = opts.setup === undefined ? (undefined as TContext) : await opts.setup(init.data, backend);
    await post({ kind: 'ready', backend });
    return ctx;
  }
}

function serialize(err: unknown): SerializedError {
  const fault = classifyFault(err);
  const base = err instanceof Error ? err : new Error(String(err));
  const message = fault === 'task' ? base.message : `${base.message} (${explainFault(fault)})`;
  return { name: base.name, message, stack: base.stack, fault };
}
