/**
 * params: the trainable parameters (in millions) of the cell's network at the benchmark's own
 * sizes (variant 'standard'), the benchmarks' `params` convention (NB201: PyTorch's count / 1e6;
 * NB101: TF's trainable_parameters / 1e6), read off the network description (src/graph/cost.ts).
 * A baseline of the zero-cost and NBSZ papers.
 */
import { graphParams } from '../graph/cost.ts';
import type { ProxyDefinition, ProxySettings } from './types.ts';

export const params: ProxyDefinition<ProxySettings> = {
  name: 'params',
  description: "params: trainable parameters (M) of the cell's network, the benchmark's `params` convention",
  reference: 'the benchmarks\' own counts: NB201 xautodl count_parameters_in_MB (1e6), NB101 trainable_parameters',
  version: 2,
  spaces: ['nb201', 'nb101'],
  network: 'standard',
  needs: { images: 'none', labels: false, gradients: 'none' },
  defaults: { batchSize: 1 },
  async score(ctx) {
    return graphParams(ctx.network.graph) / 1e6;
  },
};
