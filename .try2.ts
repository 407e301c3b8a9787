import { OnnxExecutor, loadOrt } from './src/executors/onnx-executor.ts';
import { buildOnnxModel } from './src/executors/onnx-model.ts';
import { buildVariant } from './src/proxies/variants.ts';
import { trainingBatches } from './src/scoring/score-one.ts';
import { cellFromIndex } from './src/spaces/nb201-index.ts';
const ort = loadOrt();
const n = Number(process.env.N ?? 128);
const batch = trainingBatches('/work/shared/data', 'cifar10', n, 1, 0, false)[0]!;
for (const idx of [0, 1234, 9999]) {
  console.log(idx, cellFromIndex(idx).ops.join(','));
  const net = buildVariant({ space: 'nb201', ops: cellFromIndex(idx).ops }, { variant: 'naswot', numClasses: 10, seed: 1, nb101StemChannels: 16 });
  const w = new Map<string, Float32Array>(); for (const p of net.graph.params) w.set(p.name, await net.values(p.name));
  for (const K of [false, true]) {
  let t = performance.now();
  const bytes = buildOnnxModel(net.graph, (x) => w.get(x)!, { height: 32, width: 32, reluKernel: K });
  const tb = performance.now() - t; t = performance.now();
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: Number(process.env.T ?? 1), interOpNumThreads: 1, graphOptimizationLevel: (process.env.OPT as any) ?? 'all', enableProfiling: false});
  const ts = performance.now() - t;
  const images = new ort.Tensor('float32', batch.x as Float32Array, [n, 32, 32, 3]);
  const runs: number[] = [];
  for (let r = 0; r < 2; r++) { t = performance.now(); await s.run({ images }); runs.push(performance.now() - t); }
  console.log(' K', K, 'bytes', bytes.length, 'build', tb.toFixed(0), 'create', ts.toFixed(0), 'runs', runs.map((x) => x.toFixed(0)).join(' '));
  await s.release();
  }
}
