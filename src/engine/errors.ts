/**
 * Errors raised by the tensor engine itself (as opposed to DataError, which is about bad input
 * files): a backend that was asked for but cannot be loaded, a worker that could not start.
 */
export class EngineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineError';
  }
}
