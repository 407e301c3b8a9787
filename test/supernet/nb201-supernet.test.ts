import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NB201_OPS, type NB201Op } from '../../src/models/nb201-cell.ts';
import { buildNB201Network, type Network } from '../../src/models/nb201-network.ts';
import { buildNB201Supernet, type NB201Supernet, type SupernetOptions } from '../../src/supernet/nb201-supernet.ts';
import { cellFromArchString } from '../models/arch-string.ts';

// Small networks keep these tests light on the shared 2-core machine: C=4, N=1 or 2, 8x8 inputs.
const SMALL = { C: 4, N: 1, numClasses: 10, seed: 3 } satisfies SupernetOptions;
const CELLS = [
  '|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|',
  '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|',
  '|skip_connect~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+|skip_connect~0|avg_pool_3x3~1|nor_conv_1x1~2|',
  '|avg_pool_3x3~0|+|skip_connect~0|none~1|+|nor_conv_1x1~0|skip_connect~1|none~2|',
].map(cellFromArchString);
const ALL_NONE = cellFromArchString('|none~0|+|none~0|none~1|+|none~0|none~1|none~2|');

const owned: Array<NB201Supernet | Network> = [];
function supernet(opts: Partial<SupernetOptions> = {}): NB201Supernet {
  const net = buildNB201Supernet({ ...SMALL, ...opts });
  owned.push(net);
  return net;
}
function standalone(cell: readonly NB201Op[], opts: Partial<SupernetOptions> = {}): Network {
  const net = buildNB201Network(cell, { ...SMALL, ...opts });
  owned.push(net);
  return net;
}

function input(batch: number, size: number, seed: number): tf.Tensor4D {
  return tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

/** alpha with 1 at each edge's op of `cell` and 0 elsewhere. */
function oneHotAlpha(cell: readonly NB201Op[]): tf.Tensor2D {
  return tf.tensor2d(cell.map((op) => NB201_OPS.map((o) => (o === op ? 1 : 0))));
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(() => {
  while (owned.length > 0) owned.pop()!.dispose();
});

describe('buildNB201Supernet', () => {
  it.each([
    ['standard', false],
    ['standard', true],
    ['no-affine', false],
    ['no-affine', true],
    ['none-in-cells', false],
  ] as const)('single path at initialisation equals the stand-alone network of that cell (bn %s, fair %s)', (bn, fair) => {
    const sn = supernet({ bn, fair, N: 2 });
    const x = input(3, 8, 1);
    for (const cell of [...CELLS, ALL_NONE]) {
      const ref = standalone(cell, { bn, fair, N: 2 });
      // updateRunningStats off: both see the same (fresh) running statistics in eval mode below.
      const train = { training: true, updateRunningStats: false };
      expect(maxAbsDiff(sn.apply(x, { ...train, path: cell }), ref.apply(x, train))).toBe(0);
      expect(maxAbsDiff(sn.apply(x, { training: false, path: cell }), ref.apply(x, { training: false }))).toBe(0);
    }
  });

  it('holds every stand-alone parameter under the op-qualified name, with the same initial values', () => {
    for (const fair of [false, true]) {
      const sn = supernet({ fair, N: 2 });
      const byName = new Map(sn.params.map((p) => [p.name, p]));
      for (const cell of CELLS) {
        const ref = standalone(cell, { fair, N: 2 });
        for (const p of ref.params) {
          const name = p.label ? p.name.replace(/^(cells\.\d+\.layers\.\d+)\./, `$1.${p.label.op}.`) : p.name;
          const q = byName.get(name);
          expect(q, name).toBeDefined();
          expect(q!.kind).toBe(p.kind);
          expect(q!.label).toEqual(p.label);
          expect(maxAbsDiff(q!.variable, p.variable), name).toBe(0);
        }
      }
    }
  });

  it('names parameters uniquely, one set per op per edge per cell', () => {
    const sn = supernet({ fair: true, N: 2 });
    const names = sn.params.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('cells.3.layers.2.nor_conv_3x3.op.1.weight');
    expect(names).toContain('cells.3.layers.2.nor_conv_1x1.op.2.weight');
    expect(names).toContain('cells.3.layers.2.skip_connect.bn.weight');
    expect(names).toContain('cells.3.layers.2.avg_pool_3x3.bn.bias');
    expect(names.some((n) => n.includes('.none.'))).toBe(false);
    // Per cell: 6 edges x (conv1x1 + conv3x3 weights and their BN gamma/beta + skip/pool fair BN gamma/beta).
    const cellParams = sn.params.filter((p) => p.label?.cell === 3);
    expect(cellParams).toHaveLength(6 * (2 + 2 * 2 + 2 * 2));
    const conv = sn.params.find((p) => p.name === 'cells.3.layers.2.nor_conv_3x3.op.1.weight')!;
    expect(conv.label).toEqual({ cell: 3, from: 1, to: 2, op: 'nor_conv_3x3' });
    expect(conv.variable.shape).toEqual([3, 3, 8, 8]);
    // The two convs on an edge are different draws (the op is part of the stream key).
    const c1 = sn.params.find((p) => p.name === 'cells.0.layers.0.nor_conv_1x1.op.1.weight')!.variable;
    const c3 = sn.params.find((p) => p.name === 'cells.0.layers.0.nor_conv_3x3.op.1.weight')!.variable;
    expect(maxAbsDiff(c1, tf.slice(c3, [0, 0, 0, 0], [1, 1, 4, 4]))).toBeGreaterThan(1e-3);
  });

  it('in single-path mode sends gradients only to the chosen ops', () => {
    const sn = supernet({ fair: true });
    const cell = CELLS[0]!;
    const x = input(2, 8, 2);
    const { grads } = tf.variableGrads(
      () => tf.sum(sn.apply(x, { training: true, path: cell })) as tf.Scalar,
      sn.params.map((p) => p.variable),
    );
    for (const p of sn.params) {
      const g = grads[p.variable.name];
      const chosen = p.label === undefined || cell[edgeIndexOf(p.name)] === p.label.op;
      if (chosen) {
        expect(g, p.name).toBeDefined();
      } else if (g) {
        expect(tf.max(tf.abs(g)).dataSync()[0], p.name).toBe(0);
      }
    }
    // A chosen conv does get a non-zero gradient.
    const conv = sn.params.find((p) => p.name === 'cells.0.layers.0.nor_conv_3x3.op.1.weight')!;
    expect(tf.max(tf.abs(grads[conv.variable.name]!)).dataSync()[0]).toBeGreaterThan(0);
  });

  it('mixed mode: one-hot alpha equals the single path; `none` has a zero alpha-derivative', () => {
    const sn = supernet({ fair: true });
    const x = input(2, 8, 3);
    const opts = { training: true, updateRunningStats: false };
    for (const cell of CELLS) {
      const a = sn.apply(x, { ...opts, path: cell });
      const b = sn.apply(x, { ...opts, alpha: oneHotAlpha(cell) });
      expect(maxAbsDiff(a, b)).toBeLessThan(1e-6);
      // `active` leaves the other ops out entirely: all-ones alpha with only the path active.
      const active = cell.map((op) => NB201_OPS.map((o) => o === op));
      const c = sn.apply(x, { ...opts, alpha: tf.ones([6, 5]) as tf.Tensor2D, active });
      expect(maxAbsDiff(a, c)).toBeLessThan(1e-6);
    }
    // d logits / d alpha[e][none] is exactly 0 (none contributes zeros); every other entry is finite.
    const alpha = tf.variable(tf.randomUniform([6, 5], 0.1, 1, 'float32', 4) as tf.Tensor2D);
    const g = tf.grad((al: tf.Tensor) => tf.sum(sn.apply(x, { ...opts, alpha: al as tf.Tensor2D })) as tf.Scalar)(alpha);
    const gv = g.arraySync() as number[][];
    for (const row of gv) {
      expect(row[0]).toBe(0);
      for (const v of row) expect(Number.isFinite(v)).toBe(true);
    }
    expect(gv.flat().some((v) => v !== 0)).toBe(true);
    alpha.dispose();
  });

  it('runs every op in mixed mode: each op changes the output', () => {
    const sn = supernet();
    const x = input(2, 8, 5);
    const opts = { training: true, updateRunningStats: false };
    const base = tf.ones([6, 5]) as tf.Tensor2D;
    const full = sn.apply(x, { ...opts, alpha: base });
    for (let o = 1; o < NB201_OPS.length; o++) {
      const mask = tf.tensor2d(Array.from({ length: 6 }, () => NB201_OPS.map((_, j) => (j === o ? 0 : 1))));
      expect(maxAbsDiff(full, sn.apply(x, { ...opts, alpha: mask })), NB201_OPS[o]).toBeGreaterThan(1e-6);
    }
  });

  it('rejects bad options', () => {
    const sn = supernet();
    const x = input(1, 8, 6);
    expect(() => sn.apply(x, { training: true })).toThrow(/path.*alpha/);
    expect(() => sn.apply(x, { training: true, path: ['none'] as NB201Op[] })).toThrow(RangeError);
    expect(() => sn.apply(x, { training: true, alpha: tf.ones([5, 6]) as tf.Tensor2D })).toThrow(/shape \[6, 5\]/);
    const noneLeft = Array.from({ length: 6 }, (_, e) => NB201_OPS.map(() => e !== 2));
    expect(() => sn.apply(x, { training: true, alpha: tf.ones([6, 5]) as tf.Tensor2D, active: noneLeft })).toThrow(/edge 2/);
    expect(() => supernet({ fair: true, bn: 'none-in-cells' })).toThrow(RangeError);
    expect(() => sn.apply(tf.zeros([1, 8, 8, 1]) as tf.Tensor4D, { training: true, path: CELLS[0]! })).toThrow(/3 channels/);
  });

  it('leaks no tensors across forward passes and disposes its variables', () => {
    const start = tf.memory().numTensors;
    const sn = buildNB201Supernet(SMALL);
    // Construction leaves exactly the variables (no initial-value tensors holding their data).
    expect(tf.memory().numTensors - start).toBe(sn.params.length + sn.buffers.length);
    const x = input(2, 8, 7);
    const alpha = tf.ones([6, 5]) as tf.Tensor2D;
    sn.apply(x, { training: true, path: CELLS[1]! }).dispose();
    const before = tf.memory().numTensors;
    sn.apply(x, { training: true, path: CELLS[1]! }).dispose();
    sn.apply(x, { training: false, alpha }).dispose();
    expect(tf.memory().numTensors).toBe(before);
    const count = sn.params.length + sn.buffers.length;
    sn.dispose();
    expect(tf.memory().numTensors).toBe(before - count);
  });
});

function edgeIndexOf(name: string): number {
  return Number(/^cells\.\d+\.layers\.(\d+)\./.exec(name)![1]);
}
