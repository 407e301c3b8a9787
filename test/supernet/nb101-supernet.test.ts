import * as tf from '@tensorflow/tfjs';
import { nb101ModuleShapes, planNB101Module } from '../../src/models/nb101-cost.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ImageSet } from '../../src/datasets/types.ts';
import { streamFor } from '../../src/models/rng.ts';
import { buildNB101Network } from '../../src/models/nb101-network.ts';
import { snapshotGammas } from '../../src/proxies/bn-nas.ts';
import { nb101BnNasScore, nb101GammaTable } from '../../src/proxies/bn-nas-nb101.ts';
import { fairBnPathParts } from '../../src/proxies/fair-bn.ts';
import { hashSpec, validateSpec, type ModelSpec } from '../../src/spaces/nb101.ts';
import { buildNB101Supernet, NB101_SUPERNET_SPACE, nb101PathBnParams, slotOnPath, type NB101Supernet, type NB101SupernetOptions } from '../../src/supernet/nb101-supernet.ts';
import { sampleNB101Path } from '../../src/supernet/nb101-sampling.ts';
import { CHAIN, PROJECTION_ONLY, RESIDUAL_POOL, TRUNCATING } from '../helpers/nb101-specs.ts';
import { resolveTrainConfig } from '../../src/supernet/train-config.ts';
import { trainSupernet } from '../../src/supernet/train.ts';

const TINY: NB101SupernetOptions = { stemChannels: 4, numStacks: 2, cellsPerStack: 1, numClasses: 10, seed: 3 };
const owned: { dispose(): void }[] = [];
function supernet(opts: Partial<NB101SupernetOptions> = {}): NB101Supernet {
  const s = buildNB101Supernet({ ...TINY, ...opts });
  owned.push(s);
  return s;
}
function syntheticImages(size: number, side = 8): ImageSet {
  const rng = streamFor(1, 'nb101-supernet-images');
  const images = Uint8Array.from({ length: size * side * side * 3 }, () => Math.floor(rng.uniform() * 256));
  const labels = Int32Array.from({ length: size }, () => Math.floor(rng.uniform() * 10));
  return { dataset: 'cifar10', split: 'train', files: ['synthetic'], height: side, width: side, channels: 3, numClasses: 10, size, images, labels };
}
const x = () => tf.randomNormal([6, 8, 8, 3], 0, 1, 'float32', 11) as tf.Tensor4D;

// RESIDUAL_POOL (pruned: input, conv3x3, max-pool, conv1x1, output): projections into vertices 1
// and 2 but not 3, an input -> output projection, three vertices feeding the output; TRUNCATING
// needs truncation (odd split of the module's channels).
const RICH = RESIDUAL_POOL;

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => {
  while (owned.length > 0) owned.pop()!.dispose();
});

/** The stand-alone NB101 network of `spec` with every weight taken from the supernet's shared tensors (leading block). */
function standaloneFromSupernet(s: NB101Supernet, spec: ModelSpec) {
  const net = buildNB101Network(spec, { stemChannels: TINY.stemChannels, numStacks: TINY.numStacks, cellsPerStack: TINY.cellsPerStack, numClasses: 10, seed: 99 });
  owned.push(net);
  const shared = new Map(s.params.map((p) => [p.name, p.variable]));
  for (const p of net.params) {
    // The stand-alone names the input -> output projection `<module>/projection` when a vertex also feeds the output.
    const name = shared.has(p.name) ? p.name : p.name.replace(/^(stack\d+\/module\d+)\/projection\//, '$1/output/projection/');
    const src = shared.get(name);
    expect(src, `supernet tensor for ${p.name}`).toBeDefined();
    const part = tf.slice(src!, new Array(p.variable.shape.length).fill(0), p.variable.shape);
    p.variable.assign(part);
    part.dispose();
  }
  return net;
}

describe('NB101 supernet (channel-sliced weight sharing)', () => {
  it('runs a path exactly as the stand-alone NB101 network with the shared weights (train mode)', () => {
    const s = supernet();
    const specs = [RICH, CHAIN, PROJECTION_ONLY, TRUNCATING, ...Array.from({ length: 4 }, (_, t) => sampleNB101Path(7, t))];
    for (const spec of specs) {
      const pruned = validateSpec(spec);
      const net = standaloneFromSupernet(s, pruned);
      const input = x();
      const a = s.apply(input, { training: true, path: pruned });
      const b = net.apply(input, { training: true, updateRunningStats: false });
      const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
      const scale = tf.max(tf.abs(b)).dataSync()[0]!;
      expect(diff / scale, hashSpec(pruned)).toBeLessThan(1e-5);
      tf.dispose([input, a, b]);
    }
  });

  it('refuses eval mode (it keeps no running statistics) and invalid cells', () => {
    const s = supernet();
    const input = x();
    expect(() => s.apply(input, { training: false, path: RICH })).toThrow(/train mode/);
    const bad = { matrix: [[0, 0], [0, 0]], ops: ['input', 'output'] };
    expect(() => s.apply(input, { training: true, path: bad })).toThrow(/disconnected/);
    input.dispose();
  });

  it('labels which parameters a path uses: its ops, its projections, nothing else', () => {
    const s = supernet({ fair: true });
    const pruned = validateSpec(RICH);
    const used = s.params.filter((p) => p.label && slotOnPath(p.label, pruned)).map((p) => p.name);
    expect(used.some((n) => n === 'stack0/module0/vertex_1/Conv3x3-BN-ReLU/conv2d/kernel')).toBe(true);
    expect(used.some((n) => n === 'stack0/module0/vertex_1/Conv1x1-BN-ReLU/conv2d/kernel')).toBe(false);
    expect(used.some((n) => n === 'stack0/module0/vertex_2/MaxPool3x3/batch_normalization/gamma')).toBe(true);
    expect(used.some((n) => n === 'stack0/module0/vertex_2/projection/conv2d/kernel')).toBe(true);
    expect(used.some((n) => n === 'stack0/module0/vertex_3/projection/conv2d/kernel')).toBe(false); // no input -> 3 edge
    expect(used.some((n) => n === 'stack0/module0/vertex_4/Conv3x3-BN-ReLU/conv2d/kernel')).toBe(false); // pruned away
    expect(used.some((n) => n === 'stack0/module0/output/projection/conv2d/kernel')).toBe(true);
    // BN-only's parameters on this path: the BN of each of the 3 ops (pool BN in the fair space), gamma + beta, 2 modules.
    expect(nb101PathBnParams(s, pruned)).toHaveLength(3 * 2 * 2);
    expect(nb101PathBnParams(supernet(), pruned)).toHaveLength(2 * 2 * 2); // original space: pools have no BN
  });

  it('draws training paths as NB101 random_spec does: valid, pruned, reproducible, every op', () => {
    const ops = new Set<string>();
    for (let t = 0; t < 60; t++) {
      const spec = sampleNB101Path(5, t);
      expect(validateSpec(spec)).toEqual(spec);
      spec.ops.slice(1, -1).forEach((o) => ops.add(o));
    }
    expect(sampleNB101Path(5, 17)).toEqual(sampleNB101Path(5, 17));
    expect(sampleNB101Path(5, 17)).not.toEqual(sampleNB101Path(6, 17));
    expect(ops).toEqual(new Set(['conv3x3-bn-relu', 'conv1x1-bn-relu', 'maxpool3x3']));
  });

  it('BN-only training moves only the candidate ops\' BN of the paths it drew; the indicator reads them by width', () => {
    const s = supernet();
    const before = new Map(s.params.map((p) => [p.name, Float32Array.from(p.variable.dataSync() as Float32Array)]));
    const steps = 4;
    const r = trainSupernet({ supernet: s, space: NB101_SUPERNET_SPACE, images: syntheticImages(64), config: resolveTrainConfig({ mode: 'bn-only', steps, batchSize: 16 }) });
    expect(r.completed).toBe(true);
    const paths = Array.from({ length: steps }, (_, t) => NB101_SUPERNET_SPACE.samplePath(0, t));
    for (const p of s.params) {
      const changed = (p.variable.dataSync() as Float32Array).some((v, i) => v !== before.get(p.name)![i]);
      const trainable = (p.kind === 'bn-gamma' || p.kind === 'bn-beta') && NB101_SUPERNET_SPACE.isOpParam(p);
      if (!trainable) expect(changed, `${p.name} must stay frozen`).toBe(false);
      else if (!paths.some((path) => slotOnPath(p.label!, path))) expect(changed, `${p.name} is on no drawn path`).toBe(false);
    }
    expect(s.params.some((p) => p.kind === 'bn-gamma' && (p.variable.dataSync() as Float32Array).some((v) => v !== 1))).toBe(true);

    // At step 0 every gamma is 1: the indicator counts conv vertices per module.
    const labels = s.params.map(({ name, kind, label }) => ({ name, kind, slot: label }));
    const atInit = nb101GammaTable(snapshotGammas(labels, r.snapshots[0]!.values), s.modules);
    expect(nb101BnNasScore(atInit, validateSpec(RICH))).toBeCloseTo(2 * s.modules.length, 12);
    // After training: by hand, mean |gamma| over each vertex's own width.
    const table = nb101GammaTable(snapshotGammas(labels, r.snapshots[r.snapshots.length - 1]!.values), s.modules);
    const g = (name: string) => Array.from(s.params.find((p) => p.name === name)!.variable.dataSync() as Float32Array);
    const meanAbs = (v: number[], c: number) => v.slice(0, c).reduce((a, b) => a + Math.abs(b), 0) / c;
    // The widths come from the stand-alone network's own plan.
    let expected = 0;
    for (const shape of nb101ModuleShapes(4, 2, 1, 32)) {
      for (const v of planNB101Module(validateSpec(RICH), shape.inChannels, shape.outChannels).interior) {
        if (v.op === 'maxpool3x3') continue;
        expected += meanAbs(g(`stack${shape.stack}/module${shape.module}/vertex_${v.vertex}/${v.op === 'conv3x3-bn-relu' ? 'Conv3x3' : 'Conv1x1'}-BN-ReLU/batch_normalization/gamma`), v.channels);
      }
    }
    expect(nb101BnNasScore(table, validateSpec(RICH))).toBeCloseTo(expected, 6);
  });

  it('a training stopped after a checkpoint resumes to exactly the uninterrupted run (standard mode)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nasrepro-nb101-resume-'));
    const images = syntheticImages(24);
    const config = resolveTrainConfig({ mode: 'standard', steps: 5, batchSize: 8, seed: 4 });
    const straight = supernet();
    const full = trainSupernet({ supernet: straight, space: NB101_SUPERNET_SPACE, images, config, checkpointFile: path.join(dir, 'a.ckpt') });
    const first = supernet();
    const partial = trainSupernet({ supernet: first, space: NB101_SUPERNET_SPACE, images, config, checkpointFile: path.join(dir, 'b.ckpt'), checkpointEvery: 2, stopAfterSteps: 3 });
    expect(partial).toMatchObject({ step: 3, completed: false });
    const second = supernet();
    const resumed = trainSupernet({ supernet: second, space: NB101_SUPERNET_SPACE, images, config, checkpointFile: path.join(dir, 'b.ckpt') });
    expect(resumed).toMatchObject({ step: 5, completed: true, resumedFrom: 3 });
    expect(resumed.log.losses).toEqual(full.log.losses);
    for (const p of straight.params) {
      const q = second.params.find((x) => x.name === p.name)!;
      expect(Array.from(q.variable.dataSync()), p.name).toEqual(Array.from(p.variable.dataSync()));
    }
  });

  it('gives the fair-BN parts finite values on an NB101 path', () => {
    const s = supernet({ fair: true });
    const pruned = validateSpec(RICH);
    const imgs = (n: number, seed: number) => tf.randomNormal([n, 8, 8, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
    const inputs = { expressivity: imgs(8, 1), ntk: imgs(4, 2), probes: imgs(3, 3), contexts: [imgs(6, 4), imgs(6, 5)] };
    const parts = fairBnPathParts(s, pruned, inputs, nb101PathBnParams(s, pruned));
    expect(Number.isFinite(parts.expressivity)).toBe(true);
    expect(Number.isFinite(parts.trainability)).toBe(true);
    expect(parts.trainability).toBeLessThanOrEqual(0);
    expect(parts.uncertainty).toBeLessThan(0);
    tf.dispose([inputs.expressivity, inputs.ntk, inputs.probes, ...inputs.contexts]);
  });
});
