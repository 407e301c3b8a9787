/**
 * flops: multiply-adds per image in millions, NB201's official `flop` convention (conv and linear
 * layers of the 'standard' network; models/nb201-cost.ts). The input size is the batch's (32 for
 * CIFAR, 16 for ImageNet16-120), so this proxy asks for a batch although it reads no pixel.
 */
import { nb101Cost } from '../models/nb101-cost.ts';
import { nb201Cost } from '../models/nb201-cost.ts';
import { isNB101Network } from './zero-cost-stages.ts';
import type { ProxyDescriptor, ProxySettings } from './types.ts';

export const flops: ProxyDescriptor<ProxySettings> = {
  name: 'flops',
  description: "flops: multiply-adds (M) per image of the NB201 network at the batch's input size, the benchmark's `flop` convention",
  spaces: ['nb201', 'nb101'],
  needs: { images: true, labels: false, gradients: false },
  defaults: { batchSize: 1 },
  network: (numClasses) => ({ C: 16, N: 5, numClasses, bn: 'standard' }),
  score(network, batch) {
    if (!batch) throw new Error('flops needs a batch (for the input size)');
    if (batch.height !== batch.width) throw new RangeError(`flops expects square inputs, got ${batch.height}x${batch.width}`);
    if (isNB101Network(network)) {
      const { stemChannels, numStacks, cellsPerStack, numClasses } = network.options;
      return nb101Cost(network.spec, { stemChannels, numStacks, cellsPerStack, numClasses, inputSize: batch.height }).flops / 1e6;
    }
    const { C, N, numClasses, bn, fair } = network.options;
    return nb201Cost(network.cell, { C, N, numClasses, bn, fair, inputSize: batch.height }).flopsM;
  },
};
