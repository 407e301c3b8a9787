import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.ts';
import { relativeError, seededTensor, seededValues } from './compare.ts';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  label: string;
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  stride: number;
  pad: Pad;
}

// The convolutions NB201 and NB101 networks contain, at small spatial sizes.
const CASES: ConvCase[] = [
  { label: 'stem 3x3 3->16 s1 same', n: 2, h: 8, w: 8, ci: 3, co: 16, k: 3, stride: 1, pad: 'same' },
  { label: 'cell 3x3 16->16 s1 pad 1', n: 4, h: 8, w: 8, ci: 16, co: 16, k: 3, stride: 1, pad: 1 },
  { label: 'cell 1x1 16->16 s1', n: 1, h: 8, w: 8, ci: 16, co: 16, k: 1, stride: 1, pad: 'valid' },
  { label: 'reduction 3x3 16->32 s2 pad 1', n: 3, h: 8, w: 8, ci: 16, co: 32, k: 3, stride: 2, pad: 1 },
  { label: 'reduction 3x3 16->32 s2 same', n: 2, h: 8, w: 8, ci: 16, co: 32, k: 3, stride: 2, pad: 'same' },
  { label: 'shortcut 1x1 16->32 s2', n: 2, h: 8, w: 8, ci: 16, co: 32, k: 1, stride: 2, pad: 'valid' },
  { label: 'NB101 projection 1x1 16->32 s1', n: 2, h: 8, w: 8, ci: 16, co: 32, k: 1, stride: 1, pad: 'same' },
  { label: '3x3 s2 valid on odd size (unused last row)', n: 2, h: 7, w: 9, ci: 4, co: 8, k: 3, stride: 2, pad: 'valid' },
  { label: '1x1 s1 pad 1 (input grad falls back to the stock kernel)', n: 2, h: 5, w: 5, ci: 4, co: 8, k: 1, stride: 1, pad: 1 },
  { label: '3x3 s1 explicit asymmetric pad', n: 2, h: 6, w: 6, ci: 4, co: 8, k: 3, stride: 1, pad: [[0, 0], [1, 0], [2, 1], [0, 0]] },
];

function outSize(c: ConvCase): [number, number] {
  const info = tf.backend_util.computeConv2DInfo([c.n, c.h, c.w, c.ci], [c.k, c.k, c.ci, c.co], c.stride, 1, c.pad);
  return [info.outHeight, info.outWidth];
}

/** Runs one kernel on a backend with the same seeded inputs; returns its values and shape. */
async function runOn(backend: 'wasm' | 'cpu', kernel: string, c: ConvCase): Promise<{ values: Float32Array; shape: number[] }> {
  await initBackend(backend);
  const [oh, ow] = outSize(c);
  return tf.tidy(() => {
    const dy = seededTensor([c.n, oh, ow, c.co], 2);
    const common = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
    const out =
      kernel === 'Conv2DBackpropFilter'
        ? tf.engine().runKernel(kernel, { x: seededTensor([c.n, c.h, c.w, c.ci], 1), dy }, { ...common, filterShape: [c.k, c.k, c.ci, c.co] } as never)
        : tf.engine().runKernel(kernel, { dy, filter: seededTensor([c.k, c.k, c.ci, c.co], 3) }, { ...common, inputShape: [c.n, c.h, c.w, c.ci] } as never);
    const t = out as tf.Tensor;
    return { values: t.dataSync() as Float32Array, shape: t.shape };
  });
}

describe('wasm convolution gradient kernels match the cpu backend', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  for (const c of CASES) {
    it(`Conv2DBackpropFilter: ${c.label}`, async () => {
      const ours = await runOn('wasm', 'Conv2DBackpropFilter', c);
      const ref = await runOn('cpu', 'Conv2DBackpropFilter', c);
      expect(ours.shape).toEqual([c.k, c.k, c.ci, c.co]);
      expect(relativeError(ours.values, ref.values)).toBeLessThan(1e-5);
    });

    it(`Conv2DBackpropInput: ${c.label}`, async () => {
      const ours = await runOn('wasm', 'Conv2DBackpropInput', c);
      const ref = await runOn('cpu', 'Conv2DBackpropInput', c);
      expect(ours.shape).toEqual([c.n, c.h, c.w, c.ci]);
      expect(relativeError(ours.values, ref.values)).toBeLessThan(1e-5);
    });
  }

  it('leaves no tensors behind (intermediates inside the kernels are released)', async () => {
    await initBackend('wasm');
    const c = CASES[3]!;
    await runOn('wasm', 'Conv2DBackpropFilter', c); // warm-up: first calls may cache
    const before = tf.memory().numTensors;
    const bytesBefore = tf.memory().numBytes;
    for (const kernel of ['Conv2DBackpropFilter', 'Conv2DBackpropInput']) {
      for (const cc of [CASES[1]!, CASES[2]!, c, CASES[7]!]) await runOn('wasm', kernel, cc);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.memory().numBytes).toBe(bytesBefore);
  });
});

/** A small NB201-like conv net: stem, a cell-like 3x3 and 1x1, a stride-2 reduction, pooling. */
function smallNetLoss(x: tf.Tensor4D, filters: tf.Tensor4D[]): tf.Scalar {
  const [stem, cell3, cell1, reduce, shortcut] = filters as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  const h0 = tf.conv2d(x, stem, 1, 'same');
  const h1 = tf.add(tf.conv2d(tf.relu(h0), cell3, 1, 1), tf.conv2d(tf.relu(h0), cell1, 1, 'valid'));
  const main = tf.conv2d(tf.relu(h1 as tf.Tensor4D), reduce, 2, 1);
  const skip = tf.conv2d(tf.avgPool(h1 as tf.Tensor4D, 2, 2, 'valid'), shortcut, 1, 'valid');
  const logits = tf.mean(tf.add(main, skip), [1, 2]);
  return tf.sum(tf.square(logits));
}

const NET_SHAPES: number[][] = [
  [3, 3, 3, 16],
  [3, 3, 16, 16],
  [1, 1, 16, 16],
  [3, 3, 16, 32],
  [1, 1, 16, 32],
];

async function netGrads(backend: 'wasm' | 'cpu'): Promise<Float32Array[]> {
  await initBackend(backend);
  return tf.tidy(() => {
    const x = seededTensor([2, 8, 8, 3], 11) as tf.Tensor4D;
    const filters = NET_SHAPES.map((s, i) => tf.mul(seededTensor(s, 20 + i), 0.2) as tf.Tensor4D);
    const grads = tf.grads((...args: tf.Tensor[]) => smallNetLoss(args[0] as tf.Tensor4D, args.slice(1) as tf.Tensor4D[]))([x, ...filters]);
    return grads.map((g) => g.dataSync() as Float32Array);
  });
}

describe('end-to-end gradients of a small conv net', () => {
  it('wasm and cpu agree on the gradient of every input and filter', async () => {
    const ours = await netGrads('wasm');
    const ref = await netGrads('cpu');
    expect(ours).toHaveLength(NET_SHAPES.length + 1);
    for (let i = 0; i < ref.length; i++) {
      // Gradients must be non-trivial for the comparison to mean anything.
      expect(Math.max(...ref[i]!.map(Math.abs))).toBeGreaterThan(1e-3);
      expect(relativeError(ours[i]!, ref[i]!), `gradient ${i}`).toBeLessThan(1e-5);
    }
  });

  it('seeded data is reproducible (the comparison feeds both backends identical inputs)', () => {
    expect(Array.from(seededValues(5, 7))).toEqual(Array.from(seededValues(5, 7)));
    expect(Array.from(seededValues(5, 7))).not.toEqual(Array.from(seededValues(5, 8)));
  });
});
