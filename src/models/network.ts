/**
 * What every cell network offers a proxy, whichever space it comes from: its parameters (with
 * kind labels), its ReLUs in call order, a forward pass and disposal. The NB201 and NB101
 * builders each return a richer type that satisfies this one.
 */
import * as tf from '@tensorflow/tfjs';
import type { ApplyOptions, ParamKind } from './nb201-network.ts';

export interface CellNetworkParam {
  name: string;
  kind: ParamKind;
  variable: tf.Variable;
}

export interface CellNetwork {
  /** Every trainable parameter, in module order. */
  readonly params: readonly CellNetworkParam[];
  /** ReLU names in the order a forward pass calls `onReluInput`. */
  readonly reluNames: readonly string[];
  /** x: [batch, H, W, 3] (NHWC). Returns logits [batch, numClasses]. */
  apply(x: tf.Tensor4D, opts: ApplyOptions): tf.Tensor2D;
  dispose(): void;
}

/** One stage of a network's body: a cell, a reduction block, a stack module. */
export type ModuleForward = (x: tf.Tensor4D, ctx: ApplyOptions) => tf.Tensor4D;

/**
 * Runs the body's modules in order. With `releaseIntermediates` (forward-only use: no gradient is
 * taken), each module runs in its own tidy scope and its input is freed as soon as its output
 * exists, so peak memory is about one module's activations instead of the whole network's
 * (3.5 GB vs 0.67 GB for NB201 at batch 128, near wasm's 4 GB cap). `x` (the caller's input) is
 * never freed, and neither is a module's input that it returns unchanged.
 */
export function runModules(modules: readonly ModuleForward[], h: tf.Tensor4D, x: tf.Tensor4D, ctx: ApplyOptions): tf.Tensor4D {
  for (const module of modules) {
    if (!ctx.releaseIntermediates) {
      h = module(h, ctx);
      continue;
    }
    const input = h;
    h = tf.tidy(() => module(input, ctx));
    if (h !== input && input !== x) input.dispose();
  }
  return h;
}

/**
 * A network's dispose(): frees every parameter and buffer variable once (a second call does
 * nothing, so callers that share a network may each dispose it).
 */
export function disposeOnce(owned: { params: readonly { variable: tf.Variable }[]; buffers: readonly { variable: tf.Variable }[] }): () => void {
  let disposed = false;
  return () => {
    if (disposed) return;
    disposed = true;
    for (const p of owned.params) p.variable.dispose();
    for (const b of owned.buffers) b.variable.dispose();
  };
}
