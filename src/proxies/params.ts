/**
 * params: the network's trainable parameter count in millions, NB201's official `params`
 * (the 'standard' network, BN affine everywhere; see models/nb201-cost.ts). A cheap baseline of
 * the zero-cost paper (its NB201 params/flops come from the benchmark's cost info). Data-free.
 */
import { nb101Cost } from '../models/nb101-cost.ts';
import { nb201Cost } from '../models/nb201-cost.ts';
import { isNB101Network } from './zero-cost-stages.ts';
import type { ProxyDescriptor, ProxySettings } from './types.ts';

export const params: ProxyDescriptor<ProxySettings> = {
  name: 'params',
  description: "params: trainable parameters (M) of the NB201 network, the benchmark's `params` convention",
  needs: { images: false, labels: false, gradients: false },
  defaults: { batchSize: 1 },
  network: (numClasses) => ({ C: 16, N: 5, numClasses, bn: 'standard' }),
  spaces: ['nb201', 'nb101'],
  score(network) {
    if (isNB101Network(network)) {
      const { stemChannels, numStacks, cellsPerStack, numClasses } = network.options;
      return nb101Cost(network.spec, { stemChannels, numStacks, cellsPerStack, numClasses }).params / 1e6;
    }
    const { C, N, numClasses, bn, fair } = network.options;
    return nb201Cost(network.cell, { C, N, numClasses, bn, fair }).paramsM;
  },
};
