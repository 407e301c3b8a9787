/**
 * First-order gradients of a loss through a staged forward pass (zcStages), one stage at a time.
 *
 * Why not one tf.grads over the whole network: tfjs keeps every tensor a gradient needs, and every
 * intermediate gradient, until the whole backward pass ends (tape.ts never frees a consumed dy).
 * For the NB201 network at batch 64 that is 3.4 GB of live tensors, near the wasm heap's 4 GB cap
 * (grasp's nested gradients went over it and aborted). Here the forward pass keeps only the
 * stage boundaries (no tape); the backward pass then re-runs each stage, last to first, under
 * tf.grads with the upstream gradient as `dy` (a vector-Jacobian product), and frees that
 * stage's tape before the next. Peak memory: the boundaries plus one stage's tape. Cost: one
 * more forward pass (~+30% time). The result is the same chain rule, term for term.
 *
 * Not for `rescale` (synflow runs at batch 1 and takes the whole-graph route) and not for nested
 * gradients.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ParamFn, Scaled, ZcStage } from './zero-cost-forward.ts';

export interface ChainedGradients {
  /** The loss value. */
  loss: number;
  /** ∂loss/∂p for every requested name (zeros where the loss does not depend on it). Caller disposes. */
  grads: Map<string, tf.Tensor>;
  /** ∂loss/∂x when asked for. Caller disposes. */
  dx?: tf.Tensor;
}

export function chainedGradients(
  engine: typeof tf,
  stages: readonly ZcStage[],
  x: tf.Tensor,
  param: ParamFn,
  loss: (logits: tf.Tensor2D) => tf.Scalar,
  wrt: readonly string[],
  opts: { inputGradient?: boolean } = {},
): ChainedGradients {
  const wanted = new Set(wrt);
  // Forward without a tape: keep each stage's input and record which parameters it reads (the
  // head's output is not kept: only its reads are needed).
  const inputs: tf.Tensor[] = [x];
  const reads: string[][] = [];
  for (let k = 0; k < stages.length; k++) {
    const names = new Set<string>();
    const out = engine.tidy(() => {
      const r = stages[k]!({ t: inputs[k]!, s: 0 }, (n) => {
        names.add(n);
        return param(n);
      });
      if (r.s !== 0) throw new RangeError('chainedGradients: stages must not rescale');
      return r.t;
    });
    if (k < stages.length - 1) inputs.push(out);
    else out.dispose();
    reads.push([...names]);
  }
  const grads = new Map<string, tf.Tensor>();
  const accumulate = (name: string, g: tf.Tensor): void => {
    const prev = grads.get(name);
    if (prev) {
      grads.set(name, engine.add(prev, g));
      prev.dispose();
      g.dispose();
    } else grads.set(name, g);
  };
  let lossValue = NaN;
  let dy: tf.Tensor | undefined;
  let dx: tf.Tensor | undefined;
  try {
    for (let k = stages.length - 1; k >= 0; k--) {
      const isHead = k === stages.length - 1;
      const names = reads[k]!;
      const own = names.filter((n) => wanted.has(n));
      const needInput = k > 0 || opts.inputGradient === true;
      const xs = [...(needInput ? [inputs[k]!] : []), ...own.map((n) => param(n))];
      const f = (...ts: tf.Tensor[]): tf.Tensor => {
        const sub = new Map(own.map((n, i) => [n, ts[i + (needInput ? 1 : 0)]!]));
        const h: Scaled<tf.Tensor> = { t: needInput ? ts[0]! : inputs[k]!, s: 0 };
        const out = stages[k]!(h, (n) => sub.get(n) ?? param(n)).t;
        if (!isHead) return out;
        const l = loss(out as tf.Tensor2D);
        lossValue = l.dataSync()[0]!;
        return l;
      };
      if (xs.length === 0) continue; // stage 0 with nothing requested
      const gs = engine.tidy(() => engine.grads(f)(xs, isHead ? undefined : dy));
      dy?.dispose();
      dy = undefined;
      let i = 0;
      if (needInput) {
        const g = gs[i++] ?? engine.zerosLike(inputs[k]!);
        if (k > 0) dy = g;
        else dx = g;
      }
      for (const n of own) accumulate(n, gs[i++] ?? engine.zerosLike(param(n)));
      if (k > 0) inputs[k]!.dispose();
    }
  } finally {
    dy?.dispose();
    for (let k = 1; k < inputs.length; k++) if (!inputs[k]!.isDisposed) inputs[k]!.dispose();
  }
  for (const n of wanted) if (!grads.has(n)) grads.set(n, engine.zerosLike(param(n)));
  return { loss: lossValue, grads, ...(dx ? { dx } : {}) };
}
