import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNB101Network } from '../../src/models/nb101-network.ts';
import { nb101Cost } from '../../src/models/nb101-cost.ts';
import { getProxy } from '../../src/proxies/registry.ts';
import { ensureSecondOrderGradients } from '../../src/proxies/zero-cost-hvp.ts';
import type { ModelSpec } from '../../src/spaces/nb101.ts';
import { randomBatch } from './zc-helpers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** conv3x3 and max-pool vertices, a projection, a concat. */
const SPEC: ModelSpec = {
  matrix: [
    [0, 1, 1, 0, 1],
    [0, 0, 0, 1, 0],
    [0, 0, 0, 1, 1],
    [0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0],
  ],
  ops: ['input', 'conv3x3-bn-relu', 'maxpool3x3', 'conv1x1-bn-relu', 'output'],
};

describe('zero-cost proxies on NB101 networks', () => {
  it('every zero-cost proxy scores an NB101 network with a finite number', async () => {
    const batch = randomBatch(6, 8, 51);
    for (const name of ['grad_norm', 'snip', 'fisher', 'jacob_cov', 'synflow', 'grasp', 'params', 'flops']) {
      const proxy = getProxy(name);
      expect(proxy.spaces).toContain('nb101');
      const net = buildNB101Network(SPEC, { stemChannels: 4, numClasses: 10, seed: 3, ...proxy.nb101Network });
      const score = await proxy.score(net as never, batch, { ...proxy.defaults, batchSize: 6 }, tf);
      expect(Number.isFinite(score), `${name} = ${score}`).toBe(true);
      if (name !== 'params' && name !== 'flops') expect(score).not.toBe(0);
      net.dispose();
    }
  });

  it('synflow scores the BN-free copy (the reference get_prunable_copy(bn=False)); params/flops are the analytic counts', async () => {
    const synflowNet = buildNB101Network(SPEC, { stemChannels: 4, numClasses: 10, seed: 3, ...getProxy('synflow').nb101Network });
    expect(synflowNet.params.some((p) => p.kind === 'bn-gamma')).toBe(false);
    synflowNet.dispose();
    const net = buildNB101Network(SPEC, { stemChannels: 8, numClasses: 10, seed: 3 });
    const batch = randomBatch(2, 32, 52);
    expect(await getProxy('params').score(net as never, null, { batchSize: 1 }, tf)).toBeCloseTo(nb101Cost(SPEC, { stemChannels: 8 }).params / 1e6, 12);
    expect(await getProxy('flops').score(net as never, batch, { batchSize: 1 }, tf)).toBeCloseTo(nb101Cost(SPEC, { stemChannels: 8, inputSize: 32 }).flops / 1e6, 12);
    net.dispose();
  });

  it("max-pool's second derivative (registered MaxPoolGrad gradient) gathers at each window's maximum", () => {
    ensureSecondOrderGradients();
    const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    const w = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
    const v = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    for (const [k, s] of [[3, 1], [2, 2]] as const) {
      // g(u) = <∂/∂x Σ u · maxPool(x), v> = <MaxPoolGrad(u), v>, linear in u; its gradient is P v,
      // P the gather at the argmax: the directional derivative of maxPool at x along v
      const uShape = tf.maxPool(x, k, s, 'same');
      const u0 = tf.randomNormal(uShape.shape, 0, 1, 'float32', 10);
      const grad = tf.grad((u: tf.Tensor) => {
        const gx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(u, tf.maxPool(xx as tf.Tensor4D, k, s, 'same'))))(x);
        return tf.sum(tf.mul(gx, v));
      })(u0);
      const t = 1e-3;
      const fd = tf.div(tf.sub(tf.maxPool(tf.add(x, tf.mul(v, t)) as tf.Tensor4D, k, s, 'same'), tf.maxPool(x, k, s, 'same')), t);
      const a = grad.dataSync();
      const b = fd.dataSync();
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(2e-2);
      tf.dispose([uShape, u0, grad, fd]);
    }
    tf.dispose([x, w, v]);
  });
});
