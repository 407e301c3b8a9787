/**
 * The executor choice (src/scoring/executor-choice.ts): 'auto' uses ONNX Runtime where it loads
 * and otherwise falls back to tfjs with one line; 'onnx' fails with that line; bad values are
 * one DataError line.
 */
import { describe, expect, it } from 'vitest';
import { executorChoiceOf, parseExecutorChoice, resolveFastExecutor } from '../../src/scoring/executor-choice.ts';
import { DataError } from '../../src/util/errors.ts';

const broken = () => ({ why: 'onnxruntime-node could not be loaded (libonnxruntime.so.1: cannot open shared object file)' });

describe('executor choice', () => {
  it("'auto' loads ONNX Runtime here, 'tfjs' never does", () => {
    expect(resolveFastExecutor('auto')?.identity).toMatch(/^onnxruntime-node@/);
    expect(resolveFastExecutor('tfjs')).toBeUndefined();
  });

  it("falls back to tfjs with one line under 'auto', and fails under 'onnx', when ORT cannot load", () => {
    const lines: string[] = [];
    expect(resolveFastExecutor('auto', (l) => lines.push(l), broken)).toBeUndefined();
    expect(lines).toEqual(['nasrepro: onnxruntime-node could not be loaded (libonnxruntime.so.1: cannot open shared object file); scoring on tfjs']);
    // said once per process, not per run
    resolveFastExecutor('auto', (l) => lines.push(l), broken);
    expect(lines).toHaveLength(1);
    expect(() => resolveFastExecutor('onnx', (l) => lines.push(l), broken)).toThrow(DataError);
    expect(() => resolveFastExecutor('onnx', (l) => lines.push(l), broken)).toThrow(/--executor onnx: onnxruntime-node could not be loaded/);
  });

  it('parses the flag and NASREPRO_EXECUTOR', () => {
    expect(parseExecutorChoice(undefined)).toBe('auto');
    expect(parseExecutorChoice('tfjs')).toBe('tfjs');
    expect(() => parseExecutorChoice('cuda')).toThrow(/--executor must be one of auto, tfjs, onnx, got 'cuda'/);
    const saved = process.env.NASREPRO_EXECUTOR;
    try {
      process.env.NASREPRO_EXECUTOR = 'tfjs';
      expect(executorChoiceOf()).toBe('tfjs');
      expect(executorChoiceOf('onnx')).toBe('onnx');
      process.env.NASREPRO_EXECUTOR = 'gpu';
      expect(() => executorChoiceOf()).toThrow(/NASREPRO_EXECUTOR must be one of/);
    } finally {
      if (saved === undefined) delete process.env.NASREPRO_EXECUTOR;
      else process.env.NASREPRO_EXECUTOR = saved;
    }
  });
});
