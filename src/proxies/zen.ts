/**
 * zen (Zen-NAS, Lin et al., ICCV 2021), as NAS-Bench-Suite-Zero scores it (NASLib, repeat 1):
 *   x, ε ~ N(0, 1) of the batch's shape; f = the feature map before global average pooling;
 *   Δ = mean over samples of Σ over (h, w, c) of |f(x) − f(x + γ ε)|, γ = 0.01;
 *   score = log Δ + Σ over BatchNorm layers of log √(mean over channels of running_var).
 *
 * References: idstcv/ZenNAS ZeroShotProxy/compute_zen_score.py (`compute_nas_score`,
 * `network_weight_gaussian_init`), automl/NASLib naslib/predictors/pruners/measures/zen.py.
 * What the code does and these choices follow:
 * - weights re-initialised before scoring: every conv and linear weight N(0, 1), biases 0, BN γ 1,
 *   β 0 (variant 'gaussian', init scheme 'gaussian'); BN with running statistics everywhere
 *   (the benchmark's own networks, 'standard' BN: the BN-scaling term reads running_var, which the
 *   zero-cost variant's cell BNs do not have);
 * - train mode (the models are scored as built, in train mode): BN normalises with the batch's
 *   statistics, and each of the two forward passes (x, then x + γε) moves running_var with
 *   PyTorch's momentum 0.1 from its initial 1, by the unbiased batch variance v:
 *   running_var = 0.81 + 0.09 v(x) + 0.1 v(x + γε). We compute that from the BN inputs seen by a
 *   hook (the network's own buffers are left untouched, so other proxies sharing the session see
 *   a fresh network); BN nodes without running statistics (none in these variants) would not count;
 * - repeat 1 (NASLib's, the NBSZ numbers; ZenNAS's own default is 32 repeats with re-initialised
 *   weights at batch 16, which this file does not offer);
 * - batch 64 Gaussian samples at the dataset's image size (NBSZ: the input batch's shape; no image
 *   is read); the noise is seeded by the network's seed, so every cell sees the same x and ε;
 * - Δ ≤ 0 gives log = −Infinity / NaN, returned as is (recorded, never ranked).
 */
import type * as tfns from '@tensorflow/tfjs';
import type { GraphNode } from '../graph/network-graph.ts';
import type { ProxyContext, ProxyDefinition, ProxySettings } from './types.ts';

export interface ZenSettings extends ProxySettings {
  /** γ, the perturbation's scale (ZenNAS's mixup_gamma). */
  mixupGamma: number;
}

/** PyTorch's BatchNorm momentum: running ← (1 − m) running + m v. */
const BN_MOMENTUM = 0.1;

/** Seeds of the two Gaussian tensors (tfjs treats seed 0 as "no seed"). */
export function zenNoiseSeeds(networkSeed: number): [number, number] {
  return [networkSeed * 2 + 1, networkSeed * 2 + 2];
}

interface ZenPass {
  /** The pre-GAP feature map, kept (caller disposes). */
  features: tfns.Tensor4D;
  /** Unbiased per-channel batch variance of each running-stats BN's input, in node order. */
  variances: Float32Array[];
}

async function zenPass(ctx: ProxyContext<ZenSettings>, input: tfns.Tensor4D): Promise<ZenPass> {
  const tf = ctx.tf;
  const graph = ctx.network.graph;
  const gap = graph.nodes.find((n) => n.op === 'gap');
  if (!gap) throw new RangeError('zen: the network has no global average pool');
  const preGap = gap.inputs[0]!;
  // producer node id -> the running-stats BNs that read it
  const bnOf = new Map<number, number[]>();
  const bnIds: number[] = [];
  for (const n of graph.nodes) {
    if (n.op === 'bn' && n.running) {
      bnOf.set(n.inputs[0]!, [...(bnOf.get(n.inputs[0]!) ?? []), n.id]);
      bnIds.push(n.id);
    }
  }
  const vars = new Map<number, tfns.Tensor>();
  let features: tfns.Tensor4D | undefined;
  try {
    const logits = await ctx.forward({
      input,
      training: true,
      hooks: {
        onNodeOutput: (y: tfns.Tensor, node: GraphNode) => {
          if (node.id === preGap) features = tf.keep(tf.clone(y)) as tfns.Tensor4D;
          const readers = bnOf.get(node.id);
          if (!readers) return;
          const count = y.shape[0]! * y.shape[1]! * y.shape[2]!;
          const v = tf.keep(tf.mul(tf.moments(y, [0, 1, 2]).variance, count / (count - 1)));
          for (const id of readers) vars.set(id, v);
        },
      },
    });
    logits.dispose();
    const variances: Float32Array[] = [];
    for (const id of bnIds) variances.push((await vars.get(id)!.data()) as Float32Array);
    if (!features) throw new RangeError('zen: the pre-pooling feature map was not seen');
    return { features, variances };
  } finally {
    tf.dispose([...new Set(vars.values())]);
  }
}

/** Σ over BNs of log √(mean_c running_var) after two train-mode passes with unbiased variances v1, v2. */
export function zenBnScaling(v1: readonly Float32Array[], v2: readonly Float32Array[]): number {
  let s = 0;
  for (let k = 0; k < v1.length; k++) {
    const a = v1[k]!;
    const b = v2[k]!;
    let mean = 0;
    for (let c = 0; c < a.length; c++) {
      const r1 = (1 - BN_MOMENTUM) * 1 + BN_MOMENTUM * a[c]!;
      mean += (1 - BN_MOMENTUM) * r1 + BN_MOMENTUM * b[c]!;
    }
    s += 0.5 * Math.log(mean / a.length);
  }
  return s;
}

export const zen: ProxyDefinition<ZenSettings> = {
  name: 'zen',
  description: 'zen: log E‖f(x) − f(x + 0.01ε)‖₁ (pre-GAP) + Σ log √mean(BN running_var), Gaussian weights and inputs (Zen-NAS)',
  reference: 'idstcv/ZenNAS ZeroShotProxy/compute_zen_score.py; automl/NASLib naslib/predictors/pruners/measures/zen.py (repeat 1)',
  version: 1,
  spaces: ['nb201', 'nb101'],
  network: 'gaussian',
  needs: { images: 'none', labels: false, gradients: 'none' },
  defaults: { batchSize: 64, mixupGamma: 1e-2 },
  async score(ctx) {
    const tf = ctx.tf;
    const { height, width } = ctx.imageSize;
    const shape: [number, number, number, number] = [ctx.settings.batchSize, height, width, 3];
    const [s1, s2] = zenNoiseSeeds(ctx.network.seed);
    const x = tf.randomNormal(shape, 0, 1, 'float32', s1) as tfns.Tensor4D;
    const mixed = tf.tidy(() => tf.add(x, tf.mul(tf.randomNormal(shape, 0, 1, 'float32', s2), ctx.settings.mixupGamma))) as tfns.Tensor4D;
    const passes: ZenPass[] = [];
    try {
      passes.push(await zenPass(ctx, x));
      passes.push(await zenPass(ctx, mixed));
      const [a, b] = passes as [ZenPass, ZenPass];
      const delta = (await tf.tidy(() => tf.mean(tf.sum(tf.abs(tf.sub(a.features, b.features)), [1, 2, 3]))).data())[0]!;
      return Math.log(delta) + zenBnScaling(a.variances, b.variances);
    } finally {
      tf.dispose([x, mixed, ...passes.map((p) => p.features)]);
    }
  },
};
