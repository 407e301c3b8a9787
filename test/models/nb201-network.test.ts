import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nb201Cost } from '../../src/models/nb201-cost.ts';
import { buildNB201Network, type Network, type NB201NetworkOptions } from '../../src/models/nb201-network.ts';
import { cellFromArchString } from './arch-string.ts';

// Small networks keep these tests light on the shared 2-core machine: C=4, N=1, 8x8 inputs.
const SMALL = { C: 4, N: 1, numClasses: 10, seed: 0 } satisfies NB201NetworkOptions;
const MIXED = cellFromArchString('|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|');
const ALL_NONE = cellFromArchString('|none~0|+|none~0|none~1|+|none~0|none~1|none~2|');

const built: Network[] = [];
function build(cell: readonly string[], opts: Partial<NB201NetworkOptions> = {}): Network {
  const net = buildNB201Network(cell, { ...SMALL, ...opts });
  built.push(net);
  return net;
}

function input(batch: number, size: number, seed: number): tf.Tensor4D {
  return tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(() => {
  while (built.length > 0) built.pop()!.dispose();
});

describe('buildNB201Network', () => {
  it('maps [batch, H, W, 3] to logits [batch, numClasses]', () => {
    const net = build(MIXED, { numClasses: 7 });
    const y = net.apply(input(3, 8, 1), { training: true });
    expect(y.shape).toEqual([3, 7]);
    for (const v of y.dataSync()) expect(Number.isFinite(v)).toBe(true);
  });

  it('is determined by the seed: same seed -> identical outputs, another seed -> different', () => {
    const x = input(4, 8, 2);
    const a = build(MIXED, { seed: 11 }).apply(x, { training: true });
    const b = build(MIXED, { seed: 11 }).apply(x, { training: true });
    const c = build(MIXED, { seed: 12 }).apply(x, { training: true });
    expect(maxAbsDiff(a, b)).toBe(0);
    expect(maxAbsDiff(a, c)).toBeGreaterThan(1e-3);
  });

  it('gives a parameter the same values whatever the rest of the network (per-name streams)', () => {
    const other = cellFromArchString('|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|nor_conv_1x1~1|none~2|');
    const a = build(MIXED, { seed: 5 });
    const b = build(other, { seed: 5 });
    const c = build(MIXED, { seed: 5, bn: 'none-in-cells' });
    const byName = (net: Network) => new Map(net.params.map((p) => [p.name, p]));
    const bParams = byName(b);
    const cParams = byName(c);
    // Stem, reduction blocks, classifier and edge 0 (nor_conv_3x3 in both cells) coincide.
    for (const name of ['stem.0.weight', 'cells.1.conv_a.op.1.weight', 'cells.3.downsample.1.weight', 'classifier.weight', 'cells.2.layers.0.op.1.weight']) {
      const pa = a.params.find((p) => p.name === name)!;
      expect(maxAbsDiff(pa.variable, bParams.get(name)!.variable)).toBe(0);
    }
    // Edge 1 is nor_conv_1x1 in MIXED and none in `other`; edge 4 is none vs nor_conv_1x1: no sharing.
    expect(bParams.has('cells.0.layers.1.op.1.weight')).toBe(false);
    // The same conv on the same edge of two different cells gets independent weights.
    const twoPerStage = byName(build(MIXED, { seed: 5, N: 2 }));
    const first = twoPerStage.get('cells.0.layers.0.op.1.weight')!.variable;
    const second = twoPerStage.get('cells.1.layers.0.op.1.weight')!.variable;
    expect(first.shape).toEqual([3, 3, 4, 4]);
    expect(second.shape).toEqual([3, 3, 4, 4]);
    expect(maxAbsDiff(first, second)).toBeGreaterThan(0.01);
    expect(maxAbsDiff(first, a.params.find((p) => p.name === 'cells.0.layers.0.op.1.weight')!.variable)).toBe(0);
    // A BN-free copy (synflow's) has exactly the same conv and linear weights, as in the reference.
    for (const p of a.params.filter((q) => q.kind === 'conv' || q.kind === 'linear-weight')) {
      expect(maxAbsDiff(p.variable, cParams.get(p.name)!.variable)).toBe(0);
    }
  });

  it('labels parameters with PyTorch names, kinds and edges', () => {
    const net = build(MIXED);
    const names = net.params.map((p) => p.name);
    expect(names.slice(0, 3)).toEqual(['stem.0.weight', 'stem.1.weight', 'stem.1.bias']);
    expect(names).toContain('cells.0.layers.5.op.2.weight');
    expect(names).toContain('cells.1.conv_b.op.1.weight');
    expect(names.slice(-4)).toEqual(['lastact.0.weight', 'lastact.0.bias', 'classifier.weight', 'classifier.bias']);
    expect(new Set(names).size).toBe(names.length);
    const edgeConv = net.params.find((p) => p.name === 'cells.4.layers.1.op.1.weight')!;
    expect(edgeConv.kind).toBe('conv');
    expect(edgeConv.label).toEqual({ cell: 4, from: 0, to: 2, op: 'nor_conv_1x1' });
    // Reduction-block parameters belong to no edge.
    expect(net.params.filter((p) => p.name.includes('conv_a')).every((p) => p.label === undefined)).toBe(true);
  });

  it.each([
    ['standard', false],
    ['no-affine', false],
    ['none-in-cells', false],
    ['standard', true],
    ['no-affine', true],
  ] as const)('has exactly the analytic parameter count (bn %s, fair %s)', (bn, fair) => {
    for (const arch of [
      MIXED,
      ALL_NONE,
      cellFromArchString('|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|'),
    ]) {
      const net = build(arch, { bn, fair, C: 3, N: 2, numClasses: 5 });
      const counted = net.params.reduce((n, p) => n + p.variable.size, 0);
      expect(counted).toBe(nb201Cost(arch, { bn, fair, C: 3, N: 2, numClasses: 5 }).params);
    }
  });

  it('at full size (C=16, N=5, 10 classes) matches the official count of cell 11 (0.802426M)', () => {
    const arch = cellFromArchString('|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|');
    const net = build(arch, { C: 16, N: 5, numClasses: 10 });
    expect(net.params.reduce((n, p) => n + p.variable.size, 0)).toBe(802426);
  });

  it('places BN as each variant says', () => {
    const gammas = (net: Network) => net.params.filter((p) => p.kind === 'bn-gamma').map((p) => p.name);
    const conv = cellFromArchString('|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|none~1|none~2|');
    // standard: stem, 1 cell conv x 3 cells, 2 per reduction block, lastact.
    expect(gammas(build(conv))).toHaveLength(1 + 3 + 4 + 1);
    // no-affine: cell BNs lose gamma/beta and running stats, cell convs gain a bias.
    const noAffine = build(conv, { bn: 'no-affine' });
    expect(gammas(noAffine)).toHaveLength(1 + 4 + 1);
    expect(noAffine.params.filter((p) => p.kind === 'conv-bias').map((p) => p.label?.op)).toEqual([
      'nor_conv_3x3',
      'nor_conv_3x3',
      'nor_conv_3x3',
    ]);
    expect(noAffine.buffers.some((b) => b.label !== undefined)).toBe(false);
    // none-in-cells: only the reduction blocks keep BN.
    expect(gammas(build(conv, { bn: 'none-in-cells' })).every((n) => /conv_[ab]/.test(n))).toBe(true);
    expect(gammas(build(conv, { bn: 'none-in-cells' }))).toHaveLength(4);
    // fair: a BN after skip and pool as well (not after none).
    const fair = build(conv, { fair: true });
    expect(fair.params.filter((p) => p.kind === 'bn-gamma' && p.label).map((p) => p.label!.op).sort()).toEqual(
      ['avg_pool_3x3', 'avg_pool_3x3', 'avg_pool_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'skip_connect', 'skip_connect', 'skip_connect'],
    );
    expect(() => build(conv, { fair: true, bn: 'none-in-cells' })).toThrow(RangeError);
  });

  it('calls the ReLU hook once per ReLU module, in the reference order', () => {
    // Every nor_conv op has one ReLU (dead branches included), each reduction block two, lastact one.
    const cells = [
      [MIXED, 3],
      [ALL_NONE, 0],
      [cellFromArchString('|nor_conv_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|none~0|none~1|none~2|'), 3],
    ] as const;
    for (const [cell, convOps] of cells) {
      for (const N of [1, 2]) {
        const net = build(cell, { N });
        const calls: { where: string; shape: number[] }[] = [];
        net.apply(input(2, 8, 3), { training: true, onReluInput: (t, where) => calls.push({ where, shape: t.shape }) });
        expect(calls).toHaveLength(3 * N * convOps + 2 * 2 + 1);
        expect(calls.map((c) => c.where)).toEqual(net.reluNames);
      }
    }
    const net = build(MIXED, { N: 1 });
    const calls: { where: string; shape: number[] }[] = [];
    net.apply(input(2, 8, 3), { training: true, onReluInput: (t, where) => calls.push({ where, shape: t.shape }) });
    expect(calls.map((c) => c.where)).toEqual([
      'cells.0.layers.0.op.0',
      'cells.0.layers.1.op.0',
      'cells.0.layers.5.op.0',
      'cells.1.conv_a.op.0',
      'cells.1.conv_b.op.0',
      'cells.2.layers.0.op.0',
      'cells.2.layers.1.op.0',
      'cells.2.layers.5.op.0',
      'cells.3.conv_a.op.0',
      'cells.3.conv_b.op.0',
      'cells.4.layers.0.op.0',
      'cells.4.layers.1.op.0',
      'cells.4.layers.5.op.0',
      'lastact.1',
    ]);
    // conv_a sees the full-resolution input, conv_b the reduced one.
    expect(calls[3]!.shape).toEqual([2, 8, 8, 4]);
    expect(calls[4]!.shape).toEqual([2, 4, 4, 8]);
    expect(calls[13]!.shape).toEqual([2, 2, 2, 16]);
  });

  it('normalises in train mode: the input of the last ReLU (lastact BN output) has mean 0, variance 1 per channel', () => {
    const net = build(MIXED, { C: 4 });
    let stats: { mean: number[]; variance: number[] } | undefined;
    net.apply(input(8, 8, 4), {
      training: true,
      onReluInput: (t, where) => {
        if (where !== 'lastact.1') return;
        const m = tf.moments(t, [0, 1, 2]);
        stats = { mean: Array.from(m.mean.dataSync()), variance: Array.from(m.variance.dataSync()) };
      },
    });
    expect(stats!.mean).toHaveLength(16);
    for (const m of stats!.mean) expect(Math.abs(m)).toBeLessThan(1e-4);
    for (const v of stats!.variance) expect(v).toBeCloseTo(1, 2);
  });

  it('uses running statistics in eval mode and moves them in train mode', () => {
    const net = build(MIXED);
    const x = input(4, 8, 5);
    const trainA = net.apply(x, { training: true, updateRunningStats: false });
    const evalFresh = net.apply(x, { training: false });
    // Fresh running stats (mean 0, var 1) make eval BN the identity: different from batch stats.
    expect(maxAbsDiff(trainA, evalFresh)).toBeGreaterThan(1e-3);
    const stemMean = net.buffers.find((b) => b.name === 'stem.1.running_mean')!.variable;
    expect(Array.from(stemMean.dataSync()).every((v) => v === 0)).toBe(true);
    net.apply(x, { training: true });
    expect(Array.from(stemMean.dataSync()).some((v) => v !== 0)).toBe(true);
    expect(maxAbsDiff(net.apply(x, { training: false }), evalFresh)).toBeGreaterThan(0);
    // Train-mode output does not depend on running statistics.
    expect(maxAbsDiff(net.apply(x, { training: true }), trainA)).toBeLessThan(1e-5);
  });

  it('with an all-none cell, outputs do not depend on the input (only the classifier bias remains)', () => {
    for (const bn of ['standard', 'no-affine', 'none-in-cells'] as const) {
      const net = build(ALL_NONE, { bn });
      const a = net.apply(input(3, 8, 6), { training: true });
      const b = net.apply(tf.mul(input(3, 8, 7), 5) as tf.Tensor4D, { training: true });
      expect(maxAbsDiff(a, b)).toBe(0);
      const bias = net.params.find((p) => p.name === 'classifier.bias')!.variable;
      expect(maxAbsDiff(a, tf.broadcastTo(bias, [3, 10]))).toBe(0);
    }
    // Also when convs exist but every edge into node 3 is none.
    const dead = build(cellFromArchString('|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|none~0|none~1|none~2|'));
    expect(maxAbsDiff(dead.apply(input(2, 8, 8), { training: true }), dead.apply(input(2, 8, 9), { training: true }))).toBe(0);
  });

  it('lets gradients flow to every parameter (finite, and non-zero for the stem conv)', () => {
    for (const bn of ['standard', 'no-affine', 'none-in-cells'] as const) {
      const net = build(MIXED, { bn, fair: bn === 'standard' });
      const x = input(4, 8, 10);
      const labels = tf.oneHot(tf.tensor1d([0, 3, 5, 9], 'int32'), 10);
      const vars = net.params.map((p) => p.variable);
      const { value, grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(labels, net.apply(x, { training: true })) as tf.Scalar,
        vars,
      );
      expect(Number.isFinite(value.dataSync()[0]!)).toBe(true);
      for (const p of net.params) {
        const g = grads[p.variable.name];
        expect(g, p.name).toBeDefined();
        expect(g!.shape).toEqual(p.variable.shape);
        for (const v of g!.dataSync()) expect(Number.isFinite(v), p.name).toBe(true);
      }
      const stem = grads[net.params[0]!.variable.name]!;
      expect(tf.max(tf.abs(stem)).dataSync()[0]).toBeGreaterThan(0);
    }
  });

  it('rejects bad cells and options', () => {
    expect(() => build(['none', 'none'])).toThrow(RangeError);
    expect(() => build(['none', 'none', 'none', 'none', 'none', 'conv_5x5'])).toThrow(/unknown NB201 op/);
    expect(() => build(MIXED, { seed: 1.5 })).toThrow(RangeError);
    expect(() => build(MIXED, { C: 0 })).toThrow(RangeError);
    const net = build(MIXED);
    expect(() => net.apply(tf.zeros([1, 8, 8, 1]) as tf.Tensor4D, { training: true })).toThrow(/3 channels/);
  });

  it('leaks no tensors across forward passes and disposes its variables', () => {
    const net = buildNB201Network(MIXED, SMALL);
    const x = input(2, 8, 11);
    net.apply(x, { training: true }).dispose();
    const before = tf.memory().numTensors;
    net.apply(x, { training: true, onReluInput: () => undefined }).dispose();
    net.apply(x, { training: false }).dispose();
    expect(tf.memory().numTensors).toBe(before);
    const owned = net.params.length + net.buffers.length;
    net.dispose();
    expect(tf.memory().numTensors).toBe(before - owned);
  });
});
