import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runGraph } from '../../src/executors/tfjs-forward.ts';
import type { CellNetwork } from '../../src/models/instantiate.ts';
import { buildNB101Network } from '../../src/models/nb101-network.ts';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { CellSession, scoreNumber, scoreOnNetwork } from '../../src/proxies/context.ts';
import { synflow } from '../../src/proxies/synflow.ts';
import { NETWORK_VARIANTS } from '../../src/proxies/variants.ts';
import { contextFor, scoreCellWith } from '../../src/scoring/score-one.ts';
import { cellFromIndex } from '../../src/spaces/nb201-index.ts';
import { f64, runFloat64 } from '../helpers/float64-graph.ts';
import { TRUNCATING } from '../helpers/nb101-specs.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// 0->1 conv3x3, 0->2 none, 1->2 conv1x1, 0->3 skip, 1->3 conv3x3, 2->3 avg_pool
const CELL = ['nor_conv_3x3', 'none', 'nor_conv_1x1', 'skip_connect', 'nor_conv_3x3', 'avg_pool_3x3'];

/** |w| of every parameter, float64, by name. */
function absValues(net: CellNetwork): Map<string, Float64Array> {
  return new Map(net.params.map((q) => [q.name, Float64Array.from(q.variable.dataSync(), Math.abs)]));
}

/** R = Σ outputs on one all-ones sample, float64 (test/helpers/float64-graph.ts). */
function r64(net: CellNetwork, P: Map<string, Float64Array>, size: number): number {
  const shapes = new Map(net.params.map((q) => [q.name, q.shape]));
  const out = runFloat64(net.graph, f64(1, size, size, 3, new Float64Array(size * size * 3).fill(1)), (n) => ({ shape: shapes.get(n)!, v: P.get(n)! }));
  return out.v.reduce((s, v) => s + v, 0);
}

/**
 * |w · ∂R/∂w| by float64 central differences for a few entries of every conv/linear weight
 * (every entry would take minutes), against the context's log-scaled pass for the same entries,
 * and R itself.
 */
async function checkAgainstFloat64(net: CellNetwork, size: number): Promise<{ worst: number; logR: number; logR64: number }> {
  const P = absValues(net);
  const session = new CellSession(net.graph.space, () => net, [], net.graph.numClasses, { height: size, width: size }, undefined, false);
  const ours = await session.absWeightGradients();
  let worst = 0;
  for (const q of net.params) {
    if (q.kind !== 'conv' && q.kind !== 'linear-weight') continue;
    const w = P.get(q.name)!;
    const g = ours.grads.get(q.name)!;
    for (const i of [0, Math.floor(w.length / 3), Math.floor((2 * w.length) / 3), w.length - 1]) {
      const w0 = w[i]!;
      const dh = w0 * 1e-5;
      w[i] = w0 + dh;
      const up = r64(net, P, size);
      w[i] = w0 - dh;
      const down = r64(net, P, size);
      w[i] = w0;
      const fd = Math.abs(w0 * ((up - down) / (2 * dh)));
      const mine = Math.abs(w0 * g[i]! * Math.exp(ours.logScale));
      // relative to the largest of the two, floored far below the typical contribution
      worst = Math.max(worst, Math.abs(fd - mine) / Math.max(fd, mine, 1e-12 * Math.abs(up)));
    }
  }
  session.dispose();
  const r = r64(net, P, size);
  return { worst, logR: ours.logScale, logR64: Math.log(r) };
}

function nb201(seed: number, cellScale: number, ops = CELL): CellNetwork {
  const net = buildNB201Network(ops, { ...NETWORK_VARIANTS[synflow.network].nb201(10), C: 2, N: 1, seed });
  for (const q of net.params) if (q.label && q.kind === 'conv') q.variable.assign(tf.mul(q.variable, cellScale) as tf.Tensor4D);
  return net;
}

const at = (size: number) => ({ imageSize: { height: size, width: size } });

describe('synflow', () => {
  it("uses the reference's network copy: no BN in stem, cells, lastact; BN kept in reductions", () => {
    expect(synflow.network).toBe('zero-cost-no-bn');
    expect(synflow.needs.images).toBe('none');
    const net = nb201(0, 1);
    const bnNames = net.params.filter((q) => q.kind === 'bn-gamma').map((q) => q.name);
    expect(bnNames.every((n) => /conv_[ab]\.op\.2\.weight$/.test(n))).toBe(true);
    expect(bnNames.length).toBe(4);
    net.dispose();
  });

  it('matches a float64 evaluation (central differences), NB201 and NB101', async () => {
    const nets: CellNetwork[] = [
      nb201(3, 1),
      buildNB101Network(TRUNCATING, { stemChannels: 4, numStacks: 2, cellsPerStack: 1, ...NETWORK_VARIANTS[synflow.network].nb101(10), seed: 5 }),
    ];
    for (const net of nets) {
      const { worst } = await checkAgainstFloat64(net, 8);
      expect(worst, net.graph.space).toBeLessThan(1e-4);
      expect(await scoreNumber(synflow, net, [], at(8))).toBeGreaterThan(0);
      net.dispose();
    }
  });

  it('stays exact where float32 overflows (cell conv weights x1e10, R ~ 1e60)', async () => {
    const net = nb201(3, 1e10);
    const check = await checkAgainstFloat64(net, 8);
    expect(check.logR64).toBeGreaterThan(Math.log(1e45));
    expect(check.worst).toBeLessThan(1e-4);
    // a plain float32 pass overflows
    const x = tf.ones([1, 8, 8, 3]) as tf.Tensor4D;
    const abs = new Map(net.params.map((q) => [q.name, tf.abs(q.variable) as tf.Tensor]));
    const plain = tf.tidy(() => tf.sum(runGraph(net.graph, x, { param: (n) => abs.get(n)!, training: true })).dataSync()[0]!);
    expect(Number.isFinite(plain)).toBe(false);
    expect(Number.isFinite(await scoreNumber(synflow, net, [], at(8)))).toBe(true);
    tf.dispose([x, ...abs.values()]);
    net.dispose();
  });

  it('gives 0 for a cell of only none edges (only the classifier bias reaches R)', async () => {
    const net = nb201(1, 1, new Array(6).fill('none'));
    expect(await scoreNumber(synflow, net, [], at(8))).toBe(0);
    net.dispose();
  });

  it("feeds the dataset's image size: 16x16 for ImageNet16-120, 32x32 for CIFAR (no batch to take it from)", async () => {
    expect(contextFor({ space: 'nb201', proxy: 'synflow', settings: synflow.defaults, dataset: 'ImageNet16-120', batchSeed: 0, initSeed: 0, dataDir: '/nonexistent' }).imageSize).toEqual({ height: 16, width: 16 });
    expect(contextFor({ space: 'nb201', proxy: 'synflow', settings: synflow.defaults, dataset: 'cifar100', batchSeed: 0, initSeed: 0, dataDir: '/nonexistent' }).imageSize).toEqual({ height: 32, width: 32 });
    // the scoring path gives what a 16x16 all-ones input gives, which differs from 32x32
    const cell = 284;
    const job = { space: 'nb201' as const, proxy: 'synflow', settings: synflow.defaults, dataset: 'ImageNet16-120' as const, batchSeed: 0, initSeed: 0, dataDir: '/nonexistent' };
    const outcome = (await scoreCellWith({ key: String(cell) }, [contextFor(job)])).synflow!;
    expect('score' in outcome, JSON.stringify(outcome)).toBe(true);
    const net = buildNB201Network(cellFromIndex(cell).ops, { ...NETWORK_VARIANTS['zero-cost-no-bn'].nb201(120), seed: 0 });
    expect(Number((outcome as { score: number }).score)).toBe(await scoreOnNetwork(synflow, net, [], at(16)));
    net.dispose();
    const small = nb201(2, 1);
    expect(await scoreOnNetwork(synflow, small, [], at(16))).not.toBe(await scoreOnNetwork(synflow, small, [], at(8)));
    small.dispose();
  });
});
