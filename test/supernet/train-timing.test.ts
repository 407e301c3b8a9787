import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImageSet } from '../../src/datasets/types.ts';
import type { BackendInfo } from '../../src/engine/backend.ts';
import { NB201_SUPERNET, type SupernetOptions } from '../../src/supernet/nb201-supernet.ts';
import { runningBackend, stepTimeCalibration, stepTimeCalibrationFile } from '../../src/supernet/train-timing.ts';

// The step-time calibration is saved per backend: a ratio measured on one backend is never
// reused on another (issue 16, item 6).

const TINY = { C: 1, N: 1, numClasses: 10, seed: 5 } satisfies SupernetOptions;
const images: ImageSet = {
  dataset: 'cifar10', split: 'train', files: ['synthetic'], height: 4, width: 4, channels: 3, numClasses: 10, size: 16,
  images: Uint8Array.from({ length: 16 * 4 * 4 * 3 }, (_, i) => (i * 37) % 256),
  labels: Int32Array.from({ length: 16 }, (_, i) => i % 10),
};
const CPU: BackendInfo = { name: 'cpu', version: '4.22.0', detail: '' };
const WASM: BackendInfo = { name: 'wasm', version: '4.22.0', detail: 'simd, 1 thread' };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('step-time calibration key', () => {
  it('names the backend, its version and its build/detail', () => {
    const file = (b: BackendInfo) => stepTimeCalibrationFile('/d', TINY, images, 2, b);
    const files = new Set([
      file(CPU),
      file(WASM),
      file({ ...CPU, version: '4.21.0' }),
      file({ ...WASM, detail: 'simd, 4 threads' }),
      file({ name: 'tensorflow', version: '4.22.0', detail: '@tensorflow/tfjs-node (CPU)' }),
      file({ name: 'tensorflow', version: '4.22.0', detail: '@tensorflow/tfjs-node-gpu (CUDA)' }),
    ]);
    expect(files.size).toBe(6);
    expect(file(CPU)).toBe(file({ ...CPU }));
  });

  it('does not reuse a calibration saved for another backend; reuses its own', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nasrepro-timing-'));
    const saved = { bnOnly: 1, standard: 123, ratio: 123, measuredSteps: 8, measuredAt: '2000-01-01T00:00:00.000Z' };
    writeFileSync(stepTimeCalibrationFile(dir, TINY, images, 2, WASM), JSON.stringify(saved));
    // the running backend is cpu: the wasm file must not answer for it, a fresh measurement is taken
    expect(runningBackend().name).toBe('cpu');
    const fresh = stepTimeCalibration(NB201_SUPERNET, dir, TINY, images, 2);
    expect(fresh.reused).toBe(false);
    expect(fresh.ratio).not.toBe(123);
    expect(readdirSync(dir)).toHaveLength(2);
    // asked for wasm's, the saved one is reused
    expect(stepTimeCalibration(NB201_SUPERNET, dir, TINY, images, 2, WASM)).toMatchObject({ ratio: 123, reused: true });
    expect(stepTimeCalibration(NB201_SUPERNET, dir, TINY, images, 2)).toMatchObject({ ratio: fresh.ratio, reused: true });
  });
});
