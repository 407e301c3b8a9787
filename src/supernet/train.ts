/**
 * Single-path uniform-sampling supernet training (SPOS, as BN-NAS trains its supernet), in the
 * two modes of train-config.ts ('standard': every parameter; 'bn-only': the cell ops' BN
 * gamma/beta only), resumable from checkpoints.
 *
 * One step t: draw the path (six ops, the same in every cell) and the batch from the counter
 * streams (train-sampling.ts), run the path in train mode (BN on batch statistics, running
 * statistics updated), label-smoothed cross-entropy, gradients of the mode's trainable
 * parameters, one SGD update (train-optimizer.ts) at learningRate(step).
 *
 * Resumption: with `checkpointFile`, a run first loads that file if it exists (its identity must
 * equal this run's: same supernet options, training config and images, or it fails naming the
 * difference), restores parameters, BN running statistics, momentum buffers, step counter, log
 * and snapshots, and continues; it writes the file every `checkpointEvery` steps and at the end.
 * Because every random draw is a function of (seed, step) and the state is restored exactly, a
 * run killed after any checkpoint and restarted ends with the same weights as one never killed
 * (test/supernet/train-resume.test.ts checks it bit for bit).
 *
 * Timing: each step's wall time (batch assembly, forward, backward, update, reading the loss
 * back, which also waits for the backend to finish) is logged; checkpoint writes and snapshots
 * are not part of it. "Training time" everywhere means the sum of these step times.
 *
 * Snapshots (`snapshotEvery`): copies of every cell-op BN gamma at step 0, every k steps and at
 * the end, with the training time so far, so an experiment can follow an indicator built from
 * gammas (BN-NAS) along the run without retraining. They are saved in the checkpoint too.
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { normalizeBatch } from '../datasets/normalize.ts';
import type { ImageSet } from '../datasets/types.ts';
import { NB201_SUPERNET_SPACE } from './nb201-supernet.ts';
import { canonicalJson, readCheckpoint, writeCheckpoint, type SupernetCheckpoint, type TensorGroup, type TrainLog, type TrainSnapshot } from './checkpoint.ts';
import { learningRate, trainsParam, type TrainConfig } from './train-config.ts';
import { labelSmoothedCrossEntropy } from './train-loss.ts';
import { SgdMomentum } from './train-optimizer.ts';
import { batchIndices, stepsPerEpoch } from './train-sampling.ts';
import type { SupernetParam, SupernetSpace, TrainableSupernet } from './supernet-space.ts';
import { DataError } from '../util/errors.ts';

export interface TrainSupernetOptions<P = unknown> {
  supernet: TrainableSupernet<P>;
  /** The supernet's search space (path sampling, which parameters are op parameters); default NB201's. */
  space?: SupernetSpace<P>;
  images: ImageSet;
  config: TrainConfig;
  /** Resume from / save to this file (see the file comment). */
  checkpointFile?: string;
  /** Steps between checkpoint writes (default 50); the last step always writes one. */
  checkpointEvery?: number;
  /** Steps between gamma snapshots (default: none but step 0 and the end). */
  snapshotEvery?: number;
  /**
   * Stop after this many steps in this call, after writing a checkpoint: a run killed at a known
   * point (tests of resumption), or a run split over several calls.
   */
  stopAfterSteps?: number;
  /** Called after every step. */
  onStep?: (step: number, total: number, loss: number) => void;
}

export interface TrainSupernetResult {
  /** Steps completed (config.steps when `completed`). */
  step: number;
  completed: boolean;
  /** The step the run resumed from, or null for a fresh start. */
  resumedFrom: number | null;
  log: TrainLog;
  snapshots: TrainSnapshot[];
}

/** What a resumed run must share with the checkpoint. */
export function trainIdentity(supernet: { readonly options: object }, images: ImageSet, config: TrainConfig, snapshotEvery: number | null): unknown {
  return {
    supernet: supernet.options,
    config,
    images: { dataset: images.dataset, split: images.split, size: images.size, height: images.height, width: images.width },
    snapshotEvery,
  };
}

/** The parameters a snapshot copies: every BN gamma inside a cell op (what gamma indicators read). */
export function isSnapshotParam(p: SupernetParam, space: Pick<SupernetSpace<unknown>, 'isOpParam'>): boolean {
  return p.kind === 'bn-gamma' && space.isOpParam(p);
}

export function trainSupernet<P>(opts: TrainSupernetOptions<P>): TrainSupernetResult {
  const { supernet, images, config } = opts;
  const space = opts.space ?? (NB201_SUPERNET_SPACE as unknown as SupernetSpace<P>);
  const checkpointEvery = opts.checkpointEvery ?? 50;
  const snapshotEvery = opts.snapshotEvery ?? null;
  if (!Number.isInteger(checkpointEvery) || checkpointEvery < 1) throw new RangeError(`checkpointEvery must be a positive integer, got ${checkpointEvery}`);
  if (snapshotEvery !== null && (!Number.isInteger(snapshotEvery) || snapshotEvery < 1)) throw new RangeError(`snapshotEvery must be a positive integer, got ${snapshotEvery}`);
  if (supernet.options.numClasses !== images.numClasses) {
    throw new RangeError(`the supernet has ${supernet.options.numClasses} outputs, the ${images.dataset} images have ${images.numClasses} classes`);
  }
  stepsPerEpoch(images.size, config.batchSize); // fails early if the set is smaller than a batch

  const trained = supernet.params.filter((p) => trainsParam(config.mode, p.kind, space.isOpParam(p)));
  if (trained.length === 0) {
    throw new RangeError(`mode '${config.mode}' trains no parameter of this ${space.name} supernet (${JSON.stringify(supernet.options)}): BN-only training needs affine BN in the candidate ops`);
  }
  const optimiser = new SgdMomentum(trained.map((p) => ({ name: p.name, variable: p.variable })), config);
  const paramByVariable = new Map(trained.map((p) => [p.variable.name, p.name]));
  const identity = trainIdentity(supernet, images, config, snapshotEvery);

  let step = 0;
  let resumedFrom: number | null = null;
  const log: TrainLog = { stepSeconds: [], losses: [] };
  const snapshots: TrainSnapshot[] = [];
  try {
    if (opts.checkpointFile && existsSync(opts.checkpointFile)) {
      const ckpt = readCheckpoint(opts.checkpointFile);
      checkIdentity(opts.checkpointFile, ckpt.identity, identity);
      restore(supernet, optimiser, ckpt, opts.checkpointFile);
      step = ckpt.step;
      resumedFrom = step;
      log.stepSeconds.push(...ckpt.log.stepSeconds);
      log.losses.push(...ckpt.log.losses);
      snapshots.push(...ckpt.snapshots);
    }
    if (snapshots.length === 0) snapshots.push(takeSnapshot(supernet, space, 0, 0));

    const save = () => {
      if (opts.checkpointFile) writeCheckpoint(opts.checkpointFile, capture(supernet, optimiser, identity, config, step, log, snapshots));
    };
    let stepsThisCall = 0;
    while (step < config.steps) {
      if (opts.stopAfterSteps !== undefined && stepsThisCall >= opts.stopAfterSteps) break;
      const { seconds, loss } = trainStep(supernet, space, images, config, optimiser, paramByVariable, trained, step);
      step++;
      stepsThisCall++;
      log.stepSeconds.push(seconds);
      log.losses.push(loss);
      if (!Number.isFinite(loss)) {
        save();
        throw new Error(`supernet training diverged: loss ${loss} at step ${step} (mode ${config.mode}, lr ${learningRate(config, step - 1)})`);
      }
      const atSnapshot = step === config.steps || (snapshotEvery !== null && step % snapshotEvery === 0);
      if (atSnapshot) snapshots.push(takeSnapshot(supernet, space, step, sum(log.stepSeconds)));
      if (step === config.steps || step % checkpointEvery === 0) save();
      opts.onStep?.(step, config.steps, loss);
    }
    if (step < config.steps) save();
    return { step, completed: step === config.steps, resumedFrom, log, snapshots };
  } finally {
    optimiser.dispose();
  }
}

function trainStep<P>(
  supernet: TrainableSupernet<P>,
  space: SupernetSpace<P>,
  images: ImageSet,
  config: TrainConfig,
  optimiser: SgdMomentum,
  paramByVariable: ReadonlyMap<string, string>,
  trained: readonly SupernetParam[],
  step: number,
): { seconds: number; loss: number } {
  const started = performance.now();
  const path = space.samplePath(config.seed, step);
  const batch = normalizeBatch(images, batchIndices(config.seed, images.size, config.batchSize, step));
  const x = tf.tensor4d(batch.x, [batch.n, batch.height, batch.width, batch.channels]);
  const y = tf.tensor1d(batch.labels, 'int32');
  const forwardLoss = () => labelSmoothedCrossEntropy(supernet.apply(x, { training: true, path }), y, config.labelSmoothing);
  try {
    // Ops off the path take no part in the loss; they get no gradient and the optimiser leaves
    // them alone (as PyTorch does for parameters whose .grad is None).
    const onPath = trained.filter((p) => space.onPath(p, path));
    if (onPath.length === 0) {
      // BN-only training of a path without any BN (only skip / pool / none in the original
      // space): nothing to update, but the forward pass still moves the BN running statistics,
      // as the reference's training step would.
      const value = forwardLoss();
      const l = value.dataSync()[0]!;
      value.dispose();
      return { seconds: (performance.now() - started) / 1000, loss: l };
    }
    const { value, grads } = tf.variableGrads(forwardLoss, onPath.map((p) => p.variable));
    const byName = new Map<string, tf.Tensor>();
    for (const [variableName, g] of Object.entries(grads)) byName.set(paramByVariable.get(variableName)!, g);
    try {
      optimiser.step(byName, learningRate(config, step));
      const loss = value.dataSync()[0]!;
      return { seconds: (performance.now() - started) / 1000, loss };
    } finally {
      value.dispose();
      for (const g of byName.values()) g.dispose();
    }
  } finally {
    x.dispose();
    y.dispose();
  }
}

function sum(v: readonly number[]): number {
  return v.reduce((a, b) => a + b, 0);
}

function copyOf(v: tf.Variable): { shape: number[]; values: Float32Array } {
  return { shape: [...v.shape], values: Float32Array.from(v.dataSync() as Float32Array) };
}

function takeSnapshot<P>(supernet: TrainableSupernet<P>, space: SupernetSpace<P>, step: number, trainSeconds: number): TrainSnapshot {
  const values: TensorGroup = new Map();
  for (const p of supernet.params) if (isSnapshotParam(p, space)) values.set(p.name, copyOf(p.variable));
  return { step, trainSeconds, values };
}

function capture(
  supernet: TrainableSupernet<never>,
  optimiser: SgdMomentum,
  identity: unknown,
  config: TrainConfig,
  step: number,
  log: TrainLog,
  snapshots: TrainSnapshot[],
): SupernetCheckpoint {
  return {
    identity,
    step,
    sampling: { kind: 'counter', seed: config.seed, nextStep: step },
    params: new Map(supernet.params.map((p) => [p.name, copyOf(p.variable)])),
    buffers: new Map(supernet.buffers.map((b) => [b.name, copyOf(b.variable)])),
    momentum: optimiser.exportState(),
    log: { stepSeconds: [...log.stepSeconds], losses: [...log.losses] },
    snapshots,
  };
}

function checkIdentity(file: string, stored: unknown, current: unknown): void {
  if (canonicalJson(stored) === canonicalJson(current)) return;
  const s = (stored ?? {}) as Record<string, unknown>;
  const c = current as Record<string, unknown>;
  const differing = Object.keys({ ...s, ...c }).filter((k) => canonicalJson(s[k]) !== canonicalJson(c[k]));
  throw new DataError(
    `checkpoint belongs to a different run (differs in: ${differing.join(', ')}; stored ${canonicalJson(differing.map((k) => s[k]))}, ` +
      `this run ${canonicalJson(differing.map((k) => c[k]))}); delete it to start over, or use another checkpoint file`,
    { file },
  );
}

function restoreGroup(group: TensorGroup, targets: ReadonlyArray<{ name: string; variable: tf.Variable }>, what: string, file: string): void {
  const names = new Set(targets.map((t) => t.name));
  const extra = [...group.keys()].filter((n) => !names.has(n));
  const missing = [...names].filter((n) => !group.has(n));
  if (extra.length > 0 || missing.length > 0) {
    throw new DataError(`checkpoint ${what} do not match the supernet (missing: ${missing.slice(0, 5).join(', ') || 'none'}; unknown: ${extra.slice(0, 5).join(', ') || 'none'})`, { file });
  }
  for (const t of targets) {
    const r = group.get(t.name)!;
    if (r.shape.length !== t.variable.shape.length || r.shape.some((d, i) => d !== t.variable.shape[i])) {
      throw new DataError(`checkpoint ${what} '${t.name}' has shape [${r.shape.join(', ')}], the supernet [${t.variable.shape.join(', ')}]`, { file });
    }
    const value = tf.tensor(r.values, r.shape, 'float32');
    t.variable.assign(value);
    value.dispose();
  }
}

function restore(supernet: TrainableSupernet<never>, optimiser: SgdMomentum, ckpt: SupernetCheckpoint, file: string): void {
  restoreGroup(ckpt.params, supernet.params, 'parameters', file);
  restoreGroup(ckpt.buffers, supernet.buffers, 'buffers', file);
  try {
    optimiser.importState(ckpt.momentum);
  } catch (err) {
    throw new DataError(`checkpoint optimiser state: ${(err as Error).message}`, { file }, { cause: err });
  }
}
