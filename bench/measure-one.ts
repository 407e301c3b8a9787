/**
 * One measurement in a fresh process, so that its peak RSS is its own: prints one JSON line.
 *   import-nb201 SRC | import-nb101 SRC... | naswot BACKEND CELLS DATA
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { importNB101 } from '../src/benchmarks/import-nb101.ts';
import { importNB201 } from '../src/benchmarks/import-nb201.ts';
import { readNB201Pth } from '../src/benchmarks/nb201-pth.ts';
import { initBackend, type BackendName } from '../src/engine/backend.ts';
import { selectNB201Cells } from '../src/scoring/cell-selection.ts';
import { contextFor, scoreNB201Cell } from '../src/scoring/score-one.ts';

const [what, ...args] = process.argv.slice(2);
const out = path.join(mkdtempSync(path.join(tmpdir(), 'nasrepro-bench-')), 'store.h5');
const t0 = performance.now();
let extra: Record<string, unknown> = {};

if (what === 'import-nb201') {
  extra = { ...(await importNB201(args[0]!, out)) };
} else if (what === 'read-pth') {
  // Reading only (no store): the pickle VM's own footprint on a .pth.
  const s = await readNB201Pth(args[0]!, () => {});
  extra = { archs: s.recordCount, maxMemoSize: s.pickle.maxMemoSize, promoted: s.pickle.promoted };
} else if (what === 'import-nb101') {
  extra = { ...(await importNB101(args, out)) };
} else if (what === 'naswot') {
  const [backend, count, dataDir] = args as [BackendName, string, string];
  const info = await initBackend(backend);
  const ctx = contextFor({ space: 'nb201', proxy: 'naswot', settings: { batchSize: 128 }, dataset: 'cifar10', batchSeed: 0, initSeed: 0, dataDir });
  const cells = selectNB201Cells({ kind: 'sample', size: Number(count), seed: 1 });
  await scoreNB201Cell(cells[0]!, ctx); // warm-up: kernel set-up, first allocations
  const started = performance.now();
  for (const c of cells) await scoreNB201Cell(c, ctx);
  const seconds = (performance.now() - started) / 1000;
  extra = { backend: `${info.name} ${info.version}`, cells: cells.length, cellsPerSecond: cells.length / seconds };
}
const seconds = (performance.now() - t0) / 1000;
const maxRssMB = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify({ what, args, seconds, maxRssMB, ...extra })}\n`);
