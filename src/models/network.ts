/**
 * What every cell network offers a proxy, whichever space it comes from: its parameters (with
 * kind labels), its ReLUs in call order, a forward pass and disposal. The NB201 and NB101
 * builders each return a richer type that satisfies this one.
 */
import type * as tf from '@tensorflow/tfjs';
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
