/**
 * What supernet training needs to know about a search space, so that one trainer (train.ts),
 * one resumable-run helper (train-run.ts) and one step-time calibration (train-timing.ts) serve
 * both the NB201 supernet (nb201-supernet.ts) and the NB101 one (nb101-supernet.ts):
 *   - how a training step draws its single path (a counter-based draw: a function of (seed, step),
 *     so a resumed run draws what an uninterrupted one would have);
 *   - which parameters belong to a candidate op (BN-only training trains exactly their BN γ/β,
 *     gamma snapshots copy exactly their γ), and
 *   - which of those a given path uses (only they get a gradient; the optimiser leaves the rest
 *     alone, as PyTorch does for parameters whose .grad is None).
 */
import type * as tf from '@tensorflow/tfjs';
import type { ApplyOptions, ParamKind } from '../models/nb201-network.ts';

/** The part of a supernet parameter the trainer reads (each space's params carry more labels). */
export interface SupernetParam {
  name: string;
  kind: ParamKind;
  variable: tf.Variable;
}

/** Anything that runs a single path (what the fair-BN parts need of a supernet). */
export interface PathForward<P> {
  apply(x: tf.Tensor4D, opts: ApplyOptions & { path: P }): tf.Tensor2D;
}

/** A supernet as the trainer sees it: parameters, BN buffers, a single-path forward. */
export interface TrainableSupernet<P> {
  /** Plain JSON settings: part of a checkpoint's identity. */
  readonly options: { readonly numClasses: number };
  readonly params: readonly SupernetParam[];
  readonly buffers: readonly { name: string; variable: tf.Variable }[];
  apply(x: tf.Tensor4D, opts: ApplyOptions & { path: P }): tf.Tensor2D;
  dispose(): void;
}

export interface SupernetSpace<P> {
  readonly name: string;
  /** Step `step`'s training path. */
  samplePath(seed: number, step: number): P;
  /** Whether the parameter sits inside a candidate op. */
  isOpParam(p: SupernetParam): boolean;
  /** Whether `path`'s forward pass uses the parameter (true for the fixed parts of the network). */
  onPath(p: SupernetParam, path: P): boolean;
}

/** A space's supernet builder with its trainer adapter: what a resumable run needs to build one. */
export interface SupernetKind<P, S extends TrainableSupernet<P>, O> {
  readonly space: SupernetSpace<P>;
  build(options: O): S;
}
