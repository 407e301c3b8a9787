/**
 * ZEROS, the zero-cost operation sensitivity of FreeDARTS (Zhang et al., arXiv 2106.11542): on
 * the DARTS supernet at initialisation, without data,
 *   R(alpha) = Σ logits of the supernet with every parameter replaced by |w|, on one all-ones input,
 *   ZEROS[e][o] = |alpha[e][o] · ∂R/∂alpha[e][o]|.
 *
 * Computed with the log-scaled executor (src/executors/tfjs-scaled.ts) on the supernet's mixed graph: the |w|
 * network's activations grow by orders of magnitude per cell and overflow float32 in the full
 * NB201 supernet (the public notebook's NaN gradients). We return ln ZEROS = ln|alpha · ∂g/∂alpha|
 * + logScale, exact to float32 relative precision, and -Infinity where ZEROS is 0 (`none`, whose
 * output is zeros, and ops outside the mix).
 *
 * A non-finite R, logScale or gradient entry never yields scores: it raises SensitivityError, so a
 * broken pass cannot turn into a silently chosen cell (NaN compares false, so an argmax over NaNs
 * falls through to op 0 = `none`, the notebook's all-none cell).
 */
import * as tf from '@tensorflow/tfjs';
import { NB201_EDGES, NB201_OPS } from '../models/nb201-cell.ts';
import { measureScales, runScaled, type ScaleFactors } from '../executors/tfjs-scaled.ts';
import { NB201_ALPHA } from '../models/nb201-graph.ts';
import type { NB201Supernet, OpMask } from '../supernet/nb201-supernet.ts';

/** A ZEROS pass that cannot give usable scores: non-finite values, or an edge nothing depends on. */
export class SensitivityError extends RangeError {
  constructor(
    message: string,
    readonly kind: 'non-finite' | 'degenerate',
  ) {
    super(message);
    this.name = 'SensitivityError';
  }
}

export interface ZerosScorerOptions {
  /** Height = width of the all-ones input (32: CIFAR). */
  inputSize?: number;
  /** Log-scale the forward pass (default true; false only to show what overflows). */
  rescale?: boolean;
}

export interface ZerosPass {
  /** ln ZEROS per [edge][op] (NB201_OPS order); -Infinity where ZEROS = 0. */
  logZeros: number[][];
  /** ln|R| and R's sign (R = Σ logits of the |w| supernet; exp(logAbsR) may exceed float64). */
  logAbsR: number;
  signR: number;
}

export interface ZerosScorer {
  /** One forward + backward pass: ZEROS of every op at `alpha` with the ops of `active` in the mix. */
  score(alpha: tf.Tensor2D, active: OpMask): Promise<ZerosPass>;
  /** R itself (float64, may overflow to ±Infinity), for checks against finite differences. */
  objective(alpha: tf.Tensor2D, active: OpMask): Promise<number>;
  dispose(): void;
}

/** Holds |w| of every supernet parameter and the all-ones input for repeated passes. */
export function createZerosScorer(supernet: NB201Supernet, opts: ZerosScorerOptions = {}): ZerosScorer {
  const size = opts.inputSize ?? 32;
  if (!Number.isInteger(size) || size < 2) throw new RangeError(`inputSize must be an integer >= 2, got ${size}`);
  const rescale = opts.rescale ?? true;
  const absParams = new Map<string, tf.Tensor>(supernet.params.map((p) => [p.name, tf.abs(p.variable)]));
  const param = (name: string): tf.Tensor => {
    const t = absParams.get(name);
    if (!t) throw new RangeError(`ZEROS: the supernet has no parameter '${name}'`);
    return t;
  };
  const x = tf.ones([1, size, size, 3]) as tf.Tensor4D;

  /**
   * The mixed graph for `active`, and its renormalisation factors at `alpha` (none without
   * rescale: then the pass is the plain forward).
   */
  const prepare = async (alpha: tf.Tensor2D, active: OpMask): Promise<{ run: (a: tf.Tensor) => { g: tf.Scalar; logScale: number } }> => {
    const graph = supernet.graphFor({ active });
    const opts = (a: tf.Tensor) => ({ param: (name: string) => (name === NB201_ALPHA ? a : param(name)), training: true });
    const factors: ScaleFactors = rescale ? await measureScales(graph, x, opts(alpha)) : new Float64Array(graph.nodes.length);
    return {
      run: (a) => {
        const out = runScaled(graph, x, opts(a), factors);
        return { g: tf.sum(out.logits) as tf.Scalar, logScale: out.logScale };
      },
    };
  };

  return {
    async score(alpha, active) {
      const { run } = await prepare(alpha, active);
      let logScale = 0;
      const f = (a: tf.Tensor): tf.Scalar => {
        const r = run(a);
        logScale = r.logScale;
        return r.g;
      };
      const { value, grad } = tf.tidy(() => tf.valueAndGrad(f)(alpha));
      const g = (await value.data())[0]!;
      const dg = (await grad.data()) as Float32Array;
      const a = (await alpha.data()) as Float32Array;
      tf.dispose([value, grad]);
      if (!Number.isFinite(g) || !Number.isFinite(logScale)) {
        throw new SensitivityError(`ZEROS pass: R is not finite (Σ logits / scale = ${g}, log scale = ${logScale}); the forward pass overflowed`, 'non-finite');
      }
      const logZeros = NB201_EDGES.map((_, e) =>
        NB201_OPS.map((op, o) => {
          const d = dg[e * NB201_OPS.length + o]!;
          if (!Number.isFinite(d)) {
            throw new SensitivityError(`ZEROS pass: dR/dalpha is ${d} at edge ${e} op ${op} (log scale ${logScale})`, 'non-finite');
          }
          const z = Math.abs(a[e * NB201_OPS.length + o]! * d);
          return z > 0 ? Math.log(z) + logScale : -Infinity;
        }),
      );
      return { logZeros, logAbsR: Math.log(Math.abs(g)) + logScale, signR: Math.sign(g) };
    },
    async objective(alpha, active) {
      const { run } = await prepare(alpha, active);
      let s = 0;
      const t = tf.tidy(() => {
        const r = run(alpha);
        s = r.logScale;
        return r.g;
      });
      const v = (await t.data())[0]!;
      t.dispose();
      return v * Math.exp(s);
    },
    dispose() {
      tf.dispose([...absParams.values(), x]);
    },
  };
}
