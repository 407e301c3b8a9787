/**
 * Hessian-vector products H v of a loss through a network description, by nested gradients
 * inside ONE stage at a time, so memory stays bounded like tfjs-gradients.ts.
 *
 * Why: nested gradients over the whole network keep the whole first backward graph alive for the
 * second; for the NB201 network at batch 64 that passes the wasm heap's 4 GB cap and the process
 * aborts. (A central difference of gradients is no substitute: ReLU kinks make the gradient
 * non-smooth, and in float32 no step size gave the HVP to better than tens of percent.)
 *
 * The chain rule, forward-over-reverse, stage k: h_{k+1} = M_k(h_k, w_k), loss ℓ at the head.
 * 1. Boundaries h_k (no tape).
 * 2. Tangents ḣ_{k+1} = J_h ḣ_k + J_w v_k, ḣ_0 = 0 (the input is data). A Jacobian-vector
 *    product from reverse mode: J t = ∇_u ⟨∇_{(h,w)} ⟨u, M_k⟩, t⟩ (the inner gradient is linear
 *    in u, so its value at u = 0 serves).
 * 3. Backward with cotangents a_k = ∂ℓ/∂h_k and their tangents ȧ_k:
 *    (a_k, g_k) = ∇_{(h,w)} ⟨a_{k+1}, M_k⟩,
 *    (ȧ_k, (Hv)_k) = ∇_{(h,w)} [ ⟨∇_{(h,w)} ⟨a_{k+1}, M_k⟩, (ḣ_k, v_k)⟩ + ⟨ȧ_{k+1}, M_k⟩ ],
 *    and at the head the same with ⟨a, M⟩ replaced by the loss itself and no ȧ term.
 * Every quantity is the exact (float32) derivative; the tests check the result against the
 * whole-graph nested HVP, itself checked against finite differences. Cost: about three gradient
 * passes. The run options get `secondOrder` (BN by tf.mean, whose second derivatives are right);
 * the loss must be differentiable twice in tfjs; ensureSecondOrderGradients() registers the
 * gradients tfjs lacks.
 */
import * as tf from '@tensorflow/tfjs';
import { ensureSecondOrderGradients } from '../engine/second-order-gradients.ts';
import type { NetworkGraph } from '../graph/network-graph.ts';
import { runStage, type TfjsRunOptions } from './tfjs-forward.ts';
import { stageBoundaries } from './tfjs-gradients.ts';

export function stagedHvp(
  graph: NetworkGraph,
  x: tf.Tensor,
  runOptions: TfjsRunOptions,
  loss: (logits: tf.Tensor2D) => tf.Scalar,
  v: ReadonlyMap<string, tf.Tensor>,
): Map<string, tf.Tensor> {
  ensureSecondOrderGradients();
  const opts: TfjsRunOptions = { ...runOptions, secondOrder: true, release: false };
  const last = graph.stages - 1;
  const dot = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.sum(tf.mul(a, b));
  const boundaries = stageBoundaries(graph, x, opts);
  const inputs = boundaries.inputs;
  const reads = boundaries.reads.map((names) => names.filter((n) => v.has(n)));
  /** Runs stage k on (h, own params) given as tensors; other params from the lookup. */
  const runK = (k: number, h: tf.Tensor, ws: readonly tf.Tensor[]): tf.Tensor => {
    const sub = new Map(reads[k]!.map((n, i) => [n, ws[i]!]));
    return runStage(graph, k, h, { ...opts, param: (n) => sub.get(n) ?? opts.param(n) });
  };
  const tangents: (tf.Tensor | undefined)[] = [undefined];
  const hv = new Map<string, tf.Tensor>();
  let a: tf.Tensor | undefined;
  let aDot: tf.Tensor | undefined;
  try {
    // 2. tangents forward
    for (let k = 0; k < last; k++) {
      const own = reads[k]!;
      const hDot = tangents[k];
      const ws = own.map((n) => opts.param(n));
      const tangentIn = [...(hDot ? [hDot] : []), ...own.map((n) => v.get(n)!)];
      if (tangentIn.length === 0) {
        tangents.push(tf.zerosLike(inputs[k + 1]!));
        continue;
      }
      const u0 = tf.zerosLike(inputs[k + 1]!);
      const next = tf.tidy(() =>
        tf.grads((u: tf.Tensor) => {
          const xs = [...(hDot ? [inputs[k]!] : []), ...ws];
          const inner = tf.grads((...ys: tf.Tensor[]) => dot(u, runK(k, hDot ? ys[0]! : inputs[k]!, hDot ? ys.slice(1) : ys)))(xs);
          return tf.addN(inner.map((g, i) => dot(g, tangentIn[i]!))) as tf.Scalar;
        })([u0])[0]!,
      );
      u0.dispose();
      tangents.push(next);
    }
    // 3. backward with tangents, head first
    for (let k = last; k >= 0; k--) {
      const own = reads[k]!;
      const useH = k > 0;
      const hDot = tangents[k];
      const xs = [...(useH ? [inputs[k]!] : []), ...own.map((n) => opts.param(n))];
      const tangentIn = [...(useH ? [hDot!] : []), ...own.map((n) => v.get(n)!)];
      if (xs.length === 0) continue;
      let aNext: tf.Tensor | undefined;
      const outer = tf.tidy(() =>
        tf.grads((...ts: tf.Tensor[]) => {
          const split = (ys: tf.Tensor[]): [tf.Tensor, tf.Tensor[]] => (useH ? [ys[0]!, ys.slice(1)] : [inputs[k]!, ys]);
          const first = (...ys: tf.Tensor[]): tf.Scalar => {
            const [h, ws] = split(ys);
            const out = runK(k, h, ws);
            return k === last ? loss(out as tf.Tensor2D) : dot(a!, out);
          };
          const inner = tf.grads(first)(ts);
          if (useH) aNext = tf.keep(inner[0]!.clone());
          let psi = tf.addN(inner.map((g, i) => dot(g, tangentIn[i]!))) as tf.Scalar;
          if (k < last) {
            const [h, ws] = split(ts);
            psi = tf.add(psi, dot(aDot!, runK(k, h, ws)));
          }
          return psi;
        })(xs),
      );
      a?.dispose();
      aDot?.dispose();
      a = aNext;
      aDot = useH ? outer[0] : undefined;
      own.forEach((n, i) => {
        const g = outer[i + (useH ? 1 : 0)]!;
        const prev = hv.get(n);
        if (prev) {
          hv.set(n, tf.add(prev, g));
          prev.dispose();
          g.dispose();
        } else hv.set(n, g);
      });
      if (!useH) outer.slice(own.length).forEach((t) => t.dispose());
    }
  } finally {
    a?.dispose();
    aDot?.dispose();
    for (let k = 1; k < inputs.length; k++) inputs[k]!.dispose();
    for (const t of tangents) t?.dispose();
  }
  for (const n of v.keys()) if (!hv.has(n)) hv.set(n, tf.zerosLike(opts.param(n)));
  return hv;
}
