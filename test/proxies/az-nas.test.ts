import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runStage } from '../../src/executors/tfjs-forward.ts';
import { graphFlops } from '../../src/graph/cost.ts';
import type { CellNetwork } from '../../src/models/instantiate.ts';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { scoreOnNetwork } from '../../src/proxies/context.ts';
import { azNas, azNasInput, combineAzNas, largestSingularValue, pixelUnshuffle, spectralEntropy, trainabilityTerm } from '../../src/proxies/az-nas.ts';
import { getProxy } from '../../src/proxies/registry.ts';
import { symmetricEigenvalues } from '../../src/util/eigen.ts';
import { CELL, nb201Variant, relClose } from './zc-helpers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const SIZE = 8;
const settings = { ...azNas.defaults, batchSize: 4 };
const build = (cell: readonly string[], seed: number): CellNetwork => buildNB201Network(cell, { ...nb201Variant('az-nas', 10), C: 4, N: 1, seed });

async function parts(net: CellNetwork): Promise<Record<string, number>> {
  const r = await scoreOnNetwork(azNas, net, [], { settings, imageSize: { height: SIZE, width: SIZE } });
  if (typeof r === 'number') throw new Error('az_nas reports parts');
  return r.parts as Record<string, number>;
}

/** The features by an independent route: the stages chained by hand from the same Gaussian input the proxy feeds. */
function stageFeatures(net: CellNetwork, x: tf.Tensor4D): tf.Tensor4D[] {
  const opts = net.runOptions({ training: true });
  const out: tf.Tensor4D[] = [];
  let f: tf.Tensor = x;
  for (let k = 0; k + 1 < net.graph.stages; k++) {
    f = runStage(net.graph, k, f, opts);
    out.push(f as tf.Tensor4D);
  }
  return out;
}

/** Spectral entropy of the channel covariance computed in float64 loops. */
function entropyByDefinition(f: tf.Tensor4D): number {
  const c = f.shape[3];
  const v = f.dataSync();
  const m = v.length / c;
  const mean = new Float64Array(c);
  for (let i = 0; i < m; i++) for (let j = 0; j < c; j++) mean[j] += v[i * c + j]! / m;
  const cov = new Float64Array(c * c);
  for (let i = 0; i < m; i++) for (let a = 0; a < c; a++) for (let b = 0; b < c; b++) cov[a * c + b] += ((v[i * c + a]! - mean[a]!) * (v[i * c + b]! - mean[b]!)) / m;
  const s = symmetricEigenvalues(cov, c);
  const total = s.reduce((p, q) => p + q, 0);
  return s.reduce((h, x) => h - (x / total) * Math.log(x / total + 1e-8), 0);
}

describe('az_nas', () => {
  it('expressivity, progressivity and complexity match a direct computation on the cell features', async () => {
    const net = build(CELL, 1);
    const p = await parts(net);
    // deterministic: a second run agrees exactly
    expect(await parts(net)).toEqual(p);
    const captured: tf.Tensor4D[] = [];
    const x = tf.tensor4d(azNasInput(4, SIZE, SIZE, settings.noiseSeed), [4, SIZE, SIZE, 3]);
    const feats = stageFeatures(net, x);
    captured.push(...feats);
    expect(feats.length).toBe(3 * 1 + 3);
    const h = feats.map(entropyByDefinition);
    for (const [i, f] of feats.entries()) {
      const c = f.shape[3];
      const cov = tf.tidy(() => {
        const m = tf.reshape(f, [-1, c]);
        const z = tf.sub(m, tf.mean(m, 0, true));
        return tf.div(tf.matMul(tf.transpose(z), z), m.shape[0]);
      });
      expect(relClose(spectralEntropy(Float64Array.from(cov.dataSync()), c), h[i]!, 1e-4)).toBe(true);
      cov.dispose();
    }
    const expressivity = h.reduce((q, r) => q + r, 0);
    const progressivity = Math.min(...h.slice(1).map((v, i) => v - h[i]!));
    expect(relClose(p.expressivity!, expressivity, 1e-4)).toBe(true);
    expect(Math.abs(p.progressivity! - progressivity)).toBeLessThan(1e-4 * Math.abs(expressivity));
    expect(p.complexity).toBeCloseTo(graphFlops(net.graph, SIZE) / 1e6, 12);
    // expressivity is a sum of entropies of c-channel spectra: between 0 and Σ log c
    const bound = feats.reduce((s, f) => s + Math.log(f.shape[3]), 0);
    expect(p.expressivity).toBeGreaterThan(0);
    expect(p.expressivity).toBeLessThanOrEqual(bound + 1e-6);
    tf.dispose([x, ...captured]);
    net.dispose();
  });

  it('trainability: vᵀJ of each block is its true derivative (finite differences), and an identity block gives -inf', async () => {
    const net = build(CELL, 2);
    const x = tf.randomNormal([4, SIZE, SIZE, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const feats = stageFeatures(net, x);
    const opts = net.runOptions({ training: true });
    // the reduction block (stage 2 of N=1: stem, cell, reduction, ...): g_in · u against a central difference
    const k = 2;
    const v = tf.sign(tf.randomNormal(feats[k]!.shape, 0, 1, 'float32', 7));
    const gIn = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(runStage(net.graph, k, z, opts), v)))(feats[k - 1]!);
    const u = tf.randomNormal(feats[k - 1]!.shape, 0, 1, 'float32', 9);
    const eps = 1e-2;
    const f = (s: number): number => tf.tidy(() => tf.sum(tf.mul(runStage(net.graph, k, tf.add(feats[k - 1]!, tf.mul(u, s)), opts), v)).dataSync()[0]!);
    const fd = (f(eps) - f(-eps)) / (2 * eps);
    const analytic = tf.sum(tf.mul(gIn, u)).dataSync()[0]!;
    expect(relClose(analytic, fd, 2e-2)).toBe(true);
    // the block's σmax from the unshuffled g_in and v, then the part's term, is finite
    const g = pixelUnshuffle(tf, gIn as tf.Tensor4D, 2);
    expect(g.shape).toEqual([4, SIZE / 2, SIZE / 2, 4 * 4]);
    tf.dispose([x, ...feats, v, gIn, u, g]);
    expect(Number.isFinite((await parts(net)).trainability)).toBe(true);
    net.dispose();
    // node 3 = node 0 exactly (skip 0->3, every other edge none): every cell is the identity
    const identity = build(['none', 'none', 'none', 'skip_connect', 'none', 'none'], 3);
    expect((await parts(identity)).trainability).toBe(-Infinity);
    identity.dispose();
  });

  it('helpers: closed forms', () => {
    expect(spectralEntropy(Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]), 3)).toBeCloseTo(Math.log(3), 6);
    expect(spectralEntropy(Float64Array.from([1, 0, 0, 0]), 2)).toBeCloseTo(0, 6);
    expect(trainabilityTerm(1)).toBeCloseTo(0, 5);
    expect(trainabilityTerm(2)).toBeCloseTo(-0.5, 5);
    // [[3, 0], [4, 0]]: σmax = 5
    expect(largestSingularValue([3, 0, 4, 0], 2, 2)).toBeCloseTo(5, 12);
    const x = tf.tensor4d(Float32Array.from({ length: 16 }, (_, i) => i), [1, 4, 4, 1]);
    const y = pixelUnshuffle(tf, x, 2);
    expect(y.shape).toEqual([1, 2, 2, 4]);
    // the top-left 2x2 block becomes the first pixel's 4 channels
    expect(Array.from(y.dataSync().slice(0, 4))).toEqual([0, 1, 4, 5]);
    tf.dispose([x, y]);
  });

  it('combine: Σ log(rank / N) over the four parts; NaN parts unranked, -inf ranks lowest', () => {
    const cells = [
      { expressivity: 1, progressivity: 0.1, trainability: -1, complexity: 10 },
      { expressivity: 2, progressivity: 0.3, trainability: -Infinity, complexity: 20 },
      { expressivity: 3, progressivity: 0.2, trainability: -0.5, complexity: 30 },
      { expressivity: NaN, progressivity: 0.2, trainability: -0.5, complexity: 30 },
    ];
    const c = combineAzNas(cells);
    const l3 = (r: number): number => Math.log(r / 3);
    expect(c[0]).toBeCloseTo(l3(1) + l3(1) + l3(2) + l3(1), 12);
    expect(c[1]).toBeCloseTo(l3(2) + l3(3) + l3(1) + l3(2), 12);
    expect(c[2]).toBeCloseTo(l3(3) + l3(2) + l3(3) + l3(3), 12);
    expect(Number.isNaN(c[3]!)).toBe(true);
  });

  it('is defined on NB201 only', () => {
    expect(getProxy('az_nas').spaces).toEqual(['nb201']);
  });
});
