/**
 * GraSP (Wang et al., ICLR 2020) as the zero-cost reference computes it (SamsungLabs/zero-cost-nas,
 * measures/grasp.py, T = 1, one iteration): with W the conv and linear weights, L the mean
 * cross-entropy of one batch (train mode, cell BN without affine/running stats, batch 64),
 *   g = ∂L/∂W (a constant), Hg = ∂/∂W (g · ∂L/∂W) (Hessian-vector product by nested gradients),
 *   score = Σ over those weights of -w · (Hg)_w.
 * At full size H g is taken stage by stage (staged-hvp.ts: the whole-graph nested gradient,
 * `lossGradAndHvp` below, passes wasm's 4 GB heap at batch 64; it stays as the reference the
 * staged one is tested against). g is the shared first-order pass (zero-cost-forward.ts).
 * The nested gradient needs gradients tfjs lacks (zero-cost-hvp.ts); the forward is zcForward,
 * whose avg_pool_3x3 has correct (first and second) gradients. The loss avoids tf.logSoftmax and
 * tf.exp: tfjs's gradients of kernels that save their OUTPUT (Exp, LogSoftmax, Softmax, ...) use
 * a copy detached from the outer tape, so their second derivative comes out wrong (Exp's HVP is
 * half the true one); `crossEntropySecondOrder` uses an exp whose gradient recomputes exp from
 * its input, and a per-row max shift taken as a constant (CE does not depend on it).
 */
import type * as tf from '@tensorflow/tfjs';
import type { ImageBatch } from '../datasets/types.ts';
import type { Network } from '../models/nb201-network.ts';
import type { ProxyDescriptor, ProxySettings } from './types.ts';
import { stagedHvp } from './staged-hvp.ts';
import { batchTensor, lossGradients, saliencyWeights, zcForward } from './zero-cost-forward.ts';
import { stagesOf } from './zero-cost-stages.ts';
import { ensureSecondOrderGradients } from './zero-cost-hvp.ts';

/** exp whose gradient is dy · exp(x) computed from x (correct under nested gradients). */
function expTwice(engine: typeof tf): (x: tf.Tensor) => tf.Tensor {
  return engine.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([x]);
    return { value: engine.exp(x), gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => engine.mul(dy as tf.Tensor, engine.exp(saved[0]!)) };
  }) as unknown as Parameters<typeof engine.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;
}

/** Mean cross-entropy, differentiable twice in tfjs (see the file comment). */
export function crossEntropySecondOrder(engine: typeof tf, logits: tf.Tensor2D, labels: Int32Array): tf.Scalar {
  const [n, k] = logits.shape;
  // the shift is a constant: a tensor made from values, not from the graph
  const shift = engine.tensor2d(Float32Array.from(engine.tidy(() => engine.max(logits, 1).dataSync())), [n, 1]);
  const z = engine.sub(logits, shift);
  const lse = engine.log(engine.sum(expTwice(engine)(z), 1));
  const picked = engine.sum(engine.mul(engine.oneHot(engine.tensor1d(labels, 'int32'), k), z), 1);
  return engine.mean(engine.sub(lse, picked)) as tf.Scalar;
}

/**
 * The loss gradient g and the Hessian-vector product H v at the network's weights, for the
 * saliency weights in order (v defaults to g). Caller disposes the returned tensors.
 */
export function lossGradAndHvp(
  engine: typeof tf,
  network: Network,
  batch: ImageBatch,
  v?: tf.Tensor[],
): { g: tf.Tensor[]; hv: tf.Tensor[] } {
  ensureSecondOrderGradients();
  const weights = saliencyWeights(network);
  const all = new Map(network.params.map((p) => [p.name, p.variable as tf.Tensor]));
  const x = batchTensor(engine, batch);
  const loss = (ws: tf.Tensor[]): tf.Scalar => {
    const sub = new Map(all);
    weights.forEach((p, i) => sub.set(p.name, ws[i]!));
    return crossEntropySecondOrder(engine, zcForward(engine, network, x, (name) => sub.get(name)!, { secondOrder: true }).logits, batch.labels);
  };
  try {
    const w0 = weights.map((p) => p.variable.clone() as tf.Tensor);
    const g = engine.tidy(() => engine.grads((...ws: tf.Tensor[]) => loss(ws))(w0));
    const dir = v ?? g;
    const hv = engine.tidy(() =>
      engine.grads((...ws: tf.Tensor[]) => {
        const gf = engine.grads((...inner: tf.Tensor[]) => loss(inner))(ws);
        return engine.addN(gf.map((t, i) => engine.sum(engine.mul(t, dir[i]!)))) as tf.Scalar;
      })(w0),
    );
    engine.dispose(w0);
    return { g, hv };
  } finally {
    x.dispose();
  }
}

export const grasp: ProxyDescriptor<ProxySettings> = {
  name: 'grasp',
  description: 'grasp: Σ -w·(Hg) over conv/linear weights, g = ∂L/∂w (Wang et al. 2020, as in SamsungLabs/zero-cost-nas)',
  spaces: ['nb201', 'nb101'],
  needs: { images: true, labels: true, gradients: true },
  defaults: { batchSize: 64 },
  network: (numClasses) => ({ C: 16, N: 5, numClasses, bn: 'no-affine' }),
  score(network, batch, _settings, engine) {
    if (!batch) throw new Error('grasp needs a batch of images');
    // g is the first-order pass grad_norm/snip/fisher share; H g goes stage by stage (bounded memory)
    const g = lossGradients(engine, network, batch).weights;
    const weights = saliencyWeights(network);
    const byName = new Map(network.params.map((p) => [p.name, p.variable as tf.Tensor]));
    const v = new Map(weights.map((p) => [p.name, engine.tensor(g.get(p.name)!, p.variable.shape)]));
    const x = batchTensor(engine, batch);
    try {
      const hg = stagedHvp(engine, stagesOf(engine, network, { secondOrder: true }), x, (n) => byName.get(n)!, (logits) => crossEntropySecondOrder(engine, logits, batch.labels), v);
      let total = 0;
      for (const p of weights) {
        const w = p.variable.dataSync();
        const h = hg.get(p.name)!.dataSync();
        for (let k = 0; k < w.length; k++) total -= w[k]! * h[k]!;
      }
      engine.dispose([...hg.values()]);
      return total;
    } finally {
      x.dispose();
      engine.dispose([...v.values()]);
    }
  },
};
