import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NB201_OPS } from '../../src/models/nb201-cell.ts';
import { buildNB201Supernet, type NB201Supernet, type SupernetOptions } from '../../src/supernet/nb201-supernet.ts';
import { isTrainedIn, learningRate, resolveTrainConfig, type TrainMode } from '../../src/supernet/train-config.ts';
import { labelSmoothedCrossEntropy } from '../../src/supernet/train-loss.ts';
import { SgdMomentum } from '../../src/supernet/train-optimizer.ts';
import { batchIndices, samplePath } from '../../src/supernet/train-sampling.ts';
import { trainSupernet } from '../../src/supernet/train.ts';
import type { ImageSet } from '../../src/datasets/types.ts';
import { streamFor } from '../../src/models/rng.ts';
import { decodeCheckpoint, encodeCheckpoint, readCheckpoint, type SupernetCheckpoint } from '../../src/supernet/checkpoint.ts';
import { DataError } from '../../src/util/errors.ts';

const TINY = { C: 2, N: 1, numClasses: 10, seed: 5 } satisfies SupernetOptions;
const owned: NB201Supernet[] = [];
function supernet(opts: Partial<SupernetOptions> = {}): NB201Supernet {
  const s = buildNB201Supernet({ ...TINY, ...opts });
  owned.push(s);
  return s;
}
/**
 * A synthetic CIFAR-10-like set: `size` random 8x8 RGB images with random labels (seeded), so
 * supernet-training tests run in a second on tiny supernets without touching the real files.
 */
function syntheticImages(size: number, seed = 0, side = 8): ImageSet {
  const rng = streamFor(seed, 'synthetic-images');
  const images = new Uint8Array(size * side * side * 3);
  for (let i = 0; i < images.length; i++) images[i] = Math.floor(rng.uniform() * 256);
  const labels = Int32Array.from({ length: size }, () => Math.floor(rng.uniform() * 10));
  return { dataset: 'cifar10', split: 'train', files: ['synthetic'], height: side, width: side, channels: 3, numClasses: 10, size, images, labels };
}

const values = (s: NB201Supernet) => new Map(s.params.map((p) => [p.name, Float32Array.from(p.variable.dataSync() as Float32Array)]));

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => {
  while (owned.length > 0) owned.pop()!.dispose();
});

describe('training schedule and sampling', () => {
  it('decays the learning rate linearly from lr to the floor', () => {
    const cfg = resolveTrainConfig({ mode: 'standard', steps: 100 });
    expect(cfg).toMatchObject({ lr: 0.25, minLr: 5e-4, momentum: 0.9, weightDecay: 4e-5, gradClip: 5, labelSmoothing: 0.1 });
    expect(learningRate(cfg, 0)).toBe(0.25);
    expect(learningRate(cfg, 50)).toBeCloseTo(0.125, 12);
    expect(learningRate(cfg, 99)).toBeCloseTo(0.0025, 12);
    expect(learningRate(resolveTrainConfig({ mode: 'standard', steps: 1000 }), 999)).toBe(5e-4);
    expect(() => resolveTrainConfig({ mode: 'standard', steps: 0 })).toThrow(/steps/);
    expect(() => resolveTrainConfig({ mode: 'everything' as 'standard', steps: 1 })).toThrow(/unknown training mode/);
  });

  it('draws paths uniformly over the five ops and batches as per-epoch permutations, reproducibly', () => {
    expect(samplePath(3, 17)).toEqual(samplePath(3, 17));
    const counts = new Map<string, number>();
    for (let t = 0; t < 2000; t++) for (const op of samplePath(0, t)) counts.set(op, (counts.get(op) ?? 0) + 1);
    for (const op of NB201_OPS) expect(Math.abs(counts.get(op)! / 12000 - 0.2)).toBeLessThan(0.02);
    // one epoch of 10 images in batches of 3 (3 steps, one image dropped): distinct indices
    const epoch = [0, 1, 2].flatMap((t) => batchIndices(1, 10, 3, t));
    expect(new Set(epoch).size).toBe(9);
    expect(batchIndices(1, 10, 3, 3)).not.toEqual(batchIndices(1, 10, 3, 0)); // a fresh permutation
  });

  it('label-smoothed cross-entropy equals the formula', () => {
    const logits = tf.tensor2d([[1, 2, 0.5], [0, -1, 3]]);
    const loss = labelSmoothedCrossEntropy(logits, tf.tensor1d([1, 2], 'int32'), 0.1).dataSync()[0]!;
    const rows = [[1, 2, 0.5], [0, -1, 3]];
    let expected = 0;
    rows.forEach((z, i) => {
      const lse = Math.log(z.reduce((a, v) => a + Math.exp(v), 0));
      z.forEach((v, c) => (expected -= ((c === [1, 2][i] ? 0.9 : 0) + 0.1 / 3) * (v - lse)));
    });
    expect(loss).toBeCloseTo(expected / 2, 5);
  });
});

describe('SgdMomentum', () => {
  it('follows PyTorch SGD (momentum, weight decay, value clipping) and skips zero gradients', () => {
    const a = tf.variable(tf.tensor1d([1, -2]));
    const b = tf.variable(tf.tensor1d([3]));
    const sgd = new SgdMomentum([{ name: 'a', variable: a }, { name: 'b', variable: b }], { momentum: 0.9, weightDecay: 0.1, gradClip: 5 });
    expect(sgd.step(new Map([['a', tf.tensor1d([10, 1])], ['b', tf.tensor1d([0])]]), 0.5)).toEqual(['a']);
    // d = clip(g) + 0.1 p = [5.1, 0.8]; buf = d; p = p - 0.5 buf
    expect(Array.from(a.dataSync())).toEqual([1 - 0.5 * 5.1, -2 - 0.5 * 0.8].map(Math.fround));
    expect(b.dataSync()[0]).toBe(3); // zero gradient: no weight decay, no buffer
    expect(sgd.exportState().has('b')).toBe(false);
    const p1 = Array.from(a.dataSync());
    sgd.step(new Map([['a', tf.tensor1d([1, 1])]]), 0.5);
    const d2 = p1.map((p) => 1 + 0.1 * p);
    const buf2 = [5.1, 0.8].map((v, i) => 0.9 * v + d2[i]!);
    Array.from(a.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(p1[i]! - 0.5 * buf2[i]!, 5));
    sgd.dispose();
    a.dispose();
    b.dispose();
  });
});

describe('trainSupernet', () => {
  const images = syntheticImages(24);

  it('bn-only training changes only the cell ops\' BN gamma/beta', () => {
    const s = supernet();
    const before = values(s);
    const config = resolveTrainConfig({ mode: 'bn-only', steps: 4, batchSize: 8, seed: 1 });
    const tensors = tf.memory().numTensors;
    const result = trainSupernet({ supernet: s, images, config });
    expect(tf.memory().numTensors).toBe(tensors); // nothing leaks per step
    expect(result.completed).toBe(true);
    expect(result.log.stepSeconds).toHaveLength(4);
    const after = values(s);
    let changed = 0;
    for (const p of s.params) {
      const same = after.get(p.name)!.every((v, i) => v === before.get(p.name)![i]);
      if (!isTrainedIn('bn-only', p)) expect(same, `${p.name} (${p.kind}) must stay frozen`).toBe(true);
      else if (!same) changed++;
      if (!same) expect(['bn-gamma', 'bn-beta']).toContain(p.kind);
    }
    expect(changed).toBeGreaterThan(0);
  });

  it('standard training moves convolutions too, and never an op that no sampled path used', () => {
    const s = supernet();
    const before = values(s);
    const config = resolveTrainConfig({ mode: 'standard', steps: 2, batchSize: 8, seed: 1 });
    trainSupernet({ supernet: s, images, config });
    const used = [0, 1].map((t) => samplePath(1, t));
    const after = values(s);
    const moved = (name: string) => after.get(name)!.some((v, i) => v !== before.get(name)![i]);
    expect(s.params.filter((p) => p.kind === 'conv' && p.label && moved(p.name)).length).toBeGreaterThan(0);
    expect(moved('classifier.weight')).toBe(true);
    for (const p of s.params) {
      if (!p.label) continue;
      const e = [[0, 1], [0, 2], [1, 2], [0, 3], [1, 3], [2, 3]].findIndex(([f, t]) => f === p.label!.from && t === p.label!.to);
      if (!used.some((path) => path[e] === p.label!.op)) expect(moved(p.name), `${p.name} was never on a path`).toBe(false);
    }
  });

  it('bn-only steps on a path without any BN update nothing but the running statistics', () => {
    // a sampling seed whose first path has no conv (only skip / pool / none: no BN in the original space)
    let seed = 0;
    while (samplePath(seed, 0).some((op) => op.startsWith('nor_conv'))) seed++;
    const s = supernet();
    const before = values(s);
    const stats = s.buffers.map((b) => Array.from(b.variable.dataSync()));
    const r = trainSupernet({ supernet: s, images, config: resolveTrainConfig({ mode: 'bn-only', steps: 1, batchSize: 8, seed }) });
    expect(r.completed).toBe(true);
    expect(Number.isFinite(r.log.losses[0])).toBe(true);
    expect(values(s)).toEqual(before);
    expect(s.buffers.some((b, i) => Array.from(b.variable.dataSync()).some((v, j) => v !== stats[i]![j]))).toBe(true);
  });

  it('refuses bn-only training of a supernet without affine cell BN', () => {
    const s = supernet({ bn: 'no-affine' });
    expect(() => trainSupernet({ supernet: s, images, config: resolveTrainConfig({ mode: 'bn-only', steps: 1, batchSize: 8 }) })).toThrow(/affine BN/);
  });

  it('takes gamma snapshots at step 0, every k steps and at the end', () => {
    const s = supernet({ fair: true });
    const r = trainSupernet({ supernet: s, images, config: resolveTrainConfig({ mode: 'bn-only', steps: 5, batchSize: 8 }), snapshotEvery: 2 });
    expect(r.snapshots.map((x) => x.step)).toEqual([0, 2, 4, 5]);
    expect(r.snapshots[0]!.trainSeconds).toBe(0);
    expect(r.snapshots[3]!.trainSeconds).toBeCloseTo(r.log.stepSeconds.reduce((a, b) => a + b, 0), 9);
    const gammas = s.params.filter((p) => p.kind === 'bn-gamma' && p.label);
    expect([...r.snapshots[0]!.values.keys()].sort()).toEqual(gammas.map((p) => p.name).sort());
    for (const v of r.snapshots[0]!.values.values()) expect(Array.from(v.values).every((x) => x === 1)).toBe(true);
  });

  it('writes a checkpoint that a different run refuses', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nasrepro-train-'));
    const file = path.join(dir, 'run.ckpt');
    trainSupernet({ supernet: supernet(), images, config: resolveTrainConfig({ mode: 'bn-only', steps: 2, batchSize: 8 }), checkpointFile: file });
    expect(() =>
      trainSupernet({ supernet: supernet(), images, config: resolveTrainConfig({ mode: 'bn-only', steps: 3, batchSize: 8 }), checkpointFile: file }),
    ).toThrow(/different run \(differs in: config/);
  });
});

function tiny(): NB201Supernet {
  return supernet({ seed: 9 });
}
const state = (s: NB201Supernet) =>
  new Map([...s.params, ...s.buffers].map((p) => [p.name, Array.from(p.variable.dataSync())]));


describe('resuming a killed supernet training', () => {
  const images = syntheticImages(24, 3);

  it.each(['standard', 'bn-only'] as const)('ends with the same weights, running statistics, momentum and log as an uninterrupted run (%s)', (mode: TrainMode) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nasrepro-resume-'));
    // 7 steps at batch 8 over 24 images: epochs of 3 steps, so the kill (after step 4) falls
    // inside the second epoch and the resumed run must rebuild that epoch's permutation.
    const config = resolveTrainConfig({ mode, steps: 7, batchSize: 8, seed: 2 });

    const straightFile = path.join(dir, 'straight.ckpt');
    const straight = tiny();
    const full = trainSupernet({ supernet: straight, images, config, checkpointFile: straightFile, snapshotEvery: 3 });

    const killedFile = path.join(dir, 'killed.ckpt');
    const first = tiny();
    const partial = trainSupernet({ supernet: first, images, config, checkpointFile: killedFile, checkpointEvery: 2, snapshotEvery: 3, stopAfterSteps: 4 });
    expect(partial).toMatchObject({ step: 4, completed: false, resumedFrom: null });
    expect(readCheckpoint(killedFile).step).toBe(4);

    // A new process: a freshly built supernet (initial weights), resumed from the file.
    const second = tiny();
    const resumed = trainSupernet({ supernet: second, images, config, checkpointFile: killedFile, checkpointEvery: 2, snapshotEvery: 3 });
    expect(resumed).toMatchObject({ step: 7, completed: true, resumedFrom: 4 });

    expect(state(second)).toEqual(state(straight));
    expect(resumed.log.losses).toEqual(full.log.losses);
    expect(resumed.snapshots.map((s) => s.step)).toEqual([0, 3, 6, 7]);
    resumed.snapshots.forEach((s, i) => expect(s.values).toEqual(full.snapshots[i]!.values));
    const a = readCheckpoint(straightFile);
    const b = readCheckpoint(killedFile);
    expect(b.momentum).toEqual(a.momentum);
    expect(b.momentum.size).toBeGreaterThan(0);
    expect(b.sampling).toEqual({ kind: 'counter', seed: 2, nextStep: 7 });

    // A finished run restarted does nothing and reports the stored log.
    const third = tiny();
    const again = trainSupernet({ supernet: third, images, config, checkpointFile: killedFile, snapshotEvery: 3 });
    expect(again).toMatchObject({ step: 7, completed: true, resumedFrom: 7 });
    expect(state(third)).toEqual(state(straight));
  });
});

describe('checkpoint files', () => {
  const ckpt: SupernetCheckpoint = {
    identity: { b: 1, a: [1, 2] },
    step: 3,
    sampling: { kind: 'counter', seed: 1, nextStep: 3 },
    params: new Map([['w', { shape: [2, 2], values: Float32Array.from([1, 2, 3, Math.fround(0.1)]) }]]),
    buffers: new Map([['m', { shape: [1], values: Float32Array.from([7]) }]]),
    momentum: new Map(),
    log: { stepSeconds: [0.1, 0.2, 0.3], losses: [2.3, 2.2, 2.1] },
    snapshots: [{ step: 0, trainSeconds: 0, values: new Map([['g', { shape: [3], values: Float32Array.from([1, 1, 1]) }]]) }],
  };

  it('round-trips every group exactly', () => {
    expect(decodeCheckpoint(encodeCheckpoint(ckpt))).toEqual(ckpt);
  });

  it('rejects a damaged or foreign file with a DataError naming it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nasrepro-ckpt-'));
    const file = path.join(dir, 'x.ckpt');
    const bytes = encodeCheckpoint(ckpt);
    bytes[bytes.length - 2] ^= 0xff;
    writeFileSync(file, bytes);
    expect(() => readCheckpoint(file)).toThrow(DataError);
    expect(() => readCheckpoint(file)).toThrow(/damaged/);
    writeFileSync(file, 'hello world, not a checkpoint');
    expect(() => readCheckpoint(file)).toThrow(/not a supernet checkpoint/);
    expect(readFileSync(file, 'utf8')).toContain('hello');
  });
});
