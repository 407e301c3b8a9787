/**
 * flops: multiply-adds (in millions) per image of the cell's network at the dataset's image size
 * (32 CIFAR, 16 ImageNet16-120), the benchmarks' `flop` convention (src/graph/cost.ts).
 */
import { graphFlops } from '../graph/cost.ts';
import type { ProxyDefinition, ProxySettings } from './types.ts';

export const flops: ProxyDefinition<ProxySettings> = {
  name: 'flops',
  description: "flops: multiply-adds (M) per image of the cell's network at the dataset's image size, the benchmark's `flop` convention",
  reference: 'NB201\'s flop convention: xautodl get_model_infos (conv and linear multiply-adds)',
  version: 2,
  spaces: ['nb201', 'nb101'],
  network: 'standard',
  needs: { images: 'none', labels: false, gradients: 'none' },
  defaults: { batchSize: 1 },
  async score(ctx) {
    if (ctx.imageSize.height !== ctx.imageSize.width) throw new RangeError(`flops expects square inputs, got ${ctx.imageSize.height}x${ctx.imageSize.width}`);
    return graphFlops(ctx.network.graph, ctx.imageSize.height) / 1e6;
  },
};
