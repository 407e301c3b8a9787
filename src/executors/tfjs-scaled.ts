/**
 * The log-scaled tfjs executor: a forward pass whose activations cannot overflow float32, for the
 * data-free measures on |w| networks (synflow; FreeDARTS / ZEROS on the supernet), whose values
 * grow by orders of magnitude per cell and overflow float32 (3.4e38) in the full NB201 network.
 *
 * Every activation is carried as h = exp(s) · t, s a JS float64 logarithm, t renormalised to
 * max|t| = 1 after every conv, linear and sum (the places where growth accumulates). Each op is
 * re-expressed exactly on t: ReLU, pooling, truncation and the global pool commute with a positive
 * scale; a conv or linear bias enters as b · exp(-s); a sum or concatenation brings its terms to
 * the largest scale first (exp(sᵢ - s) ≤ 1 never overflows); a train-mode BN is scale-free except
 * for eps, which becomes eps · exp(-2s) (clamped to float32's smallest normal, which only matters
 * where eps is negligible anyway); a `scale` node (alpha) is a plain factor.
 *
 * Two passes, because the scales are read from values and a gradient pass must not read values
 * (tf.grads runs its function synchronously, and the webgpu backend has only async reads):
 * `measureScales` runs the pass once without a tape and records each renormalisation factor m;
 * `runScaled` then computes the same function with those factors as constants, so it computes
 * g(w) = f(w) / exp(S) with S a constant for every w near the current one, and its gradient is
 * ∂f/∂w / exp(S), exactly.
 *
 * Train mode (batch statistics) only.
 */
import * as tf from '@tensorflow/tfjs';
import type { GraphNode, NetworkGraph } from '../graph/network-graph.ts';
import { consumerCounts } from '../graph/network-graph.ts';
import { BN_EPS } from './tfjs-ops.ts';
import { runBatchNorm, runOp, type TfjsRunOptions } from './tfjs-forward.ts';

/** float32's smallest normal: eps · exp(-2s) below it would be flushed to zero. */
const FLOAT32_MIN_NORMAL = 1.1754944e-38;

interface Scaled {
  t: tf.Tensor;
  s: number;
}

/** Renormalisation factor m per node (0 where the node is not renormalised). */
export type ScaleFactors = Float64Array;

function renormalised(node: GraphNode): boolean {
  return node.op === 'conv' || node.op === 'linear' || node.op === 'add';
}

/** The node's output before renormalisation, on its scaled inputs. */
function scaledOp(node: GraphNode, xs: readonly Scaled[], opts: TfjsRunOptions): Scaled {
  switch (node.op) {
    case 'conv':
    case 'linear':
      return { t: runOp(node, [xs[0]!.t], opts, Math.exp(-xs[0]!.s)), s: xs[0]!.s };
    case 'bn': {
      const eps = Math.max(BN_EPS * Math.exp(-2 * xs[0]!.s), FLOAT32_MIN_NORMAL);
      return { t: runBatchNorm(node, xs[0]!.t as tf.Tensor4D, { ...opts, updateRunningStats: false }, eps), s: 0 };
    }
    case 'add':
    case 'concat': {
      const s = Math.max(...xs.map((x) => x.s));
      const parts = xs.map((x) => (x.s === s ? x.t : tf.mul(x.t, Math.exp(x.s - s))));
      return { t: node.op === 'add' ? tf.addN(parts) : tf.concat(parts, 3), s };
    }
    default:
      return { t: runOp(node, [xs[0]!.t], opts), s: xs[0]!.s };
  }
}

function checkOptions(opts: TfjsRunOptions): void {
  if (!opts.training) throw new RangeError('the log-scaled executor runs in train mode only (batch statistics)');
}

/** Runs the pass without a tape and returns each node's renormalisation factor (see the file comment). */
export async function measureScales(graph: NetworkGraph, x: tf.Tensor4D, opts: TfjsRunOptions): Promise<ScaleFactors> {
  checkOptions(opts);
  const factors = new Float64Array(graph.nodes.length);
  const remaining = consumerCounts(graph);
  const values: (Scaled | undefined)[] = new Array(graph.nodes.length);
  values[0] = { t: x, s: 0 };
  try {
    for (const node of graph.nodes.slice(1)) {
      const xs = node.inputs.map((i) => values[i]!);
      let s = 0;
      const pre = tf.tidy(() => {
        const r = scaledOp(node, xs, opts);
        s = r.s;
        return r.t;
      });
      let out: Scaled = { t: pre, s };
      if (renormalised(node)) {
        const maxAbs = tf.tidy(() => tf.max(tf.abs(pre)));
        const m = (await maxAbs.data())[0]!;
        maxAbs.dispose();
        if (m > 0 && Number.isFinite(m)) {
          factors[node.id] = m;
          out = { t: tf.tidy(() => tf.div(pre, m)), s: s + Math.log(m) };
          pre.dispose();
        }
      }
      values[node.id] = out;
      for (const i of node.inputs) {
        if (--remaining[i]! === 0 && i !== 0) {
          values[i]!.t.dispose();
          values[i] = undefined;
        }
      }
    }
  } finally {
    for (let i = 1; i < values.length; i++) values[i]?.t.dispose();
  }
  return factors;
}

/**
 * The pass with fixed factors: logits / exp(logScale) and logScale. Differentiable (no reads);
 * call inside tf.tidy / tf.grads.
 */
export function runScaled(graph: NetworkGraph, x: tf.Tensor4D, opts: TfjsRunOptions, factors: ScaleFactors): { logits: tf.Tensor2D; logScale: number } {
  checkOptions(opts);
  const values: Scaled[] = new Array(graph.nodes.length);
  values[0] = { t: x, s: 0 };
  for (const node of graph.nodes.slice(1)) {
    let out = scaledOp(node, node.inputs.map((i) => values[i]!), opts);
    const m = factors[node.id]!;
    if (m > 0) out = { t: tf.div(out.t, m), s: out.s + Math.log(m) };
    values[node.id] = out;
  }
  const y = values[graph.output]!;
  return { logits: y.t as tf.Tensor2D, logScale: y.s };
}
