/**
 * First-order gradients of a loss through a network description, one stage at a time.
 *
 * Why not one tf.grads over the whole network: tfjs keeps every tensor a gradient needs, and every
 * intermediate gradient, until the whole backward pass ends (tape.ts never frees a consumed dy).
 * For the NB201 network at batch 64 that is 3.4 GB of live tensors, near the wasm heap's 4 GB cap.
 * Here the forward pass keeps only the stage boundaries (no tape); the backward pass then re-runs
 * each stage, last to first, under tf.grads with the upstream gradient as `dy` (a vector-Jacobian
 * product), and frees that stage's tape before the next. Peak memory: the boundaries plus one
 * stage's tape (0.73 GB for grad_norm at full size). Cost: one more forward pass (~+30% time).
 * The result is the same chain rule, term for term (tested equal to the whole-graph gradient).
 *
 * Stages are the graph's own (network-graph.ts: one tensor crosses each boundary). The lookup in
 * `opts.param` serves parameters and any extra tensor a hook reads by name (fisher's masks), and
 * everything in `wrt` is differentiated, whichever stage reads it.
 */
import * as tf from '@tensorflow/tfjs';
import type { NetworkGraph } from '../graph/network-graph.ts';
import { runStage, type TfjsRunOptions } from './tfjs-forward.ts';

export interface ChainedGradients {
  /** The loss (caller disposes). */
  loss: tf.Scalar;
  /** ∂loss/∂p for every requested name (zeros where the loss does not depend on it). Caller disposes. */
  grads: Map<string, tf.Tensor>;
  /** ∂loss/∂x when asked for. Caller disposes. */
  dx?: tf.Tensor;
}

/** Runs every stage without a tape, keeping the boundaries and recording which names each stage reads. */
export function stageBoundaries(graph: NetworkGraph, x: tf.Tensor, opts: TfjsRunOptions): { inputs: tf.Tensor[]; reads: string[][] } {
  const inputs: tf.Tensor[] = [x];
  const reads: string[][] = [];
  for (let k = 0; k < graph.stages; k++) {
    const names = new Set<string>();
    const out = tf.tidy(() =>
      runStage(graph, k, inputs[k]!, {
        ...opts,
        param: (n) => {
          names.add(n);
          return opts.param(n);
        },
      }),
    );
    if (k < graph.stages - 1) inputs.push(out);
    else out.dispose();
    reads.push([...names]);
  }
  return { inputs, reads };
}

export function chainedGradients(
  graph: NetworkGraph,
  x: tf.Tensor,
  opts: TfjsRunOptions,
  loss: (logits: tf.Tensor2D) => tf.Scalar,
  wrt: readonly string[],
  options: { inputGradient?: boolean } = {},
): ChainedGradients {
  if (opts.release) throw new RangeError('chainedGradients: release frees what a gradient needs');
  const wanted = new Set(wrt);
  const { inputs, reads } = stageBoundaries(graph, x, opts);
  const grads = new Map<string, tf.Tensor>();
  const accumulate = (name: string, g: tf.Tensor): void => {
    const prev = grads.get(name);
    if (prev) {
      grads.set(name, tf.add(prev, g));
      prev.dispose();
      g.dispose();
    } else grads.set(name, g);
  };
  let lossValue: tf.Scalar | undefined;
  let dy: tf.Tensor | undefined;
  let dx: tf.Tensor | undefined;
  const last = graph.stages - 1;
  try {
    for (let k = last; k >= 0; k--) {
      const isHead = k === last;
      const own = reads[k]!.filter((n) => wanted.has(n));
      const needInput = k > 0 || options.inputGradient === true;
      const xs = [...(needInput ? [inputs[k]!] : []), ...own.map((n) => opts.param(n))];
      if (xs.length === 0) continue; // stage 0 with nothing requested
      const f = (...ts: tf.Tensor[]): tf.Tensor => {
        const sub = new Map(own.map((n, i) => [n, ts[i + (needInput ? 1 : 0)]!]));
        const out = runStage(graph, k, needInput ? ts[0]! : inputs[k]!, { ...opts, param: (n) => sub.get(n) ?? opts.param(n) });
        if (!isHead) return out;
        const l = loss(out as tf.Tensor2D);
        lossValue = tf.keep(l.clone());
        return l;
      };
      const gs = tf.tidy(() => tf.grads(f)(xs, isHead ? undefined : dy));
      dy?.dispose();
      dy = undefined;
      let i = 0;
      if (needInput) {
        const g = gs[i++] ?? tf.zerosLike(inputs[k]!);
        if (k > 0) dy = g;
        else dx = g;
      }
      for (const n of own) accumulate(n, gs[i++] ?? tf.zerosLike(opts.param(n)));
      if (k > 0) inputs[k]!.dispose();
    }
  } finally {
    dy?.dispose();
    for (let k = 1; k < inputs.length; k++) if (!inputs[k]!.isDisposed) inputs[k]!.dispose();
  }
  for (const n of wanted) if (!grads.has(n)) grads.set(n, tf.zerosLike(opts.param(n)));
  if (!lossValue) throw new Error('chainedGradients: the head stage did not run');
  return { loss: lossValue, grads, ...(dx ? { dx } : {}) };
}
