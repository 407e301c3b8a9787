import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { layerWeight } from '../../src/graph/network-graph.ts';
import { fisher } from '../../src/proxies/fisher.ts';
import { crossEntropy } from '../../src/executors/losses.ts';
import { CELL, copyBatch, forwardWith, nb201Variant, randomBatch, relClose, scoreNet } from './zc-helpers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('fisher', () => {
  it('uses the reference network variant and batch 64', () => {
    expect(nb201Variant(fisher.network, 100)).toMatchObject({ numClasses: 100, bn: 'no-affine' });
    expect(fisher.defaults.batchSize).toBe(64);
  });

  it('equals Σ_layers Σ_c 0.5·mean_n(Σ_pos a·g)² · fan-in with a, g taken directly', async () => {
    const n = 5;
    const batch = randomBatch(n, 8, 6);
    const net = buildNB201Network(CELL, { ...nb201Variant(fisher.network, 10), C: 4, N: 1, seed: 4 });
    const score = await scoreNet(fisher, net, batch);
    expect(Number.isFinite(score)).toBe(true);
    expect(score).toBeGreaterThan(0);
    const twin = buildNB201Network(CELL, { ...nb201Variant(fisher.network, 10), C: 4, N: 1, seed: 4 });
    expect(await scoreNet(fisher, twin, copyBatch(batch))).toBe(score);
    twin.dispose();

    // Direct: record every layer output a, and get g = ∂L/∂a as the gradient w.r.t. an additive
    // zero tensor at that output.
    const weights = net.params.filter((p) => p.kind === 'conv' || p.kind === 'linear-weight');
    const x = tf.tensor4d(batch.x, [n, 8, 8, 3]);
    const acts = new Map<string, tf.Tensor>();
    tf.tidy(() => {
      forwardWith(net, x, new Map(), {
        onNodeOutput: (y, node) => {
          const name = layerWeight(node);
          if (name) acts.set(name, tf.keep(y.clone()));
        },
      });
    });
    const deltas = weights.map((p) => tf.zerosLike(acts.get(p.name)!));
    const grads = tf.grads((...ds: tf.Tensor[]) =>
      crossEntropy(
        forwardWith(net, x, new Map(), {
          onNodeOutput: (y, node) => {
            const name = layerWeight(node);
            return name ? tf.add(y, ds[weights.findIndex((p) => p.name === name)]!) : undefined;
          },
        }),
        batch.labels,
      ),
    )(deltas);
    let expected = 0;
    weights.forEach((p, i) => {
      const a = acts.get(p.name)!;
      const c = a.shape[a.shape.length - 1]!;
      const av = a.dataSync();
      const gv = grads[i]!.dataSync();
      const perSample = av.length / n;
      const fanIn = p.variable.shape.slice(0, -1).reduce((s, v) => s * v, 1);
      for (let ch = 0; ch < c; ch++) {
        let sq = 0;
        for (let s = 0; s < n; s++) {
          let dot = 0;
          for (let j = ch; j < perSample; j += c) dot += av[s * perSample + j]! * gv[s * perSample + j]!;
          sq += dot * dot;
        }
        expected += 0.5 * (sq / n) * fanIn;
      }
    });
    expect(relClose(score, expected, 1e-4)).toBe(true);
    tf.dispose([...acts.values(), ...deltas, ...grads, x]);
    net.dispose();
  });
});
