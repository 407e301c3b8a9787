import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.ts';
import { BN_EPS, batchNormEval, batchNormTrain, batchNormTrainWithStats } from '../../src/engine/ops.ts';
import { relativeError, seededTensor } from './compare.ts';

const SHAPE: [number, number, number, number] = [3, 5, 4, 6];

function inputs(): { x: tf.Tensor4D; gamma: tf.Tensor1D; beta: tf.Tensor1D } {
  // Offset and scale the input so that normalisation has something to undo.
  const x = tf.add(tf.mul(seededTensor(SHAPE, 1), 3), 2) as tf.Tensor4D;
  const gamma = tf.add(seededTensor([SHAPE[3]], 2), 1) as tf.Tensor1D;
  const beta = seededTensor([SHAPE[3]], 3) as tf.Tensor1D;
  return { x, gamma, beta };
}

/** tfjs's own batch norm with batch statistics, the reference for the forward value. */
function referenceBatchNorm(x: tf.Tensor4D, gamma?: tf.Tensor1D, beta?: tf.Tensor1D): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.batchNorm(x, mean as tf.Tensor1D, variance as tf.Tensor1D, beta, gamma, BN_EPS);
}

describe('batch norm with broadcasting ops', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('training mode equals tf.batchNorm with batch statistics (affine and not)', () => {
    tf.tidy(() => {
      const { x, gamma, beta } = inputs();
      expect(relativeError(batchNormTrain(x, gamma, beta).dataSync(), referenceBatchNorm(x, gamma, beta).dataSync())).toBeLessThan(1e-5);
      expect(relativeError(batchNormTrain(x).dataSync(), referenceBatchNorm(x).dataSync())).toBeLessThan(1e-5);
    });
  });

  it('non-affine output has per-channel mean 0 and (biased) variance 1', () => {
    tf.tidy(() => {
      const { mean, variance } = tf.moments(batchNormTrain(inputs().x), [0, 1, 2]);
      for (const m of mean.dataSync()) expect(Math.abs(m)).toBeLessThan(1e-5);
      // var/(var+eps) is slightly below 1; x has variance ~9, so the gap is ~1e-6.
      for (const v of variance.dataSync()) expect(v).toBeCloseTo(1, 4);
    });
  });

  it('returns the batch statistics it normalised with', () => {
    tf.tidy(() => {
      const { x } = inputs();
      const { mean, variance } = batchNormTrainWithStats(x);
      const ref = tf.moments(x, [0, 1, 2]);
      expect(mean.shape).toEqual([SHAPE[3]]);
      expect(relativeError(mean.dataSync(), ref.mean.dataSync())).toBeLessThan(1e-6);
      expect(relativeError(variance.dataSync(), ref.variance.dataSync())).toBeLessThan(1e-6);
    });
  });

  it('eval mode uses the given statistics, not the batch ones', () => {
    tf.tidy(() => {
      const { x, gamma, beta } = inputs();
      const mean = tf.fill([SHAPE[3]], 0.5) as tf.Tensor1D;
      const variance = tf.fill([SHAPE[3]], 4) as tf.Tensor1D;
      const ours = batchNormEval(x, mean, variance, gamma, beta);
      const ref = tf.batchNorm(x, mean, variance, beta, gamma, BN_EPS);
      expect(relativeError(ours.dataSync(), ref.dataSync())).toBeLessThan(1e-6);
    });
  });

  it('does not leak tensors', () => {
    const { x, gamma, beta } = inputs();
    const before = tf.memory().numTensors;
    batchNormTrain(x, gamma, beta).dispose();
    const r = batchNormTrainWithStats(x, gamma, beta);
    tf.dispose([r.y, r.mean, r.variance]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, gamma, beta]);
  });
});

/** Gradient of a loss that weights outputs unevenly (a plain sum has zero gradient through BN). */
async function bnGrads(backend: 'wasm' | 'cpu', useReference: boolean): Promise<Float32Array[]> {
  await initBackend(backend);
  return tf.tidy(() => {
    const { x, gamma, beta } = inputs();
    const weights = seededTensor(SHAPE, 9);
    const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Scalar => {
      const bn = useReference ? referenceBatchNorm : batchNormTrain;
      const y = bn(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D);
      return tf.sum(tf.mul(tf.relu(y), weights));
    };
    return tf.grads(f)([x, gamma, beta]).map((g) => g.dataSync() as Float32Array);
  });
}

describe('batch norm gradients', () => {
  it('match between wasm and cpu, and match tf.batchNorm gradients', async () => {
    const wasm = await bnGrads('wasm', false);
    const cpu = await bnGrads('cpu', false);
    const reference = await bnGrads('cpu', true);
    for (let i = 0; i < 3; i++) {
      expect(Math.max(...cpu[i]!.map(Math.abs)), `gradient ${i} non-trivial`).toBeGreaterThan(1e-2);
      expect(relativeError(wasm[i]!, cpu[i]!), `wasm vs cpu, gradient ${i}`).toBeLessThan(1e-5);
      expect(relativeError(cpu[i]!, reference[i]!), `ours vs tf.batchNorm, gradient ${i}`).toBeLessThan(1e-4);
    }
  });
});

describe('batch norm gradient avoids Tile (the reason this op exists)', () => {
  it('runs no Tile kernel, where tf.batchNorm does', async () => {
    await initBackend('wasm');
    const kernelsOf = async (useReference: boolean): Promise<string[]> => {
      const profile = await tf.profile(() => {
        tf.tidy(() => {
          const { x, gamma, beta } = inputs();
          const bn = useReference ? referenceBatchNorm : batchNormTrain;
          tf.grads((a, g, b) => tf.sum(tf.relu(bn(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D))))([x, gamma, beta]);
        });
      });
      return profile.kernelNames;
    };
    expect(await kernelsOf(false)).not.toContain('Tile');
    expect(await kernelsOf(true)).toContain('Tile');
  });
});
