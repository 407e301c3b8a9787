/**
 * The ONNX Runtime executor against the tfjs executor (the reference semantics of every op), on
 * the same weights and batch: logits of every kind of network it supports (NB201 BN variants, the
 * fair N=2 network, NB101 cells with max-pool / projection / truncation, BN-free NB101, one path
 * of each supernet, a sliced NB101 supernet path), NASWOT's K from the graph on small networks
 * (exact integer counts, may differ only where a ReLU input sits within rounding of 0), and the
 * NASWOT score on full-size NB201 cells and one NB101 cell with real CIFAR-10 images.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.ts';
import { OnnxExecutor } from '../../src/executors/onnx-executor.ts';
import { buildOnnxModel } from '../../src/executors/onnx-model.ts';
import { runGraph, type TfjsRunOptions } from '../../src/executors/tfjs-forward.ts';
import type { NetworkGraph } from '../../src/graph/network-graph.ts';
import type { CellNetwork } from '../../src/models/instantiate.ts';
import { buildNB101Network } from '../../src/models/nb101-network.ts';
import { buildNB201Network, type BnVariant } from '../../src/models/nb201-network.ts';
import { reluCodeKernelTensor, tfjsReluKernel } from '../../src/proxies/context.ts';
import { buildVariant } from '../../src/proxies/variants.ts';
import { trainingBatches } from '../../src/scoring/score-one.ts';
import { cellFromIndex } from '../../src/spaces/nb201-index.ts';
import { validateSpec } from '../../src/spaces/nb101.ts';
import { buildNB101Supernet } from '../../src/supernet/nb101-supernet.ts';
import { buildNB201Supernet } from '../../src/supernet/nb201-supernet.ts';
import { logAbsDet } from '../../src/util/linalg.ts';
import { DATA_DIR } from '../helpers/data.ts';
import { CHAIN, PROJECTION_ONLY, RESIDUAL_POOL, TRUNCATING } from '../helpers/nb101-specs.ts';
import { randomBatch } from '../proxies/zc-helpers.ts';

const owned: { dispose(): void }[] = [];
function own<T extends { dispose(): void }>(t: T): T {
  owned.push(t);
  return t;
}

let onnx: OnnxExecutor;
beforeAll(async () => {
  await initBackend('wasm');
  onnx = new OnnxExecutor();
});
afterAll(async () => {
  while (owned.length > 0) owned.pop()!.dispose();
  await tf.setBackend('cpu');
});

const CELL = ['nor_conv_3x3', 'skip_connect', 'nor_conv_1x1', 'avg_pool_3x3', 'none', 'nor_conv_3x3'];
const CELL2 = ['avg_pool_3x3', 'nor_conv_3x3', 'skip_connect', 'nor_conv_1x1', 'none', 'avg_pool_3x3'];

interface Case {
  name: string;
  graph: NetworkGraph;
  opts: TfjsRunOptions;
  values: (name: string) => Promise<Float32Array>;
  size: number;
}

function cases(): Case[] {
  const out: Case[] = [];
  const cell = (net: CellNetwork, name: string, size = 8) => {
    own(net);
    out.push({ name, graph: net.graph, opts: net.runOptions({ training: true, updateRunningStats: false }), values: (n) => net.values(n), size });
  };
  for (const bn of ['standard', 'no-affine', 'none-in-cells'] as BnVariant[]) cell(buildNB201Network(CELL, { C: 4, N: 1, numClasses: 5, bn, seed: 1 }), `NB201 bn ${bn}`);
  cell(buildNB201Network(CELL2, { C: 3, N: 2, numClasses: 5, bn: 'standard', fair: true, seed: 2 }), 'NB201 fair N=2');
  for (const [name, spec] of Object.entries({ RESIDUAL_POOL, CHAIN, PROJECTION_ONLY, TRUNCATING })) {
    cell(buildNB101Network(spec, { stemChannels: 8, numStacks: 2, cellsPerStack: 1, numClasses: 5, seed: 3 }), `NB101 ${name}`);
  }
  // odd spatial size: TF 'same' max-pool padding is asymmetric between stacks
  cell(buildNB101Network(RESIDUAL_POOL, { stemChannels: 8, numStacks: 2, cellsPerStack: 1, numClasses: 5, seed: 3 }), 'NB101 odd size', 9);
  cell(buildNB101Network(TRUNCATING, { stemChannels: 8, numStacks: 2, cellsPerStack: 1, numClasses: 5, seed: 3, bn: false }), 'NB101 BN-free');
  const sn = own(buildNB201Supernet({ C: 3, N: 1, numClasses: 5, seed: 4 }));
  out.push({ name: 'NB201 supernet path', graph: sn.graphFor({ path: CELL2 as never }), opts: { param: (n) => sn.store.variable(n), training: true }, values: (n) => sn.store.values(n), size: 8 });
  const s101 = own(buildNB101Supernet({ stemChannels: 8, numStacks: 2, cellsPerStack: 1, numClasses: 5, seed: 6, fair: true }));
  out.push({ name: 'NB101 supernet path (sliced)', graph: s101.graphFor(validateSpec(TRUNCATING)), opts: { param: (n) => s101.store.variable(n), training: true }, values: (n) => s101.store.values(n), size: 8 });
  return out;
}

async function weightsOf(c: Case): Promise<(name: string) => Float32Array> {
  const m = new Map<string, Float32Array>();
  for (const p of c.graph.params) m.set(p.name, await c.values(p.name));
  return (name) => m.get(name)!;
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return d / s;
}

describe('ONNX Runtime executor', () => {
  it('gives the tfjs logits and K for every supported kind of network', async () => {
    const all = cases();
    expect(all.length).toBe(12);
    for (const c of all) {
      const batch = randomBatch(4, c.size, 21);
      const x = tf.tensor4d(batch.x, [batch.n, c.size, c.size, 3]);
      const ref = tf.tidy(() => runGraph(c.graph, x, c.opts).dataSync());
      const K = reluCodeKernelTensor((onReluInput) => tf.tidy(() => void runGraph(c.graph, x, { ...c.opts, hooks: { onReluInput } })), batch.n);
      const refK = Float64Array.from(K.dataSync());
      K.dispose();
      x.dispose();
      expect(onnx.unsupported(c.graph), c.name).toBeNull();
      const out = await onnx.forwardGraph(c.graph, await weightsOf(c), batch, { reluKernel: true });
      expect(out.logits.length, c.name).toBe(ref.length);
      expect(maxRelDiff(out.logits, ref), c.name).toBeLessThan(1e-4);
      // K counts agreeing ReLU codes: integers, equal unless an input lies within rounding of 0
      for (let i = 0; i < refK.length; i++) expect(Number.isInteger(out.K![i]), c.name).toBe(true);
      expect(maxRelDiff(out.K!, refK), c.name).toBeLessThan(1e-3);
    }
  });

  it('detects a wrong weight (the comparison above can fail)', async () => {
    const c = cases()[0]!;
    const batch = randomBatch(4, 8, 21);
    const w = await weightsOf(c);
    const stem = c.graph.params[0]!.name;
    const bent = (name: string) => (name === stem ? w(name).map((v, i) => (i === 0 ? v + 0.5 : v)) : w(name));
    const a = await onnx.forwardGraph(c.graph, w, batch, { reluKernel: false });
    const b = await onnx.forwardGraph(c.graph, bent, batch, { reluKernel: false });
    expect(maxRelDiff(a.logits, b.logits)).toBeGreaterThan(1e-4);
  });

  it("names the op it cannot run (the mixed supernet's scale) and refuses to serialise it", () => {
    const sn = own(buildNB201Supernet({ C: 3, N: 1, numClasses: 5, seed: 4 }));
    const mixed = sn.graphFor({});
    expect(onnx.unsupported(mixed)).toMatch(/scale|external/);
    expect(() => buildOnnxModel(mixed, () => new Float32Array(0), { height: 8, width: 8, reluKernel: false })).toThrow(/scale|external/);
  });

  it('gives the NASWOT score of tfjs within 1e-5 on full-size NB201 cells and an NB101 cell (CIFAR-10)', async () => {
    const batch = trainingBatches(DATA_DIR, 'cifar10', 16, 1, 1, false)[0]!;
    const cells: { name: string; net: CellNetwork }[] = [
      ...[0, 4321, 11000].map((i) => ({ name: `NB201 #${i}`, net: buildVariant({ space: 'nb201', ops: cellFromIndex(i).ops }, { variant: 'naswot', numClasses: 10, seed: 5, nb101StemChannels: 16 }) })),
      { name: 'NB101 RESIDUAL_POOL', net: buildVariant({ space: 'nb101', spec: validateSpec(RESIDUAL_POOL) }, { variant: 'naswot', numClasses: 10, seed: 5, nb101StemChannels: 16 }) },
    ];
    const scores: number[] = [];
    for (const { name, net } of cells) {
      own(net);
      const a = logAbsDet(await onnx.reluKernel(net, batch), batch.n);
      const b = logAbsDet(await tfjsReluKernel(net, batch), batch.n);
      expect(Number.isFinite(a), name).toBe(true);
      expect(Math.abs(a - b) / Math.abs(b), name).toBeLessThanOrEqual(1e-5);
      scores.push(a);
    }
    // different cells, different scores: the executor does not return one constant
    expect(new Set(scores.map((s) => s.toFixed(6))).size).toBe(scores.length);
  });
});
