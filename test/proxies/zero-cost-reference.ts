/**
 * The zero-cost formulas computed the slow, direct way for tests, on either space: one
 * whole-graph tf.grads (not the staged executor), layer outputs and their gradients taken as
 * gradients w.r.t. an additive zero at every conv / linear output (not fisher's mask), sums
 * written as loops in float64.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageBatch } from '../../src/datasets/types.ts';
import { ensureSecondOrderGradients } from '../../src/engine/second-order-gradients.ts';
import { crossEntropy, crossEntropySecondOrder } from '../../src/executors/losses.ts';
import { runGraph, type TfjsRunOptions } from '../../src/executors/tfjs-forward.ts';
import type { NetworkGraph } from '../../src/graph/network-graph.ts';
import { layerWeight } from '../../src/graph/network-graph.ts';
import type { CellNetwork } from '../../src/models/instantiate.ts';
import { forwardWith } from './zc-helpers.ts';

export interface DirectZeroCost {
  gradNorm: number;
  snip: number;
  fisher: number;
}

export function directZeroCost(net: CellNetwork, batch: ImageBatch): DirectZeroCost {
  const x = tf.tensor4d(batch.x, [batch.n, batch.height, batch.width, batch.channels]);
  const weights = net.graph.params.filter((p) => p.kind === 'conv' || p.kind === 'linear-weight');
  const layers = net.graph.nodes.filter((n) => layerWeight(n) !== undefined);
  // layer outputs a (a forward with a recording hook)
  const acts = new Map<string, tf.Tensor>();
  tf.tidy(() => {
    forwardWith(net, x, new Map(), {
      onNodeOutput: (y, node) => {
        const w = layerWeight(node);
        if (w) acts.set(w, tf.keep(y.clone()));
      },
    });
  });
  const deltas = layers.map((node) => tf.zerosLike(acts.get(layerWeight(node)!)!));
  const wValues = weights.map((p) => net.runOptions({ training: true }).param(p.name));
  const grads = tf.grads((...ts: tf.Tensor[]) => {
    const ws = ts.slice(0, weights.length);
    const ds = ts.slice(weights.length);
    const sub = new Map(weights.map((p, i) => [p.name, ws[i]!]));
    return crossEntropy(
      forwardWith(net, x, sub, {
        onNodeOutput: (y, node) => {
          const i = layers.indexOf(node);
          return i >= 0 ? tf.add(y, ds[i]!) : undefined;
        },
      }),
      batch.labels,
    );
  })([...wValues, ...deltas]);
  let gradNorm = 0;
  let snip = 0;
  weights.forEach((p, i) => {
    const g = grads[i]!.dataSync();
    const w = wValues[i]!.dataSync();
    let sq = 0;
    for (let k = 0; k < g.length; k++) {
      sq += g[k]! * g[k]!;
      snip += Math.abs(g[k]! * w[k]!);
    }
    gradNorm += Math.sqrt(sq);
  });
  let fisher = 0;
  const n = batch.n;
  layers.forEach((node, i) => {
    const w = layerWeight(node)!;
    const a = acts.get(w)!.dataSync();
    const g = grads[weights.length + i]!.dataSync();
    const c = node.channels;
    const perSample = a.length / n;
    const shape = weights.find((p) => p.name === w)!.shape;
    const fanIn = shape.slice(0, -1).reduce((s, v) => s * v, 1);
    for (let ch = 0; ch < c; ch++) {
      let sq = 0;
      for (let s = 0; s < n; s++) {
        let dot = 0;
        for (let j = ch; j < perSample; j += c) dot += a[s * perSample + j]! * g[s * perSample + j]!;
        sq += dot * dot;
      }
      fisher += 0.5 * (sq / n) * fanIn;
    }
  });
  tf.dispose([x, ...acts.values(), ...deltas, ...grads]);
  return { gradNorm, snip, fisher };
}

/** Whole-graph nested gradients: the reference the staged HVP is checked against (caller disposes). */
export function wholeHvp(graph: NetworkGraph, opts: TfjsRunOptions, x: tf.Tensor4D, labels: Int32Array, shift: tf.Tensor2D, names: string[], v: tf.Tensor[]): tf.Tensor[] {
  ensureSecondOrderGradients();
  const loss = (ws: tf.Tensor[]) => {
    const sub = new Map(names.map((n, i) => [n, ws[i]!]));
    return crossEntropySecondOrder(runGraph(graph, x, { ...opts, secondOrder: true, param: (n) => sub.get(n) ?? opts.param(n) }), labels, shift);
  };
  const w0 = names.map((n) => opts.param(n).clone());
  const hv = tf.tidy(() =>
    tf.grads((...ws: tf.Tensor[]) => {
      const g = tf.grads((...inner: tf.Tensor[]) => loss(inner))(ws);
      return tf.addN(g.map((t, i) => tf.sum(tf.mul(t, v[i]!)))) as tf.Scalar;
    })(w0),
  );
  tf.dispose(w0);
  return hv;
}
