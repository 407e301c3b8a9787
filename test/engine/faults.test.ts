import { describe, expect, it } from 'vitest';
import { EngineError } from '../../src/engine/errors.ts';
import { assertEngineUsable, classifyFault, explainFault, noteFault } from '../../src/engine/faults.ts';

// The project's tsconfig has no DOM lib, so WebAssembly's runtime classes are reached untyped.
const { RuntimeError } = (globalThis as unknown as { WebAssembly: { RuntimeError: new (message: string) => Error } }).WebAssembly;

describe('engine faults', () => {
  it('recognises wasm heap exhaustion', () => {
    expect(classifyFault(new RangeError('memory access out of bounds'))).toBe('memory');
    expect(classifyFault(new Error('Aborted(Cannot enlarge memory arrays to size 4294967296 bytes (OOM))'))).toBe('memory');
    expect(explainFault('memory')).toMatch(/4 GB/);
  });

  it('recognises wasm traps and kernel failures as engine faults', () => {
    expect(classifyFault(new RuntimeError('divide by zero'))).toBe('engine');
    expect(classifyFault(new Error("Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'"))).toBe('engine');
  });

  it('treats ordinary errors as task errors that leave the engine usable', () => {
    expect(classifyFault(new TypeError('invalid cell string |foo~0|'))).toBe('task');
    expect(classifyFault('plain string')).toBe('task');
    noteFault(new Error('bad input'));
    expect(() => assertEngineUsable()).not.toThrow();
  });

  it('after an engine fault, the process refuses further work', () => {
    expect(noteFault(new Error('memory access out of bounds'))).toBe('memory');
    expect(() => assertEngineUsable()).toThrow(EngineError);
    expect(() => assertEngineUsable()).toThrow(/memory access out of bounds.*restart the process/);
  });
});
