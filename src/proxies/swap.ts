/**
 * SWAP (Peng et al., "SWAP-NAS: Sample-Wise Activation Patterns for Ultra-fast NAS", ICLR 2024),
 * as the reference computes it (pym1024/SWAP `src/metrics/swap.py`, driven by `correlation.py`):
 * - hooks: the output of every nn.ReLU whose input is 4-D, flattened per sample and concatenated
 *   over the ReLUs (samples x neurons); sign() of a ReLU output is 1 where the input was > 0, else
 *   0, so the pattern is the ReLU-input code (x > 0), read here through the forward hook;
 * - score = the number of distinct rows of the transposed matrix (neurons x samples), i.e. of
 *   distinct per-neuron patterns over the samples (torch.unique(dim=0));
 * - repeated `--repeats 32` times, each time after `network_weight_gaussian_init` (conv / linear
 *   weights N(0, 1), biases 0, BN γ 1, β 0), and averaged (np.mean).
 * Choices the reference leaves open, and ours:
 * - inputs: ONE batch of 16 training images (`--input_samples 16`, the loader's first batch, the
 *   same for every network): ours is the scoring batch (batch 16, no augmentation by default;
 *   the loader's own normalisation is the dataset module's);
 * - BN mode: the script never calls eval(), so the network is in train mode (batch statistics);
 *   running statistics are not moved (they do not affect a train-mode pass);
 * - repeats: each repeat is an independent initialisation (`ctx.networkAt(i)`, seeds derived from
 *   the job's init seed), where the reference re-draws the same module in place from one torch
 *   generator; `repeats` is a setting (cache key), needs.inits declares the default;
 * - network: the benchmark's own ('gaussian' variant: 'standard' BN with the Gaussian init);
 *   the reference's own networks are DARTS-space ones (search_space/networks.py).
 * Counting: with n ≤ 24 samples a neuron's pattern is an integer code Σ_j [x_j > 0] 2^j, exact in
 * float32, computed by one matmul per ReLU; larger batches are split into 24-sample chunks whose
 * codes are joined.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ProxyContext, ProxyDefinition, ProxySettings } from './types.ts';

export interface SwapSettings extends ProxySettings {
  /** Gaussian re-initialisations averaged over (the reference's --repeats). */
  repeats: number;
}

const CHUNK = 24;

/** Per-neuron codes of one ReLU input [n, ...] as rows of chunk codes: returns [chunks][units] (caller reads). */
function patternCodes(t: typeof tf, x: tf.Tensor, n: number): tf.Tensor2D[] {
  const flat = t.reshape(x, [n, -1]);
  const bits = t.cast(t.greater(flat, 0), 'float32');
  const out: tf.Tensor2D[] = [];
  for (let start = 0; start < n; start += CHUNK) {
    const k = Math.min(CHUNK, n - start);
    const w = t.tensor2d(Float32Array.from({ length: k }, (_, j) => 2 ** j), [1, k]);
    out.push(t.matMul(w, t.slice(bits, [start, 0], [k, -1]) as tf.Tensor2D) as tf.Tensor2D);
  }
  return out;
}

/** Distinct activation patterns (neurons x samples) of one initialisation: SWAP's count. */
export async function swapCount(ctx: ProxyContext, init: number): Promise<number> {
  const n = ctx.batches[0]!.n;
  const t = ctx.tf;
  const kept: tf.Tensor2D[][] = [];
  const logits = await ctx.forward({
    init,
    hooks: {
      onReluInput: (x) => {
        if (x.rank !== 4) return;
        kept.push(t.tidy(() => patternCodes(t, x, n)).map((c) => t.keep(c)));
      },
    },
  });
  logits.dispose();
  try {
    if (kept.length === 0) throw new RangeError('swap: the network has no 4-D ReLU to hook');
    const seen = new Set<number | string>();
    for (const chunks of kept) {
      const values = await Promise.all(chunks.map((c) => c.data()));
      const units = values[0]!.length;
      for (let u = 0; u < units; u++) seen.add(values.length === 1 ? values[0]![u]! : values.map((v) => v[u]).join(','));
    }
    return seen.size;
  } finally {
    for (const chunks of kept) t.dispose(chunks);
  }
}

/** The mean SWAP count over the setting's initialisations. */
export async function meanSwap(ctx: ProxyContext<SwapSettings>): Promise<number> {
  const repeats = ctx.settings.repeats;
  if (!Number.isInteger(repeats) || repeats < 1) throw new RangeError(`swap: repeats must be a positive integer, got ${repeats}`);
  let sum = 0;
  for (let i = 0; i < repeats; i++) sum += await swapCount(ctx, i);
  return sum / repeats;
}

export const swap: ProxyDefinition<SwapSettings> = {
  name: 'swap',
  description: 'SWAP: distinct per-neuron ReLU patterns over 16 images, mean over 32 Gaussian initialisations (Peng et al. 2024)',
  reference: 'pym1024/SWAP src/metrics/swap.py (correlation.py: 16 samples, 32 repeats)',
  version: 1,
  spaces: ['nb201', 'nb101'],
  network: 'gaussian',
  needs: { images: 'batch', labels: false, gradients: 'none', inits: 32 },
  defaults: { batchSize: 16, repeats: 32 },
  score: (ctx) => meanSwap(ctx),
};
