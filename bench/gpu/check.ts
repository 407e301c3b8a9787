/**
 * The GPU check's Node half (bench/gpu/run.sh runs it, bundled by pack.sh): prints the adapter,
 * checks webgpu against wasm on the same weights and batch (NASWOT and grad_norm scores on a few
 * NB201 cells) and times, per cell and backend, NASWOT, grad_norm and one supernet training step.
 * Writes `<out>/node.json` and `<out>/cells.json` (the cells' ops, for torch_time.py).
 *
 * Choices: the images are seeded normal noise (normalised-like), not CIFAR-10: agreement and
 * speed do not depend on what the pixels show, and the lent machine then needs no data. Sizes
 * default to the papers': NASWOT batch 128, grad_norm batch 64, 32x32 images, NB201 C=16 N=5,
 * 10 classes; the supernet step is DARTS on NB201 (every op of every edge mixed by softmax(alpha),
 * batch 64, SGD on the weights). `--small` shrinks batches and images for a CPU (llvmpipe) run.
 * Timings: each cell's proxy call, first cell included (it carries shader compilation on webgpu:
 * reported apart as `firstSeconds`); medians over the others.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, parseBackendName, type BackendInfo, type BackendName } from '../../src/engine/backend.ts';
import { crossEntropy } from '../../src/executors/losses.ts';
import { chainedGradients } from '../../src/executors/tfjs-gradients.ts';
import { getProxy } from '../../src/proxies/registry.ts';
import type { ImageBatch } from '../../src/datasets/types.ts';
import { scoreCell, type ScoreContext } from '../../src/scoring/score-one.ts';
import { cellFromIndex } from '../../src/spaces/nb201-index.ts';
import { buildNB201Supernet } from '../../src/supernet/nb201-supernet.ts';

interface Args {
  out: string;
  backends: BackendName[];
  cells: number[];
  naswotBatch: number;
  gradBatch: number;
  trainBatch: number;
  image: number;
  trainSteps: number;
  /** Backends the supernet step is timed on. */
  trainOn: BackendName[];
}

function parseArgs(argv: string[]): Args {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const small = argv.includes('--small');
  return {
    out: get('--out') ?? process.env.OUT ?? 'out',
    backends: (get('--backends') ?? 'webgpu,wasm').split(',').map((b) => parseBackendName(b)!),
    cells: (get('--cells') ?? '0,1,2,3').split(',').map(Number),
    naswotBatch: Number(get('--naswot-batch') ?? (small ? 8 : 128)),
    gradBatch: Number(get('--grad-batch') ?? (small ? 8 : 64)),
    trainBatch: Number(get('--train-batch') ?? (small ? 4 : 64)),
    image: Number(get('--image') ?? (small ? 8 : 32)),
    trainSteps: Number(get('--train-steps') ?? 3),
    // At the paper's size one wasm step takes many minutes on one core: past the lent machine's
    // 10-minute command. The CPU figure comes from `make bench` instead.
    trainOn: (get('--train-on') ?? (small ? 'webgpu,wasm' : 'webgpu')).split(',').map((b) => parseBackendName(b)!),
  };
}

/** mulberry32 + Box-Muller: the same images on every backend and run. */
function noiseBatch(n: number, size: number, seed: number): ImageBatch {
  let s = seed >>> 0;
  const u = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const x = new Float32Array(n * size * size * 3);
  for (let i = 0; i < x.length; i++) x[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
  return { dataset: 'cifar10', split: 'train', indices: Array.from({ length: n }, (_, i) => i), n, height: size, width: size, channels: 3, x, labels };
}

const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function proxyRun(name: 'naswot' | 'grad_norm', batch: ImageBatch, cells: number[]): Promise<{ scores: number[]; seconds: number[] }> {
  const proxy = getProxy(name);
  const ctx: ScoreContext = {
    proxy,
    settings: proxy.defaults,
    batches: [batch],
    numClasses: 10,
    imageSize: { height: batch.height, width: batch.width },
    initSeed: 0,
    nb101StemChannels: 16,
  };
  const scores: number[] = [];
  const seconds: number[] = [];
  for (const c of cells) {
    const r = await scoreCell({ key: String(c) }, ctx);
    scores.push(r.score);
    seconds.push(r.seconds);
  }
  return { scores, seconds };
}

/** DARTS steps on the NB201 supernet: seconds per step (the first apart) and the losses. */
async function supernetSteps(batch: ImageBatch, steps: number): Promise<{ firstSeconds: number; seconds: number[]; losses: number[] }> {
  const sn = buildNB201Supernet({ C: 16, N: 5, numClasses: 10, seed: 0 });
  const alpha = tf.variable(tf.mul(tf.randomNormal([6, 5], 0, 1, 'float32', 1), 1e-3) as tf.Tensor2D);
  const x = tf.tensor4d(batch.x, [batch.n, batch.height, batch.width, 3]);
  try {
    const graph = sn.graphFor({});
    const opts = { param: (n: string) => (n === 'alpha' ? alpha : sn.store.variable(n)), training: true };
    const names = graph.params.map((p) => p.name);
    const times: number[] = [];
    const losses: number[] = [];
    for (let i = 0; i <= steps; i++) {
      const t0 = performance.now();
      const r = chainedGradients(graph, x, opts, (l) => crossEntropy(l, batch.labels), names);
      for (const n of names) {
        const g = r.grads.get(n);
        const v = opts.param(n) as tf.Variable;
        if (g) v.assign(tf.tidy(() => tf.sub(v, tf.mul(g, 0.025))));
      }
      losses.push((await r.loss.data())[0]!); // the read waits for the GPU: the step is done
      tf.dispose([...r.grads.values(), r.loss]);
      times.push((performance.now() - t0) / 1000);
    }
    return { firstSeconds: times[0]!, seconds: times.slice(1), losses };
  } finally {
    x.dispose();
    alpha.dispose();
    sn.dispose();
  }
}

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  mkdirSync(args.out, { recursive: true });
  const cells = args.cells.map((i) => ({ index: i, ops: cellFromIndex(i).ops }));
  writeFileSync(path.join(args.out, 'cells.json'), JSON.stringify({ cells, sizes: args }, null, 1));
  const naswotBatch = noiseBatch(args.naswotBatch, args.image, 1);
  const gradBatch = noiseBatch(args.gradBatch, args.image, 2);
  const trainBatch = noiseBatch(args.trainBatch, args.image, 3);
  const results: Record<string, unknown> = { sizes: args, cells };
  const perBackend: Record<string, { info?: BackendInfo; error?: string; naswot?: Awaited<ReturnType<typeof proxyRun>>; grad_norm?: Awaited<ReturnType<typeof proxyRun>>; supernet?: Awaited<ReturnType<typeof supernetSteps>> }> = {};
  for (const b of args.backends) {
    const entry: (typeof perBackend)[string] = {};
    perBackend[b] = entry;
    try {
      entry.info = await initBackend(b);
      console.log(`[${b}] ${entry.info.detail}`);
      entry.naswot = await proxyRun('naswot', naswotBatch, args.cells);
      console.log(`[${b}] naswot scores ${entry.naswot.scores.map((s) => s.toFixed(4)).join(' ')}; s/cell ${entry.naswot.seconds.map((s) => s.toFixed(3)).join(' ')}`);
      entry.grad_norm = await proxyRun('grad_norm', gradBatch, args.cells);
      console.log(`[${b}] grad_norm scores ${entry.grad_norm.scores.map((s) => s.toPrecision(6)).join(' ')}; s/cell ${entry.grad_norm.seconds.map((s) => s.toFixed(3)).join(' ')}`);
      if (!args.trainOn.includes(b)) {
        console.log(`[${b}] supernet step not timed here (--train-on ${args.trainOn.join(',')})`);
        continue;
      }
      entry.supernet = await supernetSteps(trainBatch, args.trainSteps);
      console.log(`[${b}] supernet step (batch ${args.trainBatch}): first ${entry.supernet.firstSeconds.toFixed(3)} s, then ${entry.supernet.seconds.map((s) => s.toFixed(3)).join(' ')} s; losses ${entry.supernet.losses.map((l) => l.toFixed(4)).join(' ')}`);
    } catch (err) {
      entry.error = err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err);
      console.log(`[${b}] FAILED: ${entry.error.split('\n', 1)[0]}`);
    }
    writeFileSync(path.join(args.out, 'node.json'), JSON.stringify({ ...results, backends: perBackend }, null, 1));
  }
  const g = perBackend.webgpu;
  const w = perBackend.wasm;
  const summary: Record<string, unknown> = {};
  if (g?.naswot && w?.naswot && g.grad_norm && w.grad_norm) {
    summary.agreement = {
      naswotMaxRel: Math.max(...g.naswot.scores.map((s, i) => rel(s, w.naswot!.scores[i]!))),
      gradNormMaxRel: Math.max(...g.grad_norm.scores.map((s, i) => rel(s, w.grad_norm!.scores[i]!))),
    };
    console.log(`agreement webgpu vs wasm (max relative difference over ${args.cells.length} cells): naswot ${(summary.agreement as { naswotMaxRel: number }).naswotMaxRel.toExponential(2)}, grad_norm ${(summary.agreement as { gradNormMaxRel: number }).gradNormMaxRel.toExponential(2)}`);
  }
  summary.secondsPerCell = Object.fromEntries(
    Object.entries(perBackend).map(([b, e]) => [
      b,
      e.error
        ? { error: e.error.split('\n', 1)[0] }
        : { naswotFirst: e.naswot!.seconds[0], naswot: median(e.naswot!.seconds.slice(1)), gradNormFirst: e.grad_norm!.seconds[0], gradNorm: median(e.grad_norm!.seconds.slice(1)), supernetStepFirst: e.supernet?.firstSeconds ?? null, supernetStep: e.supernet ? median(e.supernet.seconds) : null },
    ]),
  );
  console.log('seconds (median over cells after the first; first apart):', JSON.stringify(summary.secondsPerCell));
  writeFileSync(path.join(args.out, 'node.json'), JSON.stringify({ ...results, backends: perBackend, summary }, null, 1));
}

await main();
process.exit(0);
