import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNB101Network } from '../../src/models/nb101-network.ts';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { l2Norm } from '../../src/proxies/l2-norm.ts';
import { NETWORK_VARIANTS } from '../../src/proxies/variants.ts';
import { TRUNCATING } from '../helpers/nb101-specs.ts';
import { CELL, nb201Variant, randomBatch, relClose, scoreNet } from './zc-helpers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const convOrLinear = (kind: string) => kind === 'conv' || kind === 'linear-weight';

describe('l2_norm', () => {
  it('is data-free and reads the zero-cost variant', () => {
    expect(l2Norm.needs).toMatchObject({ images: 'none', gradients: 'none' });
    expect(l2Norm.network).toBe('zero-cost');
  });

  it('is Σ_layers ‖W‖₂ of the conv/linear weights (direct sum over the tfjs variables), and matches the init law', async () => {
    const net = buildNB201Network(CELL, { ...nb201Variant(l2Norm.network, 10), C: 16, N: 1, seed: 3 });
    const s = await scoreNet(l2Norm, net, null);
    let direct = 0;
    let expected = 0;
    for (const p of net.params.filter((q) => convOrLinear(q.kind))) {
      const v = Array.from(p.variable.dataSync() as Float32Array);
      direct += Math.sqrt(v.reduce((a, x) => a + x * x, 0));
      // U(-b, b) with b = 1/√fanIn: E w² = 1/(3 fanIn), fanIn = numel / out (tfjs layout: out last)
      const out = p.shape[p.shape.length - 1]!;
      const numel = v.length;
      expected += Math.sqrt(numel / (3 * (numel / out)));
    }
    expect(relClose(s, direct, 1e-6)).toBe(true);
    expect(relClose(s, expected, 0.03)).toBe(true);
    // biases and BN parameters do not count: scaling a BN gamma changes nothing
    const bn = net.params.find((q) => q.kind === 'bn-gamma')!;
    bn.variable.assign(tf.mul(bn.variable, 5));
    expect(await scoreNet(l2Norm, net, null)).toBe(s);
    // a conv weight scaled by 2 doubles its own term
    const conv = net.params.find((q) => q.kind === 'conv')!;
    const own = Math.sqrt(Array.from(conv.variable.dataSync() as Float32Array).reduce((a: number, x: number) => a + x * x, 0));
    conv.variable.assign(tf.mul(conv.variable, 2));
    expect(relClose(await scoreNet(l2Norm, net, null), s + own, 1e-5)).toBe(true);
    net.dispose();
  });

  it('on NB101 follows the reference init: conv ‖W‖ ≈ √(2·in), linear ≈ 0.01·√numel', async () => {
    const net = buildNB101Network(TRUNCATING, { ...NETWORK_VARIANTS[l2Norm.network].nb101(10), stemChannels: 16, numStacks: 2, cellsPerStack: 1, seed: 5 });
    let expected = 0;
    for (const p of net.params.filter((q) => convOrLinear(q.kind))) {
      const numel = p.shape.reduce((a, b) => a * b, 1);
      expected += p.kind === 'conv' ? Math.sqrt(2 * p.shape[2]!) : 0.01 * Math.sqrt(numel);
    }
    expect(relClose(await scoreNet(l2Norm, net, null), expected, 0.05)).toBe(true);
    net.dispose();
  });

  it('ignores any batch and differs between architectures', async () => {
    const a = buildNB201Network(CELL, { ...nb201Variant(l2Norm.network, 10), C: 4, N: 1, seed: 0 });
    const b = buildNB201Network(new Array(6).fill('skip_connect'), { ...nb201Variant(l2Norm.network, 10), C: 4, N: 1, seed: 0 });
    const sa = await scoreNet(l2Norm, a, null);
    expect(await scoreNet(l2Norm, a, randomBatch(4, 8, 1))).toBe(sa);
    expect(await scoreNet(l2Norm, b, null)).toBeLessThan(sa); // fewer convs, fewer positive terms
    a.dispose();
    b.dispose();
  });
});
