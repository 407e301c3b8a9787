import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { params } from '../../src/proxies/params.ts';
import { CELL } from './zc-helpers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('params', () => {
  it('params counts the built network’s trainable parameters, in millions', async () => {
    for (const ops of [CELL, new Array(6).fill('none')]) {
      const net = buildNB201Network(ops, { ...params.network(10), C: 4, N: 1, seed: 0 });
      const count = net.params.reduce((s, p) => s + p.variable.size, 0);
      expect(await params.score(net, null, params.defaults, tf)).toBeCloseTo(count / 1e6, 12);
      net.dispose();
    }
  });

});
