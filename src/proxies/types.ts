/**
 * The proxy contract. A proxy is one file exporting one `ProxyDefinition` plus one line in
 * registry.ts, as in zero-cost-nas's `measures/`. Its declaration states everything the harness
 * must prepare and everything that makes two scores comparable:
 *   - `network`: the network variant it scores, by name (variants.ts: per space, which BN
 *     variant, how many outputs, which initialisation);
 *   - `needs`: images or data-free, labels, gradient order, how many image batches and how many
 *     network initialisations;
 *   - `version`: bumped whenever the proxy's computation changes (the score cache key carries it,
 *     so a changed proxy never reuses the old one's scores).
 * The proxy gets a `ProxyContext` (context.ts) offering the forward pass with hooks, gradients
 * and Hessian-vector products, memoised per network and batch. It never chooses an executor
 * (the context runs ONNX Runtime where it is faster and supports the request, tfjs otherwise) and
 * never casts or inspects the network's space-specific type.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ImageBatch } from '../datasets/types.ts';
import type { GraphHooks } from '../executors/tfjs-forward.ts';
import type { CellNetwork } from '../models/instantiate.ts';
import type { NetworkVariantName } from './variants.ts';

export type Space = 'nb201' | 'nb101';

export interface ProxyNeeds {
  /** 'batch': real training images (labels when `labels`); 'none': data-free (the dataset still sets classes and image size). */
  images: 'batch' | 'none';
  /** Needs the labels of the batch (a loss). */
  labels: boolean;
  /** Gradient order: none (forward only), first, or second (Hessian-vector products). */
  gradients: 'none' | 'first' | 'second';
  /** Disjoint image batches the proxy reads (default 1; ZiCo's statistics need 2). */
  batches?: number;
  /** Independent initialisations of the network (default 1; SWAP averages over re-initialisations). */
  inits?: number;
}

/** Settings every proxy has; a proxy may add its own (they are part of the cache key). */
export interface ProxySettings {
  /** Images per batch (the reference's value is the default). */
  batchSize: number;
  /** Apply the reference loader's crop + flip augmentation to the batch (src/datasets/augment.ts); default off. */
  augment?: boolean;
}

/** A score, or a score with named parts reported separately (TE-NAS, AZ-NAS). */
export type ProxyScore = number | { score: number; parts: Readonly<Record<string, number>> };

export interface ProxyDefinition<S extends ProxySettings = ProxySettings> {
  name: string;
  /** One line for `--help` and reports. */
  description: string;
  /** The reference file the computation follows (repository and path). */
  reference: string;
  version: number;
  spaces: readonly Space[];
  network: NetworkVariantName;
  needs: ProxyNeeds;
  defaults: S;
  /** Names of the parts `score` reports (absent: a single number). */
  parts?: readonly string[];
  /** Higher = predicted better. NaN/Inf are recorded by the caller, never hidden. */
  score(ctx: ProxyContext<S>): Promise<ProxyScore>;
  /**
   * For proxies whose published score is defined over a population (TE-NAS and AZ-NAS combine
   * their parts by ranks across the scored cells): the combined score of every cell, from each
   * cell's parts, in order. NaN parts give NaN (never ranked). Absent: `score` is final.
   */
  combine?(parts: readonly Readonly<Record<string, number>>[]): Float64Array;
}

/** What a gradient request differentiates, and with respect to what. */
export interface GradRequest {
  /** Mean cross-entropy against the batch's labels, or the sum of all logits (jacob_cov). */
  loss: 'cross-entropy' | 'sum-logits';
  /**
   * With 'sum-logits': only sample i's logits are summed (the forward still runs on the whole
   * batch, so train-mode BN couples the samples): one row of TE-NAS's per-sample Jacobian.
   */
  sample?: number;
  /** ∂L/∂W for every conv and linear weight (the zero-cost saliency weights). */
  weights?: boolean;
  /** Σ over positions of a · ∂L/∂a per sample and channel, for every conv / linear output a (fisher). */
  layerOutputs?: boolean;
  /** ∂L/∂x for the input batch. */
  input?: boolean;
  /** Which batch (index into ctx.batches, default 0). */
  batch?: number;
  /** Which initialisation (index, default 0). */
  init?: number;
}

export interface LayerOutputGrads {
  n: number;
  c: number;
  /** [n, c] row-major. */
  v: Float32Array;
}

export interface GradResult {
  loss: number;
  /** By weight name (conv / linear weights), in tfjs layout. */
  weights: ReadonlyMap<string, Float32Array>;
  /** By the layer's weight name. */
  layerOutputs: ReadonlyMap<string, LayerOutputGrads>;
  /** NHWC, flattened per sample. */
  input?: Float32Array;
}

export interface ScaledGradResult {
  /** ln of the output's scale S: the true ∂R/∂w is exp(S) · grads. */
  logScale: number;
  /** ∂g/∂|w| for every conv / linear weight, g = R / exp(S). */
  grads: ReadonlyMap<string, Float32Array>;
  /** |w| for those weights. */
  absWeights: ReadonlyMap<string, Float32Array>;
}

export interface ProxyContext<S extends ProxySettings = ProxySettings> {
  readonly space: Space;
  readonly settings: S;
  /** The cell's network in the declared variant (initialisation 0). */
  readonly network: CellNetwork;
  /** Initialisation i (0 .. needs.inits - 1), built on first use. */
  networkAt(init: number): CellNetwork;
  readonly numClasses: number;
  /** The dataset's image size: what a data-free proxy feeds (32 for CIFAR, 16 for ImageNet16-120). */
  readonly imageSize: { height: number; width: number };
  /** needs.batches disjoint batches (empty for data-free proxies). */
  readonly batches: readonly ImageBatch[];
  /** The conv and linear weights (the zero-cost references' saliency weights), in module order. */
  readonly saliencyWeights: readonly { name: string; shape: readonly number[] }[];
  /** A train-mode (unless `training: false`) forward on tfjs with hooks; returns the logits (caller disposes). */
  forward(opts?: { batch?: number; input?: tf.Tensor4D; hooks?: GraphHooks; training?: boolean; init?: number }): Promise<tf.Tensor2D>;
  /** NASWOT's K = Σ over ReLUs of (s sᵀ + units)/2 with s = 2·[x > 0] - 1 of the ReLU inputs (n x n, float64). */
  reluKernel(opts?: { batch?: number; init?: number }): Promise<Float64Array>;
  /** Gradients (memoised per request). */
  grads(req: GradRequest): Promise<GradResult>;
  /** H v for the cross-entropy on a batch, v and the result by saliency weight name. */
  hvp(v: ReadonlyMap<string, Float32Array>, opts?: { batch?: number; init?: number }): Promise<Map<string, Float32Array>>;
  /** synflow's pass: R = Σ logits of the |w| network on one all-ones image, log-scaled. */
  absWeightGradients(opts?: { init?: number }): Promise<ScaledGradResult>;
  /** The tfjs engine, for proxies with tensor work of their own. */
  readonly tf: typeof tf;
}
