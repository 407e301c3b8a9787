import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureSecondOrderGradients } from '../../src/engine/second-order-gradients.ts';
import { logitShift } from '../../src/executors/losses.ts';
import { runGraph } from '../../src/executors/tfjs-forward.ts';
import { graphFlops, graphParams } from '../../src/graph/cost.ts';
import type { CellNetwork } from '../../src/models/instantiate.ts';
import { nb101Cost } from '../../src/models/nb101-cost.ts';
import { buildNB101Network } from '../../src/models/nb101-network.ts';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { nb201Cost } from '../../src/models/nb201-cost.ts';
import { getProxy } from '../../src/proxies/registry.ts';
import { jacobCovFromEigenvalues } from '../../src/proxies/jacob-cov.ts';
import { NETWORK_VARIANTS } from '../../src/proxies/variants.ts';
import type { ModelSpec } from '../../src/spaces/nb101.ts';
import { corrcoef, symmetricEigenvalues } from '../../src/util/eigen.ts';
import { CELL, randomBatch, relClose, scoreNet } from './zc-helpers.ts';
import { directZeroCost, wholeHvp } from './zero-cost-reference.ts';

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

/** The zero-cost variant of each space at test sizes. */
function zeroCostNetworks(seed: number): [string, CellNetwork][] {
  return [
    ['nb201', buildNB201Network(CELL, { ...NETWORK_VARIANTS['zero-cost'].nb201(10), C: 4, N: 1, seed })],
    ['nb101', buildNB101Network(SPEC, { stemChannels: 4, numStacks: 2, cellsPerStack: 1, ...NETWORK_VARIANTS['zero-cost'].nb101(10), seed })],
  ];
}

describe('zero-cost formulas on both spaces, against direct computations', () => {
  it('grad_norm, snip and fisher equal their formulas on a whole-graph gradient', async () => {
    const batch = randomBatch(6, 8, 51);
    for (const [space, net] of zeroCostNetworks(3)) {
      const direct = directZeroCost(net, batch);
      expect(relClose(await scoreNet(getProxy('grad_norm'), net, batch), direct.gradNorm, 1e-4), `${space} grad_norm`).toBe(true);
      expect(relClose(await scoreNet(getProxy('snip'), net, batch), direct.snip, 1e-4), `${space} snip`).toBe(true);
      expect(relClose(await scoreNet(getProxy('fisher'), net, batch), direct.fisher, 1e-3), `${space} fisher`).toBe(true);
      net.dispose();
    }
  });

  it('jacob_cov is the formula on a whole-graph input Jacobian of Σ outputs', async () => {
    const batch = randomBatch(4, 8, 52);
    for (const [space, net] of zeroCostNetworks(4)) {
      const x = tf.tensor4d(batch.x, [4, 8, 8, 3]);
      const j = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(runGraph(net.graph, t as tf.Tensor4D, net.runOptions({ training: true }))))(x).dataSync());
      const expected = jacobCovFromEigenvalues(symmetricEigenvalues(corrcoef(j, 4, j.length / 4), 4));
      const got = await scoreNet(getProxy('jacob_cov'), net, batch);
      expect(relClose(got, expected, 1e-3), `${space}: ${got} vs ${expected}`).toBe(true);
      x.dispose();
      net.dispose();
    }
  });

  it('grasp is -Σ w·(H g) with H g from whole-graph nested gradients', async () => {
    ensureSecondOrderGradients();
    const batch = randomBatch(4, 8, 53);
    for (const [space, net] of zeroCostNetworks(5)) {
      const opts = net.runOptions({ training: true });
      const x = tf.tensor4d(batch.x, [4, 8, 8, 3]);
      const names = net.graph.params.filter((p) => p.kind === 'conv' || p.kind === 'linear-weight').map((p) => p.name);
      const g = tf.tidy(() =>
        tf.grads((...ws: tf.Tensor[]) => {
          const sub = new Map(names.map((n, i) => [n, ws[i]!]));
          return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(batch.labels, 'int32'), 10), runGraph(net.graph, x, { ...opts, param: (n) => sub.get(n) ?? opts.param(n) })) as tf.Scalar;
        })(names.map((n) => opts.param(n))),
      );
      const logits = tf.tidy(() => runGraph(net.graph, x, opts));
      const shift = await logitShift(logits);
      const hg = wholeHvp(net.graph, opts, x, batch.labels, shift, names, g);
      let expected = 0;
      names.forEach((n, i) => {
        const w = opts.param(n).dataSync();
        const h = hg[i]!.dataSync();
        for (let k = 0; k < w.length; k++) expected -= w[k]! * h[k]!;
      });
      const got = await scoreNet(getProxy('grasp'), net, batch);
      expect(relClose(got, expected, 1e-3), `${space}: ${got} vs ${expected}`).toBe(true);
      tf.dispose([x, logits, shift, ...g, ...hg]);
      net.dispose();
    }
  });

  it('params and flops are the analytic counts (the benchmarks\' conventions) on both spaces', async () => {
    const nb101 = buildNB101Network(SPEC, { stemChannels: 8, ...NETWORK_VARIANTS.standard.nb101(10), seed: 3 });
    expect(graphParams(nb101.graph)).toBe(nb101Cost(SPEC, { stemChannels: 8 }).params);
    expect(graphFlops(nb101.graph, 32)).toBe(nb101Cost(SPEC, { stemChannels: 8, inputSize: 32 }).flops);
    expect(await scoreNet(getProxy('params'), nb101, null)).toBeCloseTo(nb101Cost(SPEC, { stemChannels: 8 }).params / 1e6, 12);
    nb101.dispose();
    for (const bn of ['standard', 'no-affine', 'none-in-cells'] as const) {
      for (const fair of bn === 'none-in-cells' ? [false] : [false, true]) {
        const net = buildNB201Network(CELL, { C: 4, N: 2, numClasses: 10, bn, fair, seed: 0 });
        const cost = nb201Cost(CELL, { C: 4, N: 2, numClasses: 10, bn, fair, inputSize: 16 });
        expect(graphParams(net.graph), `${bn} ${fair}`).toBe(cost.params);
        expect(graphFlops(net.graph, 16), `${bn} ${fair}`).toBe(cost.flops);
        net.dispose();
      }
    }
  });

  it('synflow scores the BN-free copy on NB101 (the reference get_prunable_copy(bn=False))', () => {
    const net = buildNB101Network(SPEC, { stemChannels: 4, ...NETWORK_VARIANTS[getProxy('synflow').network].nb101(10), seed: 3 });
    expect(net.params.some((p) => p.kind === 'bn-gamma')).toBe(false);
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
