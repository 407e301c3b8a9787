/**
 * `make bench`: speed and memory of the data layer and the proxies, each measured in its own
 * process (peak RSS = that process's maxRSS). Prints a table and writes results/bench.json.
 * Other focused benchmarks: bench/engine-kernels.ts (conv gradient kernels),
 * bench/nb101-enumerate.ts (the whole NB101 space), bench/naswot-profile.ts (one cell, per op),
 * bench/onnx-engine.ts (issue 17's engine table, also run here; its `rss` and `agree` modes).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { proxyNames } from '../src/proxies/registry.ts';
import { writeFileAtomic } from '../src/util/atomic-file.ts';

/** Resident memory of an instantiated h5wasm module (measured: ~610 MB above a bare tsx process). */
const H5WASM_MB = 610;
const DATA = path.resolve(process.env.DATA ?? 'data');
const QUICK = process.env.QUICK === '1';

interface Row {
  what: string;
  args: string[];
  seconds: number;
  maxRssMB: number;
  [k: string]: unknown;
}

function measure(...args: string[]): Row | undefined {
  try {
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/measure-one.ts', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    return JSON.parse(out.trim().split('\n').pop()!) as Row;
  } catch (e) {
    process.stderr.write(`bench: ${args.join(' ')} failed: ${(e as Error).message}\n`);
    return undefined;
  }
}

const rows: Row[] = [];
const add = (r: Row | undefined) => {
  if (r) {
    rows.push(r);
    process.stdout.write(`${r.what.padEnd(14)} ${path.basename(r.args[0] ?? '').padEnd(34)} ${r.seconds.toFixed(2).padStart(8)} s ${r.maxRssMB.toFixed(0).padStart(6)} MB peak RSS${r.secondsPerCell ? `  ${r.proxy as string}: ${(r.secondsPerCell as number).toFixed(3)} s/cell (${r.backend}, batch ${r.batchSize as number})` : ''}\n`);
  }
};

const nb201 = path.join(DATA, 'nb201');
for (const src of ['nb201-accuracies.csv', 'NAS-Bench-201-sample-legacy.pth', 'NATS-tss-v1_0-3ffb9-simple']) {
  if (existsSync(path.join(nb201, src))) add(measure('import-nb201', path.join(nb201, src)));
}
if (existsSync(path.join(nb201, 'nb201-accuracies.csv'))) {
  const q = measure('query', path.join(nb201, 'nb201-accuracies.csv'));
  if (q) {
    rows.push(q);
    process.stdout.write(
      `query          store open ${(q.openMs as number).toFixed(1)} ms, first query ${(q.firstQueryMs as number).toFixed(3)} ms (one-element read), ` +
        `then ${(q.queryUs as number).toFixed(2)} µs per query\n`,
    );
  }
}
// The pickle VM's footprint against the number of architectures, on two generated .pth files in
// the official layout (3 and 150 cells): the slope is what each further architecture keeps.
const small = measure('read-pth', 'test/fixtures/nb201/nb201-small-legacy.pth');
const many = measure('read-pth', 'test/fixtures/nb201/nb201-many-legacy.pth');
add(small);
add(many);
const nb101 = path.join(DATA, 'nb101');
const nb101Sources = ['nb101-sample.tfrecord', 'nb101-cells-1k.csv', 'nb101-hash-accuracy-20k.csv'].map((f) => path.join(nb101, f)).filter(existsSync);
for (const f of nb101Sources) add(measure('import-nb101', f));

if (existsSync(path.join(DATA, 'cifar10'))) {
  // Every proxy at the reference's batch size on wasm (the default engine here), NASWOT on cpu too
  // for the engine comparison.
  for (const proxy of proxyNames()) add(measure('proxy', proxy, 'wasm', QUICK ? '2' : proxy === 'naswot' ? '20' : '5', DATA));
  add(measure('proxy', 'naswot', 'cpu', QUICK ? '1' : '2', DATA));
}

const kendall = measure('kendall', '200000');
if (kendall) {
  rows.push(kendall);
  process.stdout.write(`kendall        tau-b on ${kendall.n as number} tied pairs: ${(kendall.kendallMs as number).toFixed(0)} ms\n`);
}

let extrapolation: Record<string, number> | undefined;
if (small && many) {
  const archs = (many.archs as number) - (small.archs as number);
  // What each further architecture keeps: the growth of the live heap after a full GC (peak RSS
  // also moves with when V8 chooses to collect, which is noise at this size).
  const perArchMB = ((many.heapAfterGcMB as number) - (small.heapAfterGcMB as number)) / archs;
  extrapolation = {
    perArchKB: perArchMB * 1024,
    // The store builder for the full file: one float64 per (column, seed, row). v1_1 has about
    // 4 datasets x 4 splits x 3 metrics x 2 budgets x 4 seed slots ~ 400 columns.
    builderMB: (400 * 15625 * 8) / 2 ** 20,
    // h5wasm's own resident heap, measured by the import rows (it is there for any import).
    fullPthPeakMB: many.maxRssMB + perArchMB * (15625 - (many.archs as number)) + (400 * 15625 * 8) / 2 ** 20 + H5WASM_MB,
  };
  process.stdout.write(
    `\n.pth import memory: ${extrapolation.perArchKB.toFixed(2)} KB per further architecture; ` +
      `for 15,625 architectures ~${extrapolation.fullPthPeakMB.toFixed(0)} MB peak ` +
      `(plus the pickle's probation window of ~5 official-size records alive at once, see src/io/pickle.ts)\n`,
  );
}
// Issue 17's engine table: NASWOT on ONNX Runtime, tfjs wasm and PyTorch, side by side (its own processes).
let engineTable: string | undefined;
if (existsSync(path.join(DATA, 'cifar10'))) {
  try {
    engineTable = execFileSync(process.execPath, ['--import', 'tsx', 'bench/onnx-engine.ts'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, DATA, ...(QUICK ? { CELLS: '3' } : {}) } });
    process.stdout.write(`\n${engineTable}`);
  } catch (e) {
    process.stderr.write(`bench: onnx-engine failed: ${(e as Error).message}\n`);
  }
}
writeFileAtomic('results/bench.json', `${JSON.stringify({ date: new Date().toISOString(), data: DATA, rows, extrapolation, engineTable }, null, 2)}\n`);
