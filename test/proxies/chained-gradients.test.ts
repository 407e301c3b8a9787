import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { chainedGradients } from '../../src/proxies/chained-gradients.ts';
import { batchTensor, crossEntropy, saliencyWeights, zcForward, zcStages } from '../../src/proxies/zero-cost-forward.ts';
import { randomBatch } from './zc-helpers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    e += (a[i]! - b[i]!) ** 2;
    n += a[i]! ** 2;
  }
  return Math.sqrt(e / n);
}

describe('chainedGradients (stage-by-stage backward pass)', () => {
  it('equals one tf.grads over the whole forward pass, for weights and for the input', () => {
    const batch = randomBatch(5, 8, 41);
    const net = buildNB201Network(['avg_pool_3x3', 'nor_conv_3x3', 'skip_connect', 'nor_conv_1x1', 'none', 'avg_pool_3x3'], {
      numClasses: 10, bn: 'no-affine', C: 4, N: 2, seed: 5,
    });
    const weights = saliencyWeights(net);
    const byName = new Map(net.params.map((p) => [p.name, p.variable as tf.Tensor]));
    const x = batchTensor(tf, batch);
    const loss = (logits: tf.Tensor2D) => crossEntropy(tf, logits, batch.labels);
    const chained = chainedGradients(tf, zcStages(tf, net), x, (n) => byName.get(n)!, loss, weights.map((p) => p.name), { inputGradient: true });
    const whole = tf.grads((input: tf.Tensor, ...ws: tf.Tensor[]) => {
      const sub = new Map(byName);
      weights.forEach((p, i) => sub.set(p.name, ws[i]!));
      return loss(zcForward(tf, net, input as tf.Tensor4D, (n) => sub.get(n)!).logits);
    })([x, ...weights.map((p) => p.variable.clone())]);
    expect(relErr(whole[0]!.dataSync(), chained.dx!.dataSync())).toBeLessThan(1e-5);
    weights.forEach((p, i) => expect(relErr(whole[i + 1]!.dataSync(), chained.grads.get(p.name)!.dataSync())).toBeLessThan(1e-5));
    const lossValue = tf.tidy(() => loss(zcForward(tf, net, x, (n) => byName.get(n)!).logits).dataSync()[0]!);
    expect(chained.loss).toBeCloseTo(lossValue, 5);
    tf.dispose([...whole, ...chained.grads.values(), chained.dx!, x]);
    net.dispose();
  });

  it('frees what it allocated: no tensor outlives the call except the returned gradients', () => {
    const batch = randomBatch(3, 8, 42);
    const net = buildNB201Network(['nor_conv_3x3', 'skip_connect', 'nor_conv_1x1', 'avg_pool_3x3', 'none', 'nor_conv_3x3'], {
      numClasses: 10, bn: 'no-affine', C: 4, N: 1, seed: 6,
    });
    const byName = new Map(net.params.map((p) => [p.name, p.variable as tf.Tensor]));
    const x = batchTensor(tf, batch);
    const before = tf.memory().numTensors;
    const r = chainedGradients(tf, zcStages(tf, net), x, (n) => byName.get(n)!, (l) => tf.sum(l), ['stem.0.weight', 'classifier.weight']);
    expect(tf.memory().numTensors - before).toBe(2);
    tf.dispose([...r.grads.values(), x]);
    net.dispose();
  });
});
