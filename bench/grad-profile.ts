/**
 * Where the time of the tfjs first-order gradient pass goes (issue 17, item "profile first"):
 * one grad_norm/snip/fisher pass (context.ts tfjsGrads: weights and layer-output masks,
 * cross-entropy) on one NB201 cell of the zero-cost variant, batch 64 of CIFAR-10, wasm backend,
 * with tf.profile's per-kernel times summed by kernel name. First pass is a warm-up.
 *   DATA=../shared/data node --import tsx bench/grad-profile.ts [CELL]
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/engine/backend.ts';
import { tfjsGrads } from '../src/proxies/context.ts';
import { buildVariant } from '../src/proxies/variants.ts';
import { trainingBatches } from '../src/scoring/score-one.ts';
import { cellFromIndex } from '../src/spaces/nb201-index.ts';
import path from 'node:path';

const DATA = path.resolve(process.env.DATA ?? 'data');
const cell = Number(process.argv[2] ?? 1);
await initBackend('wasm');
const batch = trainingBatches(DATA, 'cifar10', 64, 1, 0, false)[0]!;
const net = buildVariant({ space: 'nb201', ops: cellFromIndex(cell).ops }, { variant: 'zero-cost', numClasses: 10, seed: 0, nb101StemChannels: 16 });
const req = { loss: 'cross-entropy' as const, weights: true, layerOutputs: true };
await tfjsGrads(net, batch, req);
const started = performance.now();
const info = await tf.profile(async () => {
  await tfjsGrads(net, batch, req);
});
const wall = (performance.now() - started) / 1000;
const byName = new Map<string, { ms: number; calls: number }>();
let total = 0;
for (const k of info.kernels) {
  const ms = Number(await (k.kernelTimeMs as unknown as Promise<number> | number)) || 0;
  total += ms;
  const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
  e.ms += ms;
  e.calls++;
  byName.set(k.name, e);
}
console.log(`cell ${cell} (${cellFromIndex(cell).ops.join(',')}), batch 64: pass ${wall.toFixed(2)} s wall under tf.profile, kernels ${(total / 1000).toFixed(2)} s, ${info.kernels.length} kernel calls, peak ${(info.peakBytes / 2 ** 20).toFixed(0)} MB`);
for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15)) {
  console.log(`${name.padEnd(28)} ${(e.ms / 1000).toFixed(3).padStart(8)} s ${((100 * e.ms) / total).toFixed(1).padStart(5)} %  ${String(e.calls).padStart(5)} calls`);
}
net.dispose();
