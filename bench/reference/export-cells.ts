/**
 * Cross-check of grad_norm and fisher against an independent PyTorch evaluation (Debian's
 * python3-torch): exports NB201 cells' weights (state-dict names, our NHWC layouts), a CIFAR-10
 * batch and our scores; bench/reference/zero-cost-torch.py rebuilds each network in torch,
 * computes the measures with the reference's hook procedure and prints both.
 *   node --import tsx bench/reference/export-cells.ts DATA OUTDIR CELL...
 *   /usr/bin/python3 bench/reference/zero-cost-torch.py OUTDIR
 * Measured 2026-11-23 on cells 1, 2000, 5000, 9000, 12000, 15000: fisher agrees to 4e-5..4e-4
 * relative on five, 5% on cell 12000; grad_norm to 3e-5..2e-3.
 */
import { writeFileSync } from 'node:fs';
import { initBackend } from '../../src/engine/backend.ts';
import { buildNB201Network } from '../../src/models/nb201-network.ts';
import { fisher } from '../../src/proxies/fisher.ts';
import { gradNorm } from '../../src/proxies/grad-norm.ts';
import { scoreNumber } from '../../src/proxies/context.ts';
import { NETWORK_VARIANTS } from '../../src/proxies/variants.ts';
import { selectBatch } from '../../src/datasets/batch.ts';
import { loadImageSet } from '../../src/datasets/load.ts';
import { cellFromIndex, archStringFromIndex } from '../../src/spaces/nb201-index.ts';
const [dataDir, out, ...cellArgs] = process.argv.slice(2);
if (!dataDir || !out) throw new Error('usage: export-cells.ts DATA OUTDIR CELL...');
await initBackend('wasm');
const batch = selectBatch(loadImageSet(dataDir, 'cifar10', 'train'), 64, 0);
writeFileSync(`${out}/x.bin`, Buffer.from(batch.x.buffer));
writeFileSync(`${out}/y.bin`, Buffer.from(batch.labels.buffer));
const cells = cellArgs.map(Number);
const manifest: unknown[] = [];
for (const c of cells) {
  const net = buildNB201Network(cellFromIndex(c).ops, { ...NETWORK_VARIANTS[fisher.network].nb201(10), seed: 0 });
  const params = net.params.map((p) => {
    const file = `${out}/${c}-${p.name}.bin`;
    writeFileSync(file, Buffer.from((p.variable.dataSync() as Float32Array).slice().buffer));
    return { name: p.name, shape: p.variable.shape, file };
  });
  const f = await scoreNumber(fisher, net, [batch]);
  const g = await scoreNumber(gradNorm, net, [batch]);
  manifest.push({ cell: c, arch: archStringFromIndex(c), ops: cellFromIndex(c).ops, params, fisher: f, grad_norm: g });
  net.dispose();
}
writeFileSync(`${out}/manifest.json`, JSON.stringify(manifest));
console.log('exported', cells.length);
