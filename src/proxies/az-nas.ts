/**
 * AZ-NAS (Lee & Ham, "AZ-NAS: Assembling Zero-Cost Proxies for Network Architecture Search",
 * CVPR 2024), as the reference computes it on NB201 (cvlab-yonsei/AZ-NAS
 * `NB201/ZeroShotProxy/compute_az_nas_score.py`, driven by `NB201/tss_general.ipynb`):
 * - network: TinyNetwork (NB201's own, C = 16, N = 5, affine BN) in train mode, re-initialised by
 *   `init_model(model, 'kaiming_norm_fanin')` (the 'az-nas' variant); input: Gaussian noise
 *   (`torch.randn`, az_nas is not among the notebook's `real_input_metrics`) of the loader's
 *   batch size (64, weight-sharing.config) at the dataset's resolution;
 * - cell features (`extract_cell_features`): the stem's output and every cell's and reduction
 *   block's output (3N + 3 maps; here the graph's stage outputs before the head);
 * - expressivity: per feature, the covariance of its channels over all b·h·w positions
 *   (centred, divided by b·h·w), eigenvalues s, p = s / Σ s, entropy Σ -p log(p + 1e-8); the sum
 *   over features. progressivity: the smallest increase of that entropy between consecutive
 *   features;
 * - trainability: for each consecutive pair (f_in, f_out), a Rademacher probe v on f_out,
 *   g_in = vᵀ ∂f_out/∂f_in (one backward through the block); -inf when g_in equals v exactly
 *   (an identity block); a downsampled pair's g_in is pixel-unshuffled to f_out's size; M =
 *   g_inᵀ v / (b·h·w) (channels_in x channels_out); score -σmax - 1/(σmax + 1e-6) + 2; the mean
 *   over pairs. NaN parts become -inf, as the reference's `info` does;
 * - complexity: the cell's FLOPs (the notebook takes them from the benchmark API; ours are the
 *   graph's own count at the dataset's resolution, src/graph/cost.ts, the benchmark's convention);
 * - the published score is the notebook's rank aggregation over the scored cells: Σ over the four
 *   parts of log(rank / N) (scipy rankdata, average ties): `combine`. A cell's own `score` is
 *   only a single-cell stand-in, expressivity + progressivity + trainability.
 * Choices the reference leaves open, and ours:
 * - the noise and the probe: from fixed seeded streams (setting `noiseSeed`), the same for every
 *   cell (the reference draws both from the global torch generator, so they differ per cell);
 * - pixel-unshuffle's channel order: ours is tfjs's spaceToDepth order; σmax does not depend on
 *   the order of M's rows;
 * - precision: the channel covariance is accumulated in float64 (the reference: float32). Deep
 *   in an NB201 network at this init the covariance's eigenvalues span ~1e-8 of λmax, and the
 *   float32 rounding of the covariance then gives eigenvalues below -1e-8·Σs on some backends
 *   (wasm: cell 0 gave NaN, hence -inf, where cpu did not), which is an artefact, not a property
 *   of the cell; eigen- and singular values in float64 (Jacobi), M in float32 as the reference;
 * - NB101: the reference has no NB101 code (its cells differ in shape between stages), so az_nas
 *   is defined on NB201 only.
 */
import type * as tf from '@tensorflow/tfjs';
import { runStage } from '../executors/tfjs-forward.ts';
import { graphFlops } from '../graph/cost.ts';
import { stageInput } from '../graph/network-graph.ts';
import { streamFor } from '../models/rng.ts';
import { averageRanks } from '../stats/ranks.ts';
import { symmetricEigenvalues } from '../util/eigen.ts';
import type { ProxyContext, ProxyDefinition, ProxySettings } from './types.ts';

export interface AzNasSettings extends ProxySettings {
  /** Seed of the Gaussian input and the Rademacher probes. */
  noiseSeed: number;
}

export const AZ_NAS_PARTS = ['expressivity', 'progressivity', 'trainability', 'complexity'] as const;

/** N(0, 1) values from a seeded uniform stream (Box-Muller). */
function gaussian(count: number, key: string): Float32Array {
  const rng = streamFor(0, key);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng.uniform()));
    const th = 2 * Math.PI * rng.uniform();
    out[i] = r * Math.cos(th);
    if (i + 1 < count) out[i + 1] = r * Math.sin(th);
  }
  return out;
}

/** The Gaussian input batch (NHWC) the proxy feeds for a noise seed. */
export function azNasInput(n: number, height: number, width: number, seed: number): Float32Array {
  return gaussian(n * height * width * 3, `az_nas-input|${seed}`);
}

/** ±1 values from a seeded stream (the reference's (bernoulli(0.5) - 0.5) * 2). */
function rademacher(count: number, key: string): Float32Array {
  const rng = streamFor(0, key);
  return Float32Array.from({ length: count }, () => (rng.uniform() < 0.5 ? -1 : 1));
}

/** Entropy of the normalised eigen-spectrum of a channel covariance (c x c, float64). */
export function spectralEntropy(cov: Float64Array, c: number): number {
  const s = symmetricEigenvalues(cov, c);
  let total = 0;
  for (const v of s) total += v;
  let h = 0;
  for (const v of s) {
    const p = v / total;
    h += -p * Math.log(p + 1e-8);
  }
  return h;
}

/** The reference's per-pair trainability term from σmax. */
export function trainabilityTerm(sigmaMax: number): number {
  return -sigmaMax - 1 / (sigmaMax + 1e-6) + 2;
}

/** Largest singular value of an [r, c] row-major matrix (√ of MᵀM's largest eigenvalue). */
export function largestSingularValue(m: ArrayLike<number>, r: number, c: number): number {
  const g = new Float64Array(c * c);
  for (let i = 0; i < c; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += m[k * c + i]! * m[k * c + j]!;
      g[i * c + j] = g[j * c + i] = s;
    }
  const v = symmetricEigenvalues(g, c);
  return Math.sqrt(Math.max(0, v[c - 1]!));
}

/** PixelUnshuffle in NHWC: [b, h, w, c] -> [b, h/s, w/s, s·s·c] (channel order: (dy, dx, c)). */
export function pixelUnshuffle(t: typeof tf, x: tf.Tensor4D, s: number): tf.Tensor4D {
  if (s === 1) return x;
  const [b, h, w, c] = x.shape;
  if (h % s !== 0 || w % s !== 0) throw new RangeError(`az_nas: a ${h}x${w} map does not unshuffle by ${s}`);
  return t.reshape(t.transpose(t.reshape(x, [b, h / s, s, w / s, s, c]), [0, 1, 3, 2, 4, 5]), [b, h / s, w / s, s * s * c]) as tf.Tensor4D;
}

/** Channel covariance of a feature map over all b·h·w positions (centred, / b·h·w), in float64. */
export async function channelCovariance(f: tf.Tensor4D): Promise<{ cov: Float64Array; c: number }> {
  const c = f.shape[3];
  const v = (await f.data()) as Float32Array;
  const m = v.length / c;
  const mean = new Float64Array(c);
  for (let i = 0; i < m; i++) for (let j = 0; j < c; j++) mean[j] += v[i * c + j]!;
  for (let j = 0; j < c; j++) mean[j] /= m;
  const cov = new Float64Array(c * c);
  const z = new Float64Array(c);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < c; j++) z[j] = v[i * c + j]! - mean[j]!;
    for (let a = 0; a < c; a++) {
      const za = z[a]!;
      for (let b = 0; b <= a; b++) cov[a * c + b] += za * z[b]!;
    }
  }
  for (let a = 0; a < c; a++)
    for (let b = 0; b <= a; b++) {
      cov[a * c + b] /= m;
      cov[b * c + a] = cov[a * c + b]!;
    }
  return { cov, c };
}

export async function azNasParts(ctx: ProxyContext<AzNasSettings>): Promise<Record<(typeof AZ_NAS_PARTS)[number], number>> {
  const t = ctx.tf;
  const net = ctx.network;
  const graph = net.graph;
  const { height, width } = ctx.imageSize;
  const n = ctx.settings.batchSize;
  const seed = ctx.settings.noiseSeed;
  // the stage outputs before the head: the stem, then every cell and reduction block
  const featureNodes = new Map<number, number>();
  for (let k = 0; k + 1 < graph.stages; k++) featureNodes.set(stageInput(graph, k + 1), k);
  const features: tf.Tensor4D[] = new Array(featureNodes.size);
  const input = t.tensor4d(azNasInput(n, height, width, seed), [n, height, width, 3]);
  try {
    const logits = await ctx.forward({
      input,
      hooks: {
        onNodeOutput: (y, node) => {
          const k = featureNodes.get(node.id);
          if (k !== undefined) features[k] = t.keep(t.clone(y)) as tf.Tensor4D;
        },
      },
    });
    logits.dispose();
    if (features.length < 2 || features.some((f) => f === undefined || f.rank !== 4)) throw new RangeError('az_nas: the network has fewer than two 4-D cell features');

    const entropies: number[] = [];
    for (const f of features) {
      const { cov, c } = await channelCovariance(f);
      entropies.push(spectralEntropy(cov, c));
    }
    let progressivity = Infinity;
    for (let i = 1; i < entropies.length; i++) progressivity = Math.min(progressivity, entropies[i]! - entropies[i - 1]!);
    const expressivity = entropies.reduce((a, b) => a + b, 0);

    const opts = net.runOptions({ training: true });
    const terms: number[] = [];
    for (let k = features.length - 1; k >= 1; k--) {
      const fIn = features[k - 1]!;
      const fOut = features[k]!;
      const v = t.tensor(rademacher(fOut.size, `az_nas-probe|${seed}|${k}`), fOut.shape) as tf.Tensor4D;
      const gIn = t.tidy(() => t.grad((x: tf.Tensor) => t.sum(t.mul(runStage(graph, k, x, opts), v)))(fIn)) as tf.Tensor4D;
      try {
        if (gIn.shape.every((d, i) => d === v.shape[i])) {
          const same = await t.tidy(() => t.all(t.equal(gIn, v))).data();
          if (same[0]) {
            terms.push(-Infinity);
            continue;
          }
        }
        const [, ho, wo, co] = fOut.shape;
        const m = t.tidy(() => {
          const g = pixelUnshuffle(t, gIn, Math.round(gIn.shape[1] / ho));
          return t.div(t.matMul(t.transpose(t.reshape(g, [-1, g.shape[3]])), t.reshape(v, [-1, co])), n * ho * wo) as tf.Tensor2D;
        });
        const values = (await m.data()) as Float32Array;
        const [rows, cols] = m.shape;
        m.dispose();
        terms.push(trainabilityTerm(largestSingularValue(values, rows, cols)));
      } finally {
        v.dispose();
        gIn.dispose();
      }
    }
    const trainability = terms.reduce((a, b) => a + b, 0) / terms.length;
    const orInf = (x: number): number => (Number.isNaN(x) ? -Infinity : x);
    if (height !== width) throw new RangeError(`az_nas expects square inputs, got ${height}x${width}`);
    return { expressivity: orInf(expressivity), progressivity: orInf(progressivity), trainability: orInf(trainability), complexity: graphFlops(graph, height) / 1e6 };
  } finally {
    input.dispose();
    t.dispose(features.filter((f) => f !== undefined));
  }
}

/**
 * The notebook's aggregation: Σ over the parts of log(rankdata(part) / N), N the cells with every
 * part defined (NaN parts: NaN, unranked; -inf is a value and ranks lowest, as in scipy).
 */
export function combineAzNas(parts: readonly Readonly<Record<string, number>>[]): Float64Array {
  const ok = parts.map((p, i) => ({ p, i })).filter(({ p }) => AZ_NAS_PARTS.every((k) => p[k] !== undefined && !Number.isNaN(p[k])));
  const out = new Float64Array(parts.length).fill(NaN);
  const l = ok.length;
  const sums = new Float64Array(l);
  for (const k of AZ_NAS_PARTS) {
    const r = averageRanks(ok.map(({ p }) => p[k]!));
    for (let j = 0; j < l; j++) sums[j] += Math.log(r[j]! / l);
  }
  ok.forEach(({ i }, j) => (out[i] = sums[j]!));
  return out;
}

export const azNas: ProxyDefinition<AzNasSettings> = {
  name: 'az_nas',
  description: 'AZ-NAS: expressivity, progressivity, trainability, complexity, combined as Σ log(rank/N) over the cells (Lee & Ham 2024)',
  reference: 'cvlab-yonsei/AZ-NAS NB201/ZeroShotProxy/compute_az_nas_score.py, NB201/tss_general.ipynb',
  version: 2,
  spaces: ['nb201'],
  network: 'az-nas',
  needs: { images: 'none', labels: false, gradients: 'first' },
  defaults: { batchSize: 64, noiseSeed: 0 },
  parts: AZ_NAS_PARTS,
  async score(ctx) {
    const parts = await azNasParts(ctx);
    return { score: parts.expressivity + parts.progressivity + parts.trainability, parts };
  },
  combine: combineAzNas,
};
