import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nb101Cost } from '../../src/models/nb101-cost.ts';
import { buildNB101Network, type NB101Network, type NB101NetworkOptions } from '../../src/models/nb101-network.ts';
import type { ModelSpec } from '../../src/spaces/nb101.ts';
import { C1, C3, CHAIN, MP, PROJECTION_ONLY, RESIDUAL_POOL, TRUNCATING } from '../helpers/nb101-specs.ts';

// Small networks keep these tests light on the shared 2-core machine: stem 8, 8x8 inputs.
const SMALL = { stemChannels: 8, numClasses: 10, seed: 0 } satisfies NB101NetworkOptions;


const built: NB101Network[] = [];
function build(spec: ModelSpec, opts: Partial<NB101NetworkOptions> = {}): NB101Network {
  const net = buildNB101Network(spec, { ...SMALL, ...opts });
  built.push(net);
  return net;
}

function input(batch: number, size: number, seed: number): tf.Tensor4D {
  return tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

function countParams(net: NB101Network): number {
  return net.params.reduce((s, p) => s + p.variable.size, 0);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(() => {
  while (built.length > 0) built.pop()!.dispose();
});

describe('buildNB101Network', () => {
  it('maps [batch, 8, 8, 3] to logits [batch, numClasses]', () => {
    for (const spec of [RESIDUAL_POOL, CHAIN, PROJECTION_ONLY, TRUNCATING]) {
      const net = build(spec, { numClasses: 7 });
      const y = net.apply(input(3, 8, 1), { training: true });
      expect(y.shape).toEqual([3, 7]);
      for (const v of y.dataSync()) expect(Number.isFinite(v)).toBe(true);
    }
  });

  it('is determined by the seed: same seed -> identical outputs, another seed -> different', () => {
    const x = input(4, 8, 2);
    const a = build(RESIDUAL_POOL, { seed: 11 }).apply(x, { training: true });
    const b = build(RESIDUAL_POOL, { seed: 11 }).apply(x, { training: true });
    const c = build(RESIDUAL_POOL, { seed: 12 }).apply(x, { training: true });
    expect(maxAbsDiff(a, b)).toBe(0);
    expect(maxAbsDiff(a, c)).toBeGreaterThan(1e-3);
  });

  it('has exactly the analytic parameter count (nb101Cost) at stem 8', () => {
    for (const spec of [RESIDUAL_POOL, CHAIN, PROJECTION_ONLY, TRUNCATING]) {
      const net = build(spec);
      expect(countParams(net)).toBe(nb101Cost(spec, { stemChannels: 8 }).params);
    }
  });

  it('builds the pruned spec, with unique TF-style names and kind labels', () => {
    const net = build(RESIDUAL_POOL);
    expect(net.spec.ops).toEqual(['input', C3, MP, C1, 'output']);
    const names = net.params.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names[0]).toBe('stem/conv2d/kernel');
    expect(names.slice(-2)).toEqual(['dense/kernel', 'dense/bias']);
    // Projections: input -> vertices 1 and 2 and input -> output, in every module.
    expect(names).toContain('stack0/module0/vertex_1/projection/conv2d/kernel');
    expect(names).toContain('stack2/module2/projection/batch_normalization/gamma');
    expect(names.some((n) => n.includes('vertex_2/MaxPool'))).toBe(false);
    const kinds = new Set(net.params.map((p) => p.kind));
    expect(kinds).toEqual(new Set(['conv', 'bn-gamma', 'bn-beta', 'linear-weight', 'linear-bias']));
    expect(net.buffers.length).toBe(net.params.filter((p) => p.kind === 'bn-gamma').length * 2);
    // One ReLU per conv-BN-ReLU.
    expect(net.reluNames.length).toBe(net.params.filter((p) => p.kind === 'conv').length);
  });

  it('calls onReluInput once per ReLU in reluNames order; releaseIntermediates does not change the output', () => {
    const net = build(CHAIN);
    const seen: string[] = [];
    const x = input(2, 8, 3);
    const a = net.apply(x, { training: true, updateRunningStats: false, onReluInput: (_t, where) => seen.push(where) });
    expect(seen).toEqual(net.reluNames);
    const b = net.apply(x, { training: true, updateRunningStats: false, releaseIntermediates: true });
    expect(maxAbsDiff(a, b)).toBe(0);
  });

  it('gives finite, non-zero gradients for every parameter', () => {
    const net = build(TRUNCATING);
    const x = input(4, 8, 4);
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 10);
    const vars = net.params.map((p) => p.variable);
    const { value, grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(labels, net.apply(x, { training: true })) as tf.Scalar,
      vars,
    );
    expect(Number.isFinite(value.dataSync()[0]!)).toBe(true);
    for (const p of net.params) {
      const g = grads[p.variable.name]!.dataSync();
      let norm = 0;
      for (const v of g) {
        expect(Number.isFinite(v)).toBe(true);
        norm += v * v;
      }
      expect(norm, p.name).toBeGreaterThan(0);
    }
  });

  it('computes one module as written by hand: projections, truncation, max-pool, concatenation order', () => {
    // One stack of one module: stem (8) -> TRUNCATING module (8 -> 8, vertex channels 3, 3, 2).
    const net = build(TRUNCATING, { numStacks: 1, cellsPerStack: 1 });
    const p = new Map(net.params.map((q) => [q.name, q.variable]));
    const get = (name: string) => {
      const v = p.get(name);
      if (!v) throw new Error(`no parameter ${name}`);
      return v;
    };
    const x = input(3, 8, 5);
    const manual = tf.tidy(() => {
      // conv (PyTorch padding) -> batch-statistics BN (tf.moments, biased variance) -> ReLU.
      const cbr = (h: tf.Tensor4D, scope: string, k: number): tf.Tensor4D => {
        const y = tf.conv2d(h, get(`${scope}/conv2d/kernel`) as tf.Tensor4D, 1, (k - 1) / 2);
        const { mean, variance } = tf.moments(y, [0, 1, 2]);
        const norm = tf.div(tf.sub(y, mean), tf.sqrt(tf.add(variance, 1e-5)));
        return tf.relu(tf.add(tf.mul(norm, get(`${scope}/batch_normalization/gamma`)), get(`${scope}/batch_normalization/beta`))) as tf.Tensor4D;
      };
      const m = 'stack0/module0';
      const h0 = cbr(x, 'stem', 3);
      const v1 = cbr(cbr(h0, `${m}/vertex_1/projection`, 1), `${m}/vertex_1/Conv3x3-BN-ReLU`, 3);
      const v2 = tf.maxPool(cbr(h0, `${m}/vertex_2/projection`, 1), 3, 1, 'same');
      const v3in = tf.add(tf.slice(v1, [0, 0, 0, 0], [-1, -1, -1, 2]), cbr(h0, `${m}/vertex_3/projection`, 1));
      const v3 = cbr(v3in as tf.Tensor4D, `${m}/vertex_3/Conv1x1-BN-ReLU`, 1);
      expect([v1.shape[3], v2.shape[3], v3.shape[3]]).toEqual([3, 3, 2]);
      const out = tf.concat([v1, v2, v3], 3);
      return tf.add(tf.matMul(tf.mean(out, [1, 2]) as tf.Tensor2D, get('dense/kernel') as tf.Tensor2D), get('dense/bias'));
    });
    const y = net.apply(x, { training: true, updateRunningStats: false });
    expect(maxAbsDiff(y, manual)).toBeLessThan(1e-4);
  });

  it('rejects specs outside NB101', () => {
    expect(() => build({ matrix: [[0, 0], [0, 0]], ops: ['input', 'output'] })).toThrow(/disconnected/);
  });
});
