/**
 * Messages between the worker pool (parent) and a worker process (child). JSON over the
 * child_process IPC channel, so tasks and results must be plain JSON values.
 */
import type { BackendInfo, BackendName } from './backend.ts';
import type { FaultKind } from './faults.ts';

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** How bad it is: 'task' leaves the worker usable, 'engine'/'memory' do not. */
  fault: FaultKind;
}

/** Parent -> child. */
export type ToWorker =
  | { kind: 'init'; backend: BackendName | 'auto' | null; data: unknown }
  | { kind: 'task'; seq: number; task: unknown };

/** Child -> parent. */
export type FromWorker =
  | { kind: 'ready'; backend: BackendInfo | null }
  | { kind: 'setup-failed'; error: SerializedError }
  | { kind: 'result'; seq: number; result: unknown }
  | { kind: 'error'; seq: number; error: SerializedError };
