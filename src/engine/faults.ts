/**
 * Engine faults: errors after which this process's tfjs state can no longer be trusted.
 *
 * Measured (engine.md): after a kernel error inside a gradient, tape and tensor bookkeeping are
 * left half-updated, so later results may be wrong without any error; and wasm memory is capped
 * at 4 GB, exceeding it surfaces as "memory access out of bounds" (forward+backward at batch 64
 * of an NB201 network used 3.6 GB; batch 96 failed). The only safe recovery is a fresh process,
 * which is what the worker pool does. This module recognises such errors, explains them, and
 * lets a process remember that it is poisoned so that it refuses further work.
 */
import { EngineError } from './errors.ts';

/** The wasm heap limit: 32-bit addressing. */
export const WASM_MEMORY_CAP_BYTES = 4 * 1024 ** 3;

const MEMORY_PATTERNS = [
  /memory access out of bounds/i,
  /cannot enlarge memory/i,
  /out of memory/i,
  /Aborted\(OOM\)/i,
  /Array buffer allocation failed/i,
];
const ENGINE_PATTERNS = [/Aborted\(/, /RuntimeError/, /unreachable/i, /is not registered|kernel .* not (found|registered)/i];

export type FaultKind = 'memory' | 'engine' | 'task';

/**
 * Classifies an error thrown while running tensors: 'memory' (wasm heap exhausted), 'engine'
 * (a wasm trap or kernel failure: state unreliable) or 'task' (an ordinary error from the
 * caller's own code, e.g. invalid input, after which the engine is still fine).
 */
export function classifyFault(err: unknown): FaultKind {
  const text = errorText(err);
  if (MEMORY_PATTERNS.some((p) => p.test(text))) return 'memory';
  // WebAssembly.RuntimeError (a trap) shows up as its name in errorText.
  if (ENGINE_PATTERNS.some((p) => p.test(text))) return 'engine';
  return 'task';
}

/** A one-line explanation to append to a fault's message, so that the message alone is actionable. */
export function explainFault(kind: FaultKind): string {
  switch (kind) {
    case 'memory':
      return `wasm memory exhausted (capped at ${WASM_MEMORY_CAP_BYTES / 1024 ** 3} GB per process): use a smaller batch; the process must be restarted`;
    case 'engine':
      return 'tensor engine fault: its state is unreliable and the process must be restarted';
    case 'task':
      return 'task error';
  }
}

let poisonedBy: string | undefined;

/** Records an engine/memory fault in this process; later assertEngineUsable() calls throw. */
export function noteFault(err: unknown): FaultKind {
  const kind = classifyFault(err);
  if (kind !== 'task' && poisonedBy === undefined) poisonedBy = errorText(err).split('\n', 1)[0];
  return kind;
}

/** Throws if an earlier engine fault left this process's tensor state unreliable. */
export function assertEngineUsable(): void {
  if (poisonedBy !== undefined) {
    throw new EngineError(`tensor engine unusable after an earlier fault (${poisonedBy}); restart the process`);
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  if (typeof err === 'object' && err !== null && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}
