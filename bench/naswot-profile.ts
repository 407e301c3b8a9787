import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/engine/backend.ts';
import { buildNB201Network } from '../src/models/nb201-network.ts';
import { naswot } from '../src/proxies/naswot.ts';
import { selectBatch } from '../src/datasets/batch.ts';
import { loadImageSet } from '../src/datasets/load.ts';
import { parseNB201 } from '../src/spaces/nb201.ts';

const info = await initBackend((process.argv[2] as 'wasm') ?? 'wasm');
console.log(info);
const batch = selectBatch(loadImageSet(process.env.DATA ?? 'data', 'cifar10', 'train'), 128, 0);
const arch = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|';
const net = buildNB201Network(parseNB201(arch).ops, { ...naswot.network(1), seed: 0 });
const x = tf.tensor4d(batch.x, [128, 32, 32, 3]);
for (let rep = 0; rep < 3; rep++) {
  let t = performance.now();
  tf.dispose(net.apply(x, { training: true, updateRunningStats: false, releaseIntermediates: true }));
  const fwd = performance.now() - t;
  t = performance.now();
  const s = await naswot.score(net, batch, { batchSize: 128 }, tf);
  const full = performance.now() - t;
  console.log({ fwd: fwd.toFixed(0), full: full.toFixed(0), s, mem: (process.memoryUsage().rss / 1e9).toFixed(2), tensors: tf.memory().numTensors });
}
if (process.argv[3] === 'profile') {
  const p = await tf.profile(() => { tf.dispose(net.apply(x, { training: true, updateRunningStats: false, releaseIntermediates: true })); });
  const by = new Map<string, number>();
  for (const k of p.kernels) by.set(k.name, (by.get(k.name) ?? 0) + (k.kernelTimeMs as number));
  console.log([...by.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12));
}
