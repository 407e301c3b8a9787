/**
 * A named, resumable supernet training run for experiments: builds the supernet, trains it with
 * its checkpoint at <dir>/<label>-<identity hash>.ckpt, and returns the trained supernet.
 *
 * The identity hash in the file name makes the checkpoint a cache as well: a rerun with the same
 * settings finds the finished checkpoint and trains nothing (the stored log still gives the step
 * times), a killed run continues where it stopped, and a run with other settings gets a file of
 * its own instead of failing on a mismatch.
 */
import path from 'node:path';
import type { ImageSet } from '../datasets/types.ts';
import { createProgress } from '../util/progress.ts';
import { identityHash } from './checkpoint.ts';
import type { SupernetKind, TrainableSupernet } from './supernet-space.ts';
import type { TrainConfig } from './train-config.ts';
import { trainIdentity, trainSupernet, type TrainSupernetResult } from './train.ts';

export interface TrainRunSpec<O> {
  /** Short name for the file and the progress line, e.g. 'bn-only' or 'standard-x2'. */
  label: string;
  supernet: O;
  config: TrainConfig;
  snapshotEvery?: number;
}

export interface TrainRun<O, S> {
  spec: TrainRunSpec<O>;
  supernet: S;
  result: TrainSupernetResult;
  checkpointFile: string;
}

/** `kind`: which space's supernet (NB201_SUPERNET, NB101_SUPERNET). */
export function trainOrResume<P, S extends TrainableSupernet<P>, O>(spec: TrainRunSpec<O>, images: ImageSet, checkpointDir: string, kind: SupernetKind<P, S, O>): TrainRun<O, S> {
  const supernet = kind.build(spec.supernet);
  try {
    const identity = trainIdentity(supernet, images, spec.config, spec.snapshotEvery ?? null);
    const checkpointFile = path.join(checkpointDir, `${spec.label}-${identityHash(identity)}.ckpt`);
    const progress = createProgress(`train ${spec.label}`, spec.config.steps);
    let first = true;
    const result = trainSupernet({
      supernet,
      space: kind.space,
      images,
      config: spec.config,
      checkpointFile,
      snapshotEvery: spec.snapshotEvery,
      onStep: (step) => {
        // a resumed run starts its bar at the step it resumed from
        progress.tick(first ? step : 1);
        first = false;
      },
    });
    if (first) progress.tick(result.step); // a finished checkpoint: nothing trained, shown as complete
    progress.done();
    return { spec, supernet, result, checkpointFile };
  } catch (err) {
    supernet.dispose();
    throw err;
  }
}

/** Median of the logged step times (robust to the odd slow step on a shared machine). */
export function medianStepSeconds(result: TrainSupernetResult): number {
  return median(result.log.stepSeconds);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
