/**
 * Times the convolution kernels that dominate NB201 forward/backward passes, at NB201 sizes
 * (batch 64, 32x32, 16 channels), on the wasm backend (stock vs our kernels) and on cpu.
 *
 *   npx tsx bench/engine-kernels.ts [--quick] [--no-cpu]
 *     --quick: batch 16, for a smoke run; --no-cpu: skip the cpu backend (its backprop-filter
 *     takes ~40 s at batch 64)
 *
 * Prints GFLOP/s counting 2 FLOPs per multiply-add; each of the three kernels of one convolution
 * does the same number of multiply-adds (N*OH*OW*KH*KW*CI*CO).
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/engine/backend.ts';
import { registerWasmKernels, useStockBackpropInput } from '../src/engine/wasm-kernels.ts';

interface Shape {
  label: string;
  n: number;
  hw: number;
  ci: number;
  co: number;
  k: number;
  stride: number;
  pad: 'same' | number;
}

const quick = process.argv.includes('--quick');
const N = quick ? 16 : 64;
const SHAPES: Shape[] = [
  { label: '3x3 16->16 s1', n: N, hw: 32, ci: 16, co: 16, k: 3, stride: 1, pad: 'same' },
  { label: '1x1 16->16 s1', n: N, hw: 32, ci: 16, co: 16, k: 1, stride: 1, pad: 'same' },
  { label: '3x3 16->32 s2', n: N, hw: 32, ci: 16, co: 32, k: 3, stride: 2, pad: 1 },
];

/**
 * Median seconds of `fn` over repetitions (at least 3, until ~1.5 s spent, at most 15). A kernel
 * whose first (warm-up) run already takes over 2 s is reported from that run alone: only the
 * cpu backend's backprop-filter is that slow, and it has no warm-up effects worth waiting for.
 */
function time(fn: () => tf.Tensor): number {
  const warmStart = process.hrtime.bigint();
  fn().dispose(); // warm-up: operator creation, weight packing, heap growth
  const warmSeconds = Number(process.hrtime.bigint() - warmStart) / 1e9;
  if (warmSeconds > 2) return warmSeconds;
  const samples: number[] = [];
  let spent = 0;
  while (samples.length < 3 || (spent < 1.5 && samples.length < 15)) {
    const start = process.hrtime.bigint();
    const out = fn();
    out.dataSync(); // wasm and cpu are synchronous, but make sure the work is done
    const s = Number(process.hrtime.bigint() - start) / 1e9;
    out.dispose();
    samples.push(s);
    spent += s;
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

function gflops(s: Shape): number {
  const out = Math.ceil(s.hw / s.stride);
  return (2 * s.n * out * out * s.k * s.k * s.ci * s.co) / 1e9;
}

type Row = { backend: string; kernel: string; shape: string; ms: number; gflops: number };
const rows: Row[] = [];

function measure(backend: string, kernel: string, s: Shape, fn: () => tf.Tensor): void {
  const seconds = time(fn);
  rows.push({ backend, kernel, shape: s.label, ms: seconds * 1e3, gflops: gflops(s) / seconds });
  const last = rows[rows.length - 1]!;
  console.log(`${backend.padEnd(5)} ${kernel.padEnd(30)} ${s.label.padEnd(15)} ${last.ms.toFixed(1).padStart(8)} ms ${last.gflops.toFixed(2).padStart(7)} GFLOP/s`);
}

function kernels(backend: string, s: Shape, variant: string): void {
  const x = tf.randomNormal([s.n, s.hw, s.hw, s.ci]) as tf.Tensor4D;
  const w = tf.randomNormal([s.k, s.k, s.ci, s.co]) as tf.Tensor4D;
  const y = tf.conv2d(x, w, s.stride, s.pad);
  const dy = tf.randomNormal(y.shape) as tf.Tensor4D;
  const attrs = { strides: s.stride, pad: s.pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
  if (variant !== 'stock-input') {
    measure(backend, 'Conv2D (forward)', s, () => tf.conv2d(x, w, s.stride, s.pad));
    if (backend === 'cpu' || variant === 'ours') {
      measure(backend, `Conv2DBackpropFilter${backend === 'wasm' ? ' (ours)' : ''}`, s, () =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: w.shape } as never) as tf.Tensor,
      );
    }
  }
  const inputLabel = backend === 'cpu' ? 'Conv2DBackpropInput' : `Conv2DBackpropInput (${variant === 'ours' ? 'ours' : 'stock'})`;
  measure(backend, inputLabel, s, () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: x.shape } as never) as tf.Tensor);
  tf.dispose([x, w, y, dy]);
}

/** One NB201-like conv + batch norm + relu layer, forward and backward, as a whole-pass check. */
async function endToEnd(): Promise<void> {
  // Both are variables so that the input gradient is computed too, as for a network's inner layers.
  const x = tf.variable(tf.randomNormal([N, 32, 32, 16]));
  const w = tf.variable(tf.randomNormal([3, 3, 16, 16]));
  const step = (): tf.Tensor =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.relu(tf.conv2d(tf.relu(x as tf.Tensor4D), w as tf.Tensor4D, 1, 'same'))));
      tf.dispose(Object.values(grads));
      return value;
    });
  const s = SHAPES[0]!;
  const seconds = time(step);
  // forward + input grad + filter grad = 3 convolutions' worth of multiply-adds
  console.log(`wasm  relu-conv-relu fwd+bwd         ${s.label.padEnd(15)} ${(seconds * 1e3).toFixed(1).padStart(8)} ms ${((3 * gflops(s)) / seconds).toFixed(2).padStart(7)} GFLOP/s\n`);
  rows.push({ backend: 'wasm', kernel: 'relu-conv-relu fwd+bwd (ours)', shape: s.label, ms: seconds * 1e3, gflops: (3 * gflops(s)) / seconds });
  tf.dispose([x, w]);
}

async function main(): Promise<void> {
  const wasm = await initBackend('wasm');
  console.log(`tfjs ${wasm.version}; wasm: ${wasm.detail}; batch ${N}\n`);
  for (const s of SHAPES) kernels('wasm', s, 'ours');
  useStockBackpropInput();
  for (const s of SHAPES) kernels('wasm', s, 'stock-input');
  registerWasmKernels();
  console.log('(stock wasm has no Conv2DBackpropFilter: gradients of convolutions fail without ours)\n');
  await endToEnd();

  if (!process.argv.includes('--no-cpu')) {
    await initBackend('cpu');
    for (const s of SHAPES) kernels('cpu', s, 'ours');
  }

  console.log('\n| backend | kernel | shape | ms | GFLOP/s |\n|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.backend} | ${r.kernel} | ${r.shape} | ${r.ms.toFixed(1)} | ${r.gflops.toFixed(2)} |`);
}

await main();
