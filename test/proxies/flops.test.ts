import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { flops } from '../../src/proxies/flops.ts';
import { randomBatch } from './zc-helpers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('flops', () => {
  it('flops counts conv and linear multiply-adds at the batch input size', async () => {
    // all-none cell, C=4, N=1, 8x8, 10 classes: stem 3·3·3·4·64, reductions (conv_a, conv_b,
    // shortcut) at 4x4 and 2x2, classifier 16·10+10
    const net = buildNB201Network(new Array(6).fill('none'), { ...flops.network(10), C: 4, N: 1, seed: 0 });
    const expected =
      27 * 4 * 64 + (9 * 4 * 8 + 9 * 8 * 8 + 4 * 8) * 16 + (9 * 8 * 16 + 9 * 16 * 16 + 8 * 16) * 4 + 16 * 10 + 10;
    expect(await flops.score(net, randomBatch(1, 8, 0), flops.defaults, tf)).toBeCloseTo(expected / 1e6, 12);
    const at16 = await flops.score(net, randomBatch(1, 16, 0), flops.defaults, tf);
    expect(at16).toBeGreaterThan(expected / 1e6);
    net.dispose();
  });
});
