/**
 * How much one training step costs in each mode, measured so that "the same wall time" for the
 * two modes can be turned into step counts BEFORE the runs (a run's schedule is defined by its
 * step count, so its length cannot be a wall-clock deadline without losing determinism).
 *
 * Method: on two throwaway supernets of the given options, alternate one 'bn-only' and one
 * 'standard' step on the same sampled path and batch (step i uses training seed 1000 + i), for
 * `warmup + measured` rounds; drop the warm-up rounds (first-call kernel set-up) and take each
 * mode's median. Interleaving pairs the modes under the same machine load (other processes share
 * the CPU), and the median ignores the odd preempted step. ratio = standard / bn-only.
 *
 * The result is saved as JSON next to the checkpoints, keyed by the settings, and reused: a
 * resumed or repeated experiment derives the same standard-run step counts, so it finds its own
 * checkpoints again instead of starting runs of a slightly different length.
 * The key names the backend that runs the steps, with its version and full detail (for wasm the
 * SIMD/thread setting, for tfjs-node the CPU or GPU build): the ratio of the two modes' step
 * costs differs between backends, and an "equal time" run must not take its step counts from a
 * ratio measured on another one. Default: the backend active now (initBackend's info when it is
 * the one tfjs runs, else tfjs's own name and version).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../datasets/types.ts';
import { activeBackend, type BackendInfo } from '../engine/backend.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';
import { DataError } from '../util/errors.ts';
import { identityHash } from './checkpoint.ts';
import type { SupernetKind, TrainableSupernet } from './supernet-space.ts';
import { resolveTrainConfig, type TrainMode } from './train-config.ts';
import { median } from './train-run.ts';
import { trainSupernet } from './train.ts';

export interface StepTimeCalibration {
  /** Median seconds per step. */
  bnOnly: number;
  standard: number;
  /** standard / bnOnly. */
  ratio: number;
  measuredSteps: number;
  measuredAt: string;
}

export function measureStepTimes<P, S extends TrainableSupernet<P>, O>(kind: SupernetKind<P, S, O>, supernetOptions: O, images: ImageSet, batchSize: number, measured = 8, warmup = 2): StepTimeCalibration {
  const modes: TrainMode[] = ['bn-only', 'standard'];
  const nets = modes.map(() => kind.build(supernetOptions));
  const times = modes.map((): number[] => []);
  try {
    for (let i = 0; i < warmup + measured; i++) {
      modes.forEach((mode, m) => {
        const r = trainSupernet({ supernet: nets[m]!, space: kind.space, images, config: resolveTrainConfig({ mode, steps: 1, batchSize, seed: 1000 + i }) });
        if (i >= warmup) times[m]!.push(r.log.stepSeconds[0]!);
      });
    }
  } finally {
    for (const n of nets) n.dispose();
  }
  const bnOnly = median(times[0]!);
  const standard = median(times[1]!);
  return { bnOnly, standard, ratio: standard / bnOnly, measuredSteps: measured, measuredAt: new Date().toISOString() };
}

/** The backend tfjs runs now, as initBackend described it (or tfjs's own name and version). */
export function runningBackend(): Pick<BackendInfo, 'name' | 'version' | 'detail'> {
  const info = activeBackend();
  if (info !== undefined && info.name === tf.getBackend()) return info;
  return { name: tf.getBackend() as BackendInfo['name'], version: tf.version_core, detail: '' };
}

/** The file a calibration for these settings on this backend is saved in (see the file comment). */
export function stepTimeCalibrationFile(dir: string, supernetOptions: unknown, images: ImageSet, batchSize: number, backend: Pick<BackendInfo, 'name' | 'version' | 'detail'>): string {
  const key = identityHash({
    supernetOptions,
    batchSize,
    images: { dataset: images.dataset, size: images.size, height: images.height },
    backend: { name: backend.name, version: backend.version, detail: backend.detail },
  });
  return path.join(dir, `step-times-${key}.json`);
}

/** The saved calibration for these settings and backend, or a fresh measurement saved for next time. */
export function stepTimeCalibration<P, S extends TrainableSupernet<P>, O>(
  kind: SupernetKind<P, S, O>,
  dir: string,
  supernetOptions: O,
  images: ImageSet,
  batchSize: number,
  backend: Pick<BackendInfo, 'name' | 'version' | 'detail'> = runningBackend(),
): StepTimeCalibration & { reused: boolean } {
  const file = stepTimeCalibrationFile(dir, supernetOptions, images, batchSize, backend);
  if (existsSync(file)) {
    try {
      return { ...(JSON.parse(readFileSync(file, 'utf8')) as StepTimeCalibration), reused: true };
    } catch (err) {
      throw new DataError(`unreadable step-time calibration (${(err as Error).message}); delete it to measure again`, { file }, { cause: err });
    }
  }
  const c = measureStepTimes(kind, supernetOptions, images, batchSize);
  writeFileAtomic(file, `${JSON.stringify({ ...c, backend }, null, 2)}\n`);
  return { ...c, reused: false };
}
