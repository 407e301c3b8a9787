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
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ImageSet } from '../datasets/types.ts';
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

/** The saved calibration for these settings, or a fresh measurement saved for next time. */
export function stepTimeCalibration<P, S extends TrainableSupernet<P>, O>(kind: SupernetKind<P, S, O>, dir: string, supernetOptions: O, images: ImageSet, batchSize: number): StepTimeCalibration & { reused: boolean } {
  const key = identityHash({ supernetOptions, batchSize, images: { dataset: images.dataset, size: images.size, height: images.height } });
  const file = path.join(dir, `step-times-${key}.json`);
  if (existsSync(file)) {
    try {
      return { ...(JSON.parse(readFileSync(file, 'utf8')) as StepTimeCalibration), reused: true };
    } catch (err) {
      throw new DataError(`unreadable step-time calibration (${(err as Error).message}); delete it to measure again`, { file }, { cause: err });
    }
  }
  const c = measureStepTimes(kind, supernetOptions, images, batchSize);
  writeFileAtomic(file, `${JSON.stringify(c, null, 2)}\n`);
  return { ...c, reused: false };
}
