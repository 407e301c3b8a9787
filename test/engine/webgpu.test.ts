/**
 * The webgpu backend against wasm, on the same small NB201 network (same seed, hence the same
 * weights, checked), the same batch and the same labels: forward logits, every parameter's
 * gradient, one Hessian-vector product and the weights after three SGD steps.
 *
 * On a CPU machine the adapter is Mesa's llvmpipe through Dawn's OpenGL ES backend (see
 * src/engine/webgpu.ts; needs `libegl-mesa0`/`libgles2`, which Debian's mesa packages bring).
 * Without any adapter every test is skipped and the reason is printed.
 *
 * Tolerances (max |a-b| / max |b| over a whole tensor set): 1e-4 for the logits and gradients,
 * 1e-3 for the HVP and the SGD weights. Both backends compute in float32 but sum in different
 * orders (tiled matmuls and convolutions on webgpu, XNNPACK on wasm): measured on llvmpipe, the
 * logits differ by ~1e-6 and gradients by ~1e-6 relative; the HVP goes through three passes and
 * the SGD steps compound, hence the looser bound. A wrong kernel (a transposed filter, a missing
 * BN term) gives errors of order 1.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend, type BackendName } from '../../src/engine/backend.ts';
import { crossEntropy, crossEntropySecondOrder, logitShift } from '../../src/executors/losses.ts';
import { runGraph } from '../../src/executors/tfjs-forward.ts';
import { chainedGradients } from '../../src/executors/tfjs-gradients.ts';
import { stagedHvp } from '../../src/executors/tfjs-hvp.ts';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { relativeError, seededValues } from './compare.ts';

const unavailable: string | null = await initBackend('webgpu').then(
  (info) => {
    console.log(`webgpu test adapter: ${info.detail}`);
    return null;
  },
  (err: unknown) => (err instanceof Error ? err.message : String(err)),
);
if (unavailable !== null) console.warn(`skipping the webgpu tests: ${unavailable}`);

const CELL = ['nor_conv_3x3', 'skip_connect', 'nor_conv_1x1', 'avg_pool_3x3', 'none', 'nor_conv_3x3'];
const BATCH = 4;
const SIZE = 8;
const LABELS = Int32Array.from([0, 3, 1, 4]);
const LR = 0.1;
const STEPS = 3;

interface Results {
  weights: Float32Array[];
  logits: Float32Array;
  grads: Float32Array[];
  hvp: Float32Array[];
  losses: number[];
  trained: Float32Array[];
}

/** Everything the comparison needs, computed on `backend`; only asynchronous reads. */
async function compute(backend: BackendName): Promise<Results> {
  await initBackend(backend);
  const net = buildNB201Network(CELL, { C: 4, N: 1, numClasses: 5, bn: 'standard', seed: 1 });
  const x = tf.tensor4d(seededValues(BATCH * SIZE * SIZE * 3, 7), [BATCH, SIZE, SIZE, 3]);
  try {
    const opts = net.runOptions({ training: true, updateRunningStats: false });
    const names = net.graph.params.map((p) => p.name);
    const read = (ts: readonly tf.Tensor[]): Promise<Float32Array[]> => Promise.all(ts.map(async (t) => (await t.data()) as Float32Array));
    const weights = await read(names.map((n) => opts.param(n)));

    const logitsT = tf.tidy(() => runGraph(net.graph, x, opts));
    const logits = (await logitsT.data()) as Float32Array;

    const loss = (l: tf.Tensor2D) => crossEntropy(l, LABELS);
    const g = chainedGradients(net.graph, x, opts, loss, names);
    const grads = await read(names.map((n) => g.grads.get(n)!));
    tf.dispose([...g.grads.values(), g.loss]);

    const shift = await logitShift(logitsT);
    logitsT.dispose();
    const hvpNames = net.graph.params.filter((p) => p.kind === 'conv' || p.kind === 'linear-weight').map((p) => p.name);
    const v = new Map(hvpNames.map((n, i) => [n, tf.tensor(seededValues(opts.param(n).size, 100 + i), opts.param(n).shape)]));
    const hv = stagedHvp(net.graph, x, opts, (l) => crossEntropySecondOrder(l, LABELS, shift), v);
    const hvp = await read(hvpNames.map((n) => hv.get(n)!));
    tf.dispose([...hv.values(), ...v.values(), shift]);

    const losses: number[] = [];
    for (let step = 0; step < STEPS; step++) {
      const r = chainedGradients(net.graph, x, opts, loss, names);
      losses.push((await r.loss.data())[0]!);
      for (const p of net.params) {
        const grad = r.grads.get(p.name);
        if (grad) p.variable.assign(tf.tidy(() => tf.sub(p.variable, tf.mul(grad, LR))));
      }
      tf.dispose([...r.grads.values(), r.loss]);
    }
    const trained = await read(names.map((n) => opts.param(n)));
    return { weights, logits, grads, hvp, losses, trained };
  } finally {
    x.dispose();
    net.dispose();
  }
}

const flat = (ts: readonly Float32Array[]): number[] => ts.flatMap((t) => Array.from(t));

describe.skipIf(unavailable !== null)('webgpu agrees with wasm (small NB201 network, batch 4)', () => {
  let ref: Results;
  let gpu: Results;

  it('computes the same initial weights from the same seed', async () => {
    ref = await compute('wasm');
    gpu = await compute('webgpu');
    expect(relativeError(flat(gpu.weights), flat(ref.weights))).toBe(0);
    // measured errors, for the header's tolerance notes
    console.log('webgpu vs wasm:', { logits: relativeError(gpu.logits, ref.logits), grads: relativeError(flat(gpu.grads), flat(ref.grads)), hvp: relativeError(flat(gpu.hvp), flat(ref.hvp)), losses: relativeError(gpu.losses, ref.losses), trained: relativeError(flat(gpu.trained), flat(ref.trained)) });
  }, 120_000);

  it('forward logits', () => {
    expect(relativeError(gpu.logits, ref.logits)).toBeLessThan(1e-4);
  });

  it('gradient of every parameter', () => {
    expect(gpu.grads.length).toBe(ref.grads.length);
    // Relative to the largest gradient of all: some BN betas get ~1e-8 gradients (a later BN
    // cancels them) whose own relative error is meaningless.
    expect(relativeError(flat(gpu.grads), flat(ref.grads))).toBeLessThan(1e-4);
    const largest = Math.max(...flat(ref.grads).map(Math.abs));
    ref.grads.forEach((r, i) => expect(relativeError(gpu.grads[i]!, r) * Math.max(...Array.from(r, Math.abs)), `parameter ${i}`).toBeLessThan(1e-4 * largest));
  });

  it('one Hessian-vector product', () => {
    expect(relativeError(flat(gpu.hvp), flat(ref.hvp))).toBeLessThan(1e-3);
    expect(flat(ref.hvp).some((v) => v !== 0)).toBe(true);
  });

  it('three SGD steps: the same losses and weights', () => {
    expect(relativeError(gpu.losses, ref.losses)).toBeLessThan(1e-3);
    expect(ref.losses[STEPS - 1]!).toBeLessThan(ref.losses[0]!); // the steps do train
    expect(relativeError(flat(gpu.trained), flat(ref.trained))).toBeLessThan(1e-3);
  });
});
