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
  readonly params: readonly CellNetworkParam[];
  readonly reluNames: readonly string[];
  apply(x: tf.Tensor4D, opts: ApplyOptions): tf.Tensor2D;
  dispose(): void;
}
