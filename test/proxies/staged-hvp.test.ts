import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { crossEntropySecondOrder, grasp, lossGradAndHvp } from '../../src/proxies/grasp.ts';
import { stagedHvp } from '../../src/proxies/staged-hvp.ts';
import { batchTensor, saliencyWeights, zcStages } from '../../src/proxies/zero-cost-forward.ts';
import { CELL, randomBatch } from './zc-helpers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('stagedHvp (Hessian-vector product one stage at a time)', () => {
  for (const [cell, N] of [[CELL, 1], [['avg_pool_3x3', 'nor_conv_1x1', 'skip_connect', 'nor_conv_3x3', 'avg_pool_3x3', 'none'], 2]] as const) {
    it(`equals the whole-graph nested-gradient HVP (${cell.join(',')}, N=${N})`, () => {
      const batch = randomBatch(4, 8, 31);
      const net = buildNB201Network(cell, { ...grasp.network(10), C: 4, N, seed: 12 });
      const weights = saliencyWeights(net);
      // a direction over every layer
      const v = weights.map((p, i) => tf.randomNormal(p.variable.shape, 0, 1, 'float32', 400 + i));
      const whole = lossGradAndHvp(tf, net, batch, v);
      const byName = new Map(net.params.map((p) => [p.name, p.variable as tf.Tensor]));
      const x = batchTensor(tf, batch);
      const staged = stagedHvp(
        tf,
        zcStages(tf, net, { secondOrder: true }),
        x,
        (n) => byName.get(n)!,
        (logits) => crossEntropySecondOrder(tf, logits, batch.labels),
        new Map(weights.map((p, i) => [p.name, v[i]!])),
      );
      let err = 0;
      let norm = 0;
      weights.forEach((p, i) => {
        const a = whole.hv[i]!.dataSync();
        const b = staged.get(p.name)!.dataSync();
        for (let k = 0; k < a.length; k++) {
          err += (a[k]! - b[k]!) ** 2;
          norm += a[k]! ** 2;
        }
        // every layer's block is there (not only the classifier's)
      });
      expect(norm).toBeGreaterThan(0);
      expect(Math.sqrt(err / norm)).toBeLessThan(1e-4);
      const stem = staged.get('stem.0.weight')!;
      expect(tf.norm(stem).dataSync()[0]!).toBeGreaterThan(0);
      tf.dispose([...v, ...whole.g, ...whole.hv, ...staged.values(), x]);
      net.dispose();
    });
  }
});
