import * as tf from '@tensorflow/tfjs';
import { OnnxExecutor } from '/work/wt-onnx/src/executors/onnx-executor.ts';
import { tfjsReluKernel } from '/work/wt-onnx/src/proxies/context.ts';
import { buildVariant } from '/work/wt-onnx/src/proxies/variants.ts';
import { trainingBatches } from '/work/wt-onnx/src/scoring/score-one.ts';
import { cellFromIndex } from '/work/wt-onnx/src/spaces/nb201-index.ts';
import { logAbsDet } from '/work/wt-onnx/src/util/linalg.ts';
import { initBackend } from '/work/wt-onnx/src/engine/backend.ts';
await initBackend((process.env.BK as any) ?? 'wasm');
const n = Number(process.env.N ?? 16);
const batch = trainingBatches('/work/shared/data', 'cifar10', n, 1, 0, false)[0]!;
const ex = new OnnxExecutor({ threads: Number(process.env.T ?? 1) });
for (const idx of [0, 1234, 9999]) {
  const net = buildVariant({ space: 'nb201', ops: cellFromIndex(idx).ops }, { variant: 'naswot', numClasses: 10, seed: 1, nb101StemChannels: 16 });
  let t = performance.now();
  const Ko = await ex.reluKernel(net, batch);
  const to = performance.now() - t; t = performance.now();
  const Kt = await tfjsReluKernel(net, batch);
  const tt = performance.now() - t;
  let md = 0; for (let i = 0; i < Ko.length; i++) md = Math.max(md, Math.abs(Ko[i]! - Kt[i]!));
  const a = logAbsDet(Ko, n), b = logAbsDet(Kt, n);
  console.log(idx, 'onnx', to.toFixed(0), 'ms tfjs', tt.toFixed(0), 'ms maxKdiff', md, 'logdet', a, b, Math.abs(a - b) / Math.abs(b));
  net.dispose();
}
