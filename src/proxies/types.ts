/**
 * What a proxy is, for the registry, the CLI and the experiments. A proxy module exports one
 * descriptor; adding a proxy touches that file and the registry's list, nothing else.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ImageBatch } from '../datasets/types.ts';
import type { NB201NetworkOptions, Network } from '../models/nb201-network.ts';

export interface ProxyNeeds {
  /** Needs a batch of real images (false: data-free, e.g. synflow). */
  images: boolean;
  /** Needs the labels of that batch (a loss). */
  labels: boolean;
  /** Takes gradients (needs the wasm gradient kernels, more memory). */
  gradients: boolean;
}

/** Settings every proxy has; a proxy may add its own. */
export interface ProxySettings {
  /** Images per batch (the reference's value is the default). */
  batchSize: number;
  /** Apply the reference loader's crop + flip augmentation to the batch (src/datasets/augment.ts); default off. */
  augment?: boolean;
}

export interface ProxyDescriptor<S extends ProxySettings = ProxySettings> {
  name: string;
  /** One line for `--help` and reports, naming the reference it follows. */
  description: string;
  needs: ProxyNeeds;
  /**
   * Spaces whose networks the proxy can score (default ['nb201']). A proxy listing 'nb101' must
   * use only what every cell network has (src/models/network.ts: params, reluNames, apply).
   */
  spaces?: readonly ('nb201' | 'nb101')[];
  /** NB101 network options beyond stem and classes, where the proxy's variant differs (synflow: no BN). */
  nb101Network?: { bn?: boolean };
  defaults: S;
  /**
   * The network variant this proxy scores, given the dataset's class count (e.g. NASWOT uses one
   * output; the zero-cost proxies use the real class count and non-affine BN).
   */
  network(numClasses: number): Omit<NB201NetworkOptions, 'seed'>;
  /** Higher = predicted better. Must return a number (NaN/Inf are recorded by the caller, not hidden). */
  score(network: Network, batch: ImageBatch | null, settings: S, engine: typeof tf): number | Promise<number>;
}
