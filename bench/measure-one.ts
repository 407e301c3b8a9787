/**
 * One measurement in a fresh process, so that its peak RSS is its own: prints one JSON line.
 *   import-nb201 SRC | import-nb101 SRC... | proxy NAME BACKEND CELLS DATA | kendall N
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BackendName } from '../src/engine/backend.ts';

// Modules are imported per measurement: h5wasm alone holds ~600 MB resident once instantiated,
// which would hide the pickle reader's own footprint in the read-pth measurement.

const [what, ...args] = process.argv.slice(2);
const out = path.join(mkdtempSync(path.join(tmpdir(), 'nasrepro-bench-')), 'store.h5');
const t0 = performance.now();
let extra: Record<string, unknown> = {};

if (what === 'import-nb201') {
  const { importNB201 } = await import('../src/benchmarks/import-nb201.ts');
  extra = { ...(await importNB201(args[0]!, out)) };
} else if (what === 'read-pth') {
  // Reading only (no store): the pickle VM's own footprint on a .pth.
  const { readNB201Pth } = await import('../src/benchmarks/nb201-pth.ts');
  // Keep what an importer keeps per architecture (its metric rows), as the store builder would.
  const kept: unknown[] = [];
  const s = await readNB201Pth(args[0]!, (r) => kept.push(r.metrics));
  (globalThis as { gc?: () => void }).gc?.();
  extra = {
    heapAfterGcMB: process.memoryUsage().heapUsed / 2 ** 20,
    keptRecords: kept.length, archs: s.recordCount, maxMemoSize: s.pickle.maxMemoSize, promoted: s.pickle.promoted };
} else if (what === 'query') {
  // Open + query latency of a store built from the given NB201 source (the build is not timed).
  const { importNB201 } = await import('../src/benchmarks/import-nb201.ts');
  const { BenchmarkStore } = await import('../src/benchmarks/store.ts');
  await importNB201(args[0]!, out);
  let t = performance.now();
  const store = await BenchmarkStore.open(out);
  const openMs = performance.now() - t;
  const q = { dataset: 'cifar10-valid', split: 'x-valid', epochs: 200 };
  t = performance.now();
  store.value(123, q);
  const firstQueryMs = performance.now() - t;
  store.column(q); // what an experiment does: read the column once
  const n = 100_000;
  t = performance.now();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += store.value((i * 7919) % store.size, q);
  const queryUs = ((performance.now() - t) * 1000) / n;
  store.close();
  extra = { openMs, firstQueryMs, queryUs, checksum: sum };
} else if (what === 'import-nb101') {
  const { importNB101 } = await import('../src/benchmarks/import-nb101.ts');
  extra = { ...(await importNB101(args, out)) };
} else if (what === 'proxy') {
  // One proxy's own speed: the reference's batch size, NB201 cells sampled with seed 1.
  const [proxyName, backend, count, dataDir] = args as [string, BackendName, string, string];
  const { initBackend } = await import('../src/engine/backend.ts');
  const { getProxy } = await import('../src/proxies/registry.ts');
  const { selectNB201Cells } = await import('../src/scoring/cell-selection.ts');
  const { contextFor, scoreCell } = await import('../src/scoring/score-one.ts');
  const info = await initBackend(backend);
  const settings = { ...getProxy(proxyName).defaults };
  const ctx = contextFor({ space: 'nb201', proxy: proxyName, settings, dataset: 'cifar10', batchSeed: 0, initSeed: 0, dataDir });
  const cells = selectNB201Cells({ kind: 'sample', size: Number(count), seed: 1 });
  await scoreCell({ key: String(cells[0]) }, ctx); // warm-up: kernel set-up, first allocations
  const started = performance.now();
  for (const c of cells) await scoreCell({ key: String(c) }, ctx);
  const seconds = (performance.now() - started) / 1000;
  extra = { proxy: proxyName, backend: `${info.name} ${info.version}`, batchSize: settings.batchSize, cells: cells.length, secondsPerCell: seconds / cells.length };
} else if (what === 'kendall') {
  // Kendall tau-b on N tied pairs (O(n log n)); was a timing assertion in the unit tests.
  const { kendallTauB } = await import('../src/stats/kendall.ts');
  const { createPrng } = await import('../src/stats/prng.ts');
  const rng = createPrng(1);
  const n = Number(args[0] ?? 200_000);
  const x = Array.from({ length: n }, () => rng.nextInt(1000));
  const y = x.map((v) => v + rng.nextInt(500));
  const t = performance.now();
  const r = kendallTauB(x, y);
  extra = { n, kendallMs: performance.now() - t, tau: r.value };
}
const seconds = (performance.now() - t0) / 1000;
const maxRssMB = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify({ what, args, seconds, maxRssMB, ...extra })}\n`);
