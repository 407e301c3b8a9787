/**
 * meco (MeCo, Jiang et al., NeurIPS 2023): Σ over the network's layers of the smallest eigenvalue
 * of the channel × channel Pearson correlation matrix of ONE sample's feature map, from one
 * forward pass of one Gaussian input.
 *
 * Reference: HamsterMimi/MeCo correlation/foresight/pruners/measures/meco.py (`get_score`): a
 * forward hook on every module takes `data_output[0]` (the first sample) as C × (H·W), computes
 * torch.corrcoef over its C rows, sets NaN/Inf entries to 0 (a constant channel's row and column),
 * and adds min Re(eig); the input is torch.randn(1, 3, 64, 64) whatever the dataset.
 * What these choices follow, and where this file differs:
 * - the input: one N(0, 1) sample at 64 × 64 (`resolution`, the reference's fixed size), seeded by
 *   the network's seed (every cell sees the same input); no image is read;
 * - the network: the zero-cost reference's variant (the measure is a foresight measure with
 *   `bn=True`, scored on foresight's nasbench2 NB201 model), train mode: BN on the sample's own
 *   statistics over H × W (the cells' BN track no running statistics in this variant anyway);
 * - the hooked layers: every node of the network graph with a 4-D output (conv, BN, ReLU, pooling,
 *   the sums of a cell's nodes, `none`'s zeros, the reduction blocks' parts...). The reference
 *   hooks PyTorch modules, which nest: a Sequential and its last child output the same tensor and
 *   both count, and a cell's intermediate sums are no module's output. A flat graph cannot
 *   reproduce that multiplicity, so the sum weights the layers differently from the reference
 *   (each term is the same quantity). Outputs that are not 4-D (pooled features, logits) give a
 *   C × 1 matrix in the reference, all NaN, hence 0: they are left out here, changing nothing;
 * - a zero map (a `none` edge) has an all-zero correlation matrix: eigenvalue 0, as the reference.
 */
import type * as tfns from '@tensorflow/tfjs';
import type { GraphNode } from '../graph/network-graph.ts';
import { symmetricEigenvalues } from '../util/eigen.ts';
import type { ProxyContext, ProxyDefinition, ProxySettings } from './types.ts';

export interface MecoSettings extends ProxySettings {
  /** Height and width of the Gaussian input (the reference's 64). */
  resolution: number;
}

/** min eigenvalue of the correlation matrix from a C × C scatter matrix (NaN entries → 0, as the reference). */
export function mecoTerm(scatter: ArrayLike<number>, c: number): number {
  const corr = new Float64Array(c * c);
  for (let i = 0; i < c; i++)
    for (let j = 0; j < c; j++) {
      const r = scatter[i * c + j]! / Math.sqrt(scatter[i * c + i]! * scatter[j * c + j]!);
      corr[i * c + j] = Number.isFinite(r) ? Math.min(1, Math.max(-1, r)) : 0;
    }
  // float32 scatter: symmetrise exactly before the eigen-solver checks it
  for (let i = 0; i < c; i++) for (let j = 0; j < i; j++) corr[i * c + j] = corr[j * c + i]!;
  return symmetricEigenvalues(corr, c)[0]!;
}

/** MeCo on a given input (its first sample is the one whose feature maps are correlated). */
export async function mecoOn(ctx: ProxyContext, input: tfns.Tensor4D): Promise<number> {
  const tf = ctx.tf;
  const scatters: { c: number; m: tfns.Tensor }[] = [];
  try {
    const logits = await ctx.forward({
      input,
      training: true,
      hooks: {
        onNodeOutput: (y: tfns.Tensor, node: GraphNode) => {
          if (y.rank !== 4 || node.op === 'input') return;
          const c = y.shape[3]!;
          // centred [H·W, C] of sample 0; its scatter XᵀX has the correlation's numerator and variances
          const m = tf.keep(
            tf.tidy(() => {
              const x = tf.reshape(tf.slice(y, [0, 0, 0, 0], [1, -1, -1, -1]), [-1, c]) as tfns.Tensor2D;
              const centred = tf.sub(x, tf.mean(x, 0, true)) as tfns.Tensor2D;
              return tf.matMul(tf.transpose(centred), centred);
            }),
          );
          scatters.push({ c, m });
        },
      },
    });
    logits.dispose();
    let total = 0;
    for (const { c, m } of scatters) {
      const v = mecoTerm((await m.data()) as Float32Array, c);
      if (!Number.isNaN(v)) total += v;
    }
    return total;
  } finally {
    tf.dispose(scatters.map((s) => s.m));
  }
}

/** Seed of MeCo's input (tfjs treats seed 0 as "no seed"). */
export function mecoNoiseSeed(networkSeed: number): number {
  return networkSeed * 2 + 1;
}

export const meco: ProxyDefinition<MecoSettings> = {
  name: 'meco',
  description: 'meco: Σ over layers of λmin of the channel correlation of one Gaussian sample\'s feature maps (MeCo, Jiang et al. 2023)',
  reference: 'HamsterMimi/MeCo correlation/foresight/pruners/measures/meco.py',
  version: 1,
  spaces: ['nb201', 'nb101'],
  network: 'zero-cost',
  needs: { images: 'none', labels: false, gradients: 'none' },
  defaults: { batchSize: 1, resolution: 64 },
  async score(ctx) {
    const r = ctx.settings.resolution;
    const x = ctx.tf.randomNormal([1, r, r, 3], 0, 1, 'float32', mecoNoiseSeed(ctx.network.seed)) as tfns.Tensor4D;
    try {
      return await mecoOn(ctx, x);
    } finally {
      x.dispose();
    }
  },
};
