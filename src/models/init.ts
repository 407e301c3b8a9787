/**
 * PyTorch's default initialisation, drawn from our own seeded streams (rng.ts).
 *
 * PyTorch's `nn.Conv2d.reset_parameters` and `nn.Linear.reset_parameters` call
 * `kaiming_uniform_(weight, a=sqrt(5))`: gain = sqrt(2 / (1 + a^2)) = sqrt(1/3),
 * std = gain / sqrt(fan_in), bound = sqrt(3) * std = 1 / sqrt(fan_in). So the weights are
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels * kh * kw (conv) or in_features
 * (linear); biases use the same bound. BatchNorm starts at gamma = 1, beta = 0, running mean 0,
 * running var 1. We match these distributions, not PyTorch's actual numbers (its generator is
 * global and order-dependent, which is exactly what we avoid).
 *
 * One stream per parameter, keyed by (seed, parameter key):
 * - A parameter's values do not depend on which other cells or ops were built. Two architectures
 *   that differ in one edge therefore share every other weight ("common random numbers"), which
 *   removes initialisation noise from paired comparisons, and a network built with another BN
 *   variant (e.g. synflow's BN-free copy) gets the same conv and linear weights, as the zero-cost
 *   reference does by copying the state dict.
 * - The key contains the cell position, so the same op on the same edge of two different cells
 *   gets independent weights. That is desirable: PyTorch draws every module independently, and
 *   tying cells together would make a 15-cell network behave like a weight-shared one (correlated
 *   ReLU patterns would inflate or deflate NASWOT's K, for instance).
 * - The key contains the op name where a slot can hold different ops (see nb201-network.ts), so a
 *   1x1 conv on an edge is not the first values of the 3x3 conv's stream on that edge.
 *
 * Values are drawn in PyTorch's memory order ([out, in, kh, kw] for conv, [out, in] for linear)
 * and then stored in tfjs's layout ([kh, kw, in, out], [in, out]), so the same seed gives the same
 * weight for the same (out, in, ky, kx) and a PyTorch model could be loaded with identical values.
 */
import { streamFor, type Rng } from './rng.ts';

/** Bound b of U(-b, b) for PyTorch's default conv/linear weight and bias init. */
export function defaultInitBound(fanIn: number): number {
  if (!(fanIn > 0)) throw new RangeError(`fan_in must be positive, got ${fanIn}`);
  return 1 / Math.sqrt(fanIn);
}

function uniformValue(rng: Rng, bound: number): number {
  // U[-b, b): like torch.Tensor.uniform_(-b, b), which is low + (high - low) * u.
  return -bound + 2 * bound * rng.uniform();
}

/**
 * Conv2d weight in tfjs layout [kh, kw, in, out], values U(-b, b), b = 1/sqrt(in*kh*kw), drawn
 * in PyTorch's [out, in, kh, kw] order.
 */
export function initConvWeight(
  seed: number,
  key: string,
  shape: { kh: number; kw: number; inC: number; outC: number },
): Float32Array {
  const { kh, kw, inC, outC } = shape;
  const bound = defaultInitBound(inC * kh * kw);
  const rng = streamFor(seed, key);
  const values = new Float32Array(kh * kw * inC * outC);
  for (let o = 0; o < outC; o++) {
    for (let i = 0; i < inC; i++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) {
          values[((y * kw + x) * inC + i) * outC + o] = uniformValue(rng, bound);
        }
      }
    }
  }
  return values;
}

/** Linear weight in tfjs layout [in, out] (y = x W), drawn in PyTorch's [out, in] order. */
export function initLinearWeight(seed: number, key: string, inF: number, outF: number): Float32Array {
  const bound = defaultInitBound(inF);
  const rng = streamFor(seed, key);
  const values = new Float32Array(inF * outF);
  for (let o = 0; o < outF; o++) {
    for (let i = 0; i < inF; i++) values[i * outF + o] = uniformValue(rng, bound);
  }
  return values;
}

/** Conv or linear bias: U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
export function initBias(seed: number, key: string, size: number, fanIn: number): Float32Array {
  const bound = defaultInitBound(fanIn);
  const rng = streamFor(seed, key);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = uniformValue(rng, bound);
  return values;
}

/** Standard normal draws from a uniform stream (Box-Muller, both values used): deterministic across machines. */
function normalStream(rng: Rng): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    // 1 - u is in (0, 1]: log never sees 0
    const r = Math.sqrt(-2 * Math.log(1 - rng.uniform()));
    const theta = 2 * Math.PI * rng.uniform();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
}

/** Values drawn in PyTorch's memory order, stored in tfjs's layout ([kh, kw, in, out] or [in, out]); `draw` gives each value. */
function inTorchOrder(shape: readonly number[], draw: () => number): Float32Array {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  if (shape.length === 4) {
    const [kh, kw, inC, outC] = shape as [number, number, number, number];
    for (let o = 0; o < outC; o++)
      for (let i = 0; i < inC; i++)
        for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) values[((y * kw + x) * inC + i) * outC + o] = draw();
  } else if (shape.length === 2) {
    const [inF, outF] = shape as [number, number];
    for (let o = 0; o < outF; o++) for (let i = 0; i < inF; i++) values[i * outF + o] = draw();
  } else {
    for (let i = 0; i < values.length; i++) values[i] = draw();
  }
  return values;
}

/**
 * How a network's weights are drawn (src/models/instantiate.ts applies it to every parameter):
 * - 'torch-default': PyTorch's default initialisation (above), what every reference network gets
 *   unless it initialises explicitly;
 * - 'nb101-reference': the zero-cost reference's NB101 port (SamsungLabs/zero-cost-nas,
 *   foresight/models/nasbench1.py `_initialize_weights`): conv weights N(0, √(2 / (kh·kw·out))),
 *   conv biases 0, BN γ = 1, β = 0, linear weights N(0, 0.01), linear biases 0;
 * - 'gaussian': every conv and linear weight N(0, 1), biases 0, BN γ = 1, β = 0 (ZenNAS's
 *   `network_weight_gaussian_init`, which zen re-initialises with before scoring);
 * - 'kaiming-normal-fanin' (group B, AZ-NAS's default `init_model`): conv and linear weights
 *   N(0, √(2 / fan_in)) (kaiming_normal_, mode fan_in, nonlinearity relu), biases 0, BN γ 1, β 0.
 * Every scheme draws from the parameter's own seeded stream, so a parameter's values depend only
 * on (seed, its init key, the scheme).
 */
export type InitScheme = 'torch-default' | 'nb101-reference' | 'gaussian' | 'kaiming-normal-fanin' | 'orthogonal-critical';

export const INIT_SCHEMES: readonly InitScheme[] = ['torch-default', 'nb101-reference', 'gaussian', 'kaiming-normal-fanin', 'orthogonal-critical'];

/**
 * 'orthogonal-critical' (the dynamical-isometry reconstruction, experiments/nb201-isometry.ts):
 * every conv weight, flattened as PyTorch's `orthogonal_` does to [out, in·kh·kw], is a random
 * orthogonal matrix (rows orthonormal when out <= in·kh·kw, else columns) times the critical gain
 * √2; linear weights the same with gain 1; biases 0, BN γ = 1, β = 0.
 * The rule: for ReLU networks the mean-field critical point (order/chaos boundary, where the
 * forward length map has a fixed point and the mean squared singular value of the input-output
 * Jacobian is 1) is σ_w² = 2, σ_b² = 0 (Poole et al. 2016; Schoenholz et al. 2017; He et al.'s
 * gain); among weights at that point, orthogonal ones give the best-conditioned Jacobian
 * (Saxe et al. 2014; Pennington, Schoenholz & Ganguli 2017, "Resurrecting the sigmoid", who also
 * show ReLU cannot reach exact isometry: the spread of singular values stays, but grows slowest
 * with orthogonal weights). The classifier has no ReLU after it, so its gain is 1. With BN after
 * every conv the forward scale is reset anyway (Yang et al. 2019, "A mean field theory of batch
 * normalization": BN's own Jacobian still grows with depth), so the gain matters for the
 * conditioning, not the activations' size. Luo et al. (2023) derive their own initialisation from a
 * fixed-point analysis; their tables could not be read, so this is our reading of the abstract.
 */
export const ORTHOGONAL_CONV_GAIN = Math.SQRT2;
export const ORTHOGONAL_LINEAR_GAIN = 1;

/**
 * A rows x cols matrix (row-major) with orthonormal rows (rows <= cols) or columns (rows > cols),
 * times `gain`: modified Gram-Schmidt in float64 on Gaussian draws (Haar-distributed up to the
 * signs MGS fixes, which the Gaussian's symmetry leaves uniform).
 */
export function orthogonalMatrix(rows: number, cols: number, gain: number, normal: () => number): Float64Array {
  const tall = rows > cols;
  const n = tall ? cols : rows; // vectors to orthonormalise
  const len = tall ? rows : cols; // their length
  const v = Array.from({ length: n }, () => Float64Array.from({ length: len }, normal));
  for (let i = 0; i < n; i++) {
    const vi = v[i]!;
    for (let j = 0; j < i; j++) {
      const vj = v[j]!;
      let dot = 0;
      for (let k = 0; k < len; k++) dot += vi[k]! * vj[k]!;
      for (let k = 0; k < len; k++) vi[k]! -= dot * vj[k]!;
    }
    let norm = 0;
    for (let k = 0; k < len; k++) norm += vi[k]! * vi[k]!;
    norm = Math.sqrt(norm);
    if (!(norm > 1e-12)) throw new RangeError('orthogonalMatrix: degenerate draw');
    for (let k = 0; k < len; k++) vi[k]! /= norm;
  }
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < len; k++) {
      if (tall) out[k * cols + i] = gain * v[i]![k]!;
      else out[i * cols + k] = gain * v[i]![k]!;
    }
  return out;
}

/** What a parameter needs for its draw (a ParamSpec of src/graph/network-graph.ts satisfies it). */
export interface DrawSpec {
  kind: 'conv' | 'conv-bias' | 'linear-weight' | 'linear-bias' | 'bn-gamma' | 'bn-beta';
  shape: readonly number[];
  init: { kind: 'torch-default'; fanIn: number } | { kind: 'constant'; value: number };
  initKey: string;
}

/** The initial values of one parameter under `scheme`. */
export function drawParam(spec: DrawSpec, seed: number, scheme: InitScheme = 'torch-default'): Float32Array {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.init.kind === 'constant') return new Float32Array(size).fill(spec.init.value);
  const fanIn = spec.init.fanIn;
  if (scheme === 'torch-default') {
    const bound = defaultInitBound(fanIn);
    const rng = streamFor(seed, spec.initKey);
    return inTorchOrder(spec.shape, () => uniformValue(rng, bound));
  }
  const isBias = spec.kind === 'conv-bias' || spec.kind === 'linear-bias';
  if (isBias) return new Float32Array(size);
  if (scheme === 'orthogonal-critical') {
    // [out, rest] in PyTorch's memory order: exactly the order inTorchOrder draws in.
    const out = spec.shape.length === 4 ? spec.shape[3]! : spec.shape[spec.shape.length - 1]!;
    const gain = spec.kind === 'conv' ? ORTHOGONAL_CONV_GAIN : ORTHOGONAL_LINEAR_GAIN;
    const w = orthogonalMatrix(out, size / out, gain, normalStream(streamFor(seed, `${spec.initKey}\u0000${scheme}`)));
    let i = 0;
    return inTorchOrder(spec.shape, () => w[i++]!);
  }
  let std = 1;
  if (scheme === 'nb101-reference') {
    if (spec.kind === 'conv') {
      const [kh, kw, , outC] = spec.shape as [number, number, number, number];
      std = Math.sqrt(2 / (kh * kw * outC));
    } else std = 0.01;
  } else if (scheme === 'kaiming-normal-fanin') std = Math.sqrt(2 / fanIn);
  const normal = normalStream(streamFor(seed, `${spec.initKey}\u0000${scheme}`));
  return inTorchOrder(spec.shape, () => std * normal());
}
