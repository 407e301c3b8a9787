/**
 * Times one forward pass of the NB201 network (train-mode BN, as NASWOT runs it) on a tfjs backend.
 *
 *   npx tsx bench/nb201-forward.ts [backend=cpu|wasm] [batch=128] [arch string]
 *
 * Default cell: a mid-size one (one 3x3 and two 1x1 convs; the average cell of the space has 1.2 of
 * each). Prints build time, the first forward (includes kernel warm-up) and a second forward.
 */
import * as tf from '@tensorflow/tfjs';
import { asNB201Cell } from '../src/models/nb201-cell.ts';
import { nb201Cost } from '../src/models/nb201-cost.ts';
import { buildNB201Network } from '../src/models/nb201-network.ts';

const MID_CELL = '|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|';

function parseArch(arch: string): readonly string[] {
  return asNB201Cell(
    arch
      .split('+')
      .flatMap((group) => group.split('|').filter((s) => s.length > 0))
      .map((token) => token.split('~')[0]!),
  );
}

async function main(): Promise<void> {
  const [backend = 'cpu', batchArg = '128', arch = MID_CELL] = process.argv.slice(2);
  const batch = Number(batchArg);
  // The plain wasm backend (without src/engine's kernel fixes): forward passes need none of them.
  if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} unavailable`);
  const cell = parseArch(arch);
  const cost = nb201Cost(cell, { numClasses: 10 });
  console.log(`backend ${tf.getBackend()}, batch ${batch}, cell ${arch}`);
  console.log(`params ${cost.paramsM} M, ${cost.flopsM} M multiply-adds per image, ${((cost.flops * batch) / 1e9).toFixed(2)} G per batch`);

  let t = performance.now();
  const net = buildNB201Network(cell, { numClasses: 10, seed: 0 });
  console.log(`build: ${(performance.now() - t).toFixed(0)} ms`);
  const x = tf.randomNormal([batch, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  for (const run of ['first', 'second']) {
    t = performance.now();
    const cpu = process.cpuUsage();
    const y = net.apply(x, { training: true, updateRunningStats: false });
    await y.data();
    const used = process.cpuUsage(cpu);
    // CPU time next to wall time: on a shared machine the wall time includes waiting for a core.
    console.log(
      `${run} forward: ${((performance.now() - t) / 1000).toFixed(2)} s wall, ` +
        `${((used.user + used.system) / 1e6).toFixed(2)} s CPU`,
    );
    y.dispose();
  }
  net.dispose();
  x.dispose();
}

await main();
