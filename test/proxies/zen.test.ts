import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNB101Network } from '../../src/models/nb101-network.ts';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import type { CellNetwork } from '../../src/models/instantiate.ts';
import { scoreNumber } from '../../src/proxies/context.ts';
import { NETWORK_VARIANTS } from '../../src/proxies/variants.ts';
import { zen, zenNoiseSeeds, type ZenSettings } from '../../src/proxies/zen.ts';
import { TRUNCATING } from '../helpers/nb101-specs.ts';
import { CELL, forwardWith, nb201Variant } from './zc-helpers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const SIZE = 8;
const score = (net: CellNetwork, settings: Partial<ZenSettings> = {}) =>
  scoreNumber(zen, net, [], { settings: { ...zen.defaults, batchSize: 6, ...settings }, imageSize: { height: SIZE, width: SIZE } });

/** Zen's score computed another way: the network's own PyTorch-like running-statistics update and a hooked pre-GAP map. */
function direct(net: CellNetwork, n: number, gamma: number): number {
  const [s1, s2] = zenNoiseSeeds(net.seed);
  const shape: [number, number, number, number] = [n, SIZE, SIZE, 3];
  return tf.tidy(() => {
    const x = tf.randomNormal(shape, 0, 1, 'float32', s1) as tf.Tensor4D;
    const mixed = tf.add(x, tf.mul(tf.randomNormal(shape, 0, 1, 'float32', s2), gamma)) as tf.Tensor4D;
    const gap = net.graph.nodes.find((q) => q.op === 'gap')!;
    const features = (input: tf.Tensor4D): tf.Tensor => {
      let f: tf.Tensor | undefined;
      forwardWith(net, input, new Map(), { onNodeOutput: (y, node) => void (node.id === gap.inputs[0] ? (f = y) : undefined) });
      return f!;
    };
    const delta = tf.mean(tf.sum(tf.abs(tf.sub(features(x), features(mixed))), [1, 2, 3])).dataSync()[0]!;
    // two train-mode passes that move the running statistics (momentum 0.1, unbiased variance)
    net.apply(x, { training: true, updateRunningStats: true });
    net.apply(mixed, { training: true, updateRunningStats: true });
    let bn = 0;
    for (const b of net.buffers.filter((q) => q.kind === 'bn-running-var')) bn += Math.log(Math.sqrt(tf.mean(b.variable).dataSync()[0]!));
    return Math.log(delta) + bn;
  });
}

describe('zen', () => {
  it("re-initialises Gaussian: N(0, 1) weights, the benchmark's BN with running statistics", () => {
    expect(zen.network).toBe('gaussian');
    expect(nb201Variant(zen.network, 10)).toMatchObject({ bn: 'standard', initScheme: 'gaussian' });
    const net = buildNB201Network(CELL, { ...nb201Variant(zen.network, 10), C: 8, N: 1, seed: 1 });
    const w = Array.from(net.params.find((p) => p.name === 'classifier.weight')!.variable.dataSync());
    const conv = Array.from(net.params.filter((p) => p.kind === 'conv').flatMap((p) => Array.from(p.variable.dataSync())));
    const sd = (a: number[]) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    expect(Math.abs(sd(conv) - 1)).toBeLessThan(0.05);
    expect(Math.abs(sd(w) - 1)).toBeLessThan(0.35); // 320 values
    net.dispose();
  });

  it("equals log Δ + Σ log √mean(running_var) computed with the network's own running-statistics update", async () => {
    for (const space of ['nb201', 'nb101'] as const) {
      const net =
        space === 'nb201'
          ? buildNB201Network(CELL, { ...nb201Variant(zen.network, 10), C: 4, N: 1, seed: 3 })
          : buildNB101Network(TRUNCATING, { ...NETWORK_VARIANTS[zen.network].nb101(10), stemChannels: 4, numStacks: 2, cellsPerStack: 1, seed: 3 });
      const s = await score(net);
      expect(Number.isFinite(s)).toBe(true);
      // scoring leaves the buffers alone: a second score is identical
      expect(await score(net)).toBe(s);
      const d = direct(net, 6, 1e-2);
      expect(Math.abs(s - d), `${space}: ${s} vs ${d}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(d)));
      net.dispose();
    }
  });

  it('Δ is the L1 response to the perturbation: linear in γ for small γ (doubling γ adds log 2)', async () => {
    const net = buildNB201Network(CELL, { ...nb201Variant(zen.network, 10), C: 4, N: 1, seed: 8 });
    const a = await score(net, { mixupGamma: 1e-3 });
    const b = await score(net, { mixupGamma: 2e-3 });
    expect(Math.abs(b - a - Math.log(2))).toBeLessThan(0.02);
    // a large perturbation is no longer linear, but grows the response
    expect(await score(net, { mixupGamma: 1 })).toBeGreaterThan(b);
    net.dispose();
  });

  it('differs between architectures', async () => {
    const a = buildNB201Network(CELL, { ...nb201Variant(zen.network, 10), C: 4, N: 1, seed: 0 });
    const b = buildNB201Network(['nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3'], { ...nb201Variant(zen.network, 10), C: 4, N: 1, seed: 0 });
    expect(await score(a)).not.toBe(await score(b));
    a.dispose();
    b.dispose();
  });
});
