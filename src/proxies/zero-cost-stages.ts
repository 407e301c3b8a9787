/**
 * The zero-cost proxies' forward pass for either space: NB201 networks go through zcStages
 * (zero-cost-forward.ts), NB101 networks through zcStagesNB101 (zero-cost-forward-nb101.ts).
 * Proxies call these instead of either file directly, so each proxy's code is space-agnostic.
 */
import type * as tf from '@tensorflow/tfjs';
import type { NB101Network } from '../models/nb101-network.ts';
import type { CellNetwork } from '../models/network.ts';
import type { Network } from '../models/nb201-network.ts';
import { zcForwardNB101, zcStagesNB101 } from './zero-cost-forward-nb101.ts';
import { zcForward, zcStages, type ParamFn, type ZcForwardOptions, type ZcOutput, type ZcStage } from './zero-cost-forward.ts';

/** True for NB101 networks (they carry their spec; NB201 networks carry their cell). */
export function isNB101Network(network: CellNetwork): network is NB101Network {
  return 'spec' in network;
}

export function stagesOf(engine: typeof tf, network: CellNetwork, opts: ZcForwardOptions = {}): ZcStage[] {
  return isNB101Network(network) ? zcStagesNB101(engine, network, opts) : zcStages(engine, network as Network, opts);
}

export function forwardOf(engine: typeof tf, network: CellNetwork, x: tf.Tensor4D, param: ParamFn, opts: ZcForwardOptions = {}): ZcOutput {
  return isNB101Network(network) ? zcForwardNB101(engine, network, x, param, opts) : zcForward(engine, network as Network, x, param, opts);
}
