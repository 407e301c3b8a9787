import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { flops } from '../../src/proxies/flops.ts';
import { nb201Variant, scoreNet } from './zc-helpers.ts';
import { scoreNumber } from '../../src/proxies/context.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('flops', () => {
  it("flops counts conv and linear multiply-adds at the dataset's image size", async () => {
    // all-none cell, C=4, N=1, 8x8, 10 classes: stem 3·3·3·4·64, reductions (conv_a, conv_b,
    // shortcut) at 4x4 and 2x2, classifier 16·10+10
    const net = buildNB201Network(new Array(6).fill('none'), { ...nb201Variant(flops.network, 10), C: 4, N: 1, seed: 0 });
    const expected =
      27 * 4 * 64 + (9 * 4 * 8 + 9 * 8 * 8 + 4 * 8) * 16 + (9 * 8 * 16 + 9 * 16 * 16 + 8 * 16) * 4 + 16 * 10 + 10;
    expect(await scoreNumber(flops, net, [], { imageSize: { height: 8, width: 8 } })).toBeCloseTo(expected / 1e6, 12);
    const at16 = await scoreNumber(flops, net, [], { imageSize: { height: 16, width: 16 } });
    expect(await scoreNet(flops, net, null)).toBeGreaterThan(at16); // 32x32 when nothing says otherwise
    expect(at16).toBeGreaterThan(expected / 1e6);
    net.dispose();
  });
});
