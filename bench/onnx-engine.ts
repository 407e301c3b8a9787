/**
 * Engine bench of issue 17: NASWOT seconds per NB201 cell, batch 128 of CIFAR-10 (DATA), on the
 * cells measure-one.ts uses (20 sampled with seed 1), side by side in one run:
 *   - ONNX Runtime (src/executors/onnx-executor.ts): 1 worker process with 1 thread; 2 worker
 *     processes with 1 thread each (the scoring pool's layout), wall time for all cells;
 *   - tfjs wasm (the context's tfjs path), 1 worker;
 *   - PyTorch (bench/reference/naswot-torch.py, /usr/bin/python3), 1 thread and 2 threads, when
 *     torch imports there;
 * as a table with ratios to PyTorch at equal cores. Each configuration runs in its own process
 * (peak RSS = that process's maxRSS); the first cell of each process is a warm-up and not timed
 * (the torch script does the same). The tfjs and ORT scores of the same cells give the agreement
 * statistic (fraction with relative log-det difference <= 1e-5). Network construction, weight
 * draw and serialisation count in each cell's time, as in a scoring run.
 *
 * PyTorch side: one train-mode forward with ReLU hooks per cell, network built per cell with
 * torch's default init. The reference script additionally runs a Jacobian backward pass per cell
 * that NASWOT's score does not use; leaving it out makes PyTorch faster, so ratios are
 * conservative.
 *
 *   DATA=../shared/data node --import tsx bench/onnx-engine.ts            (the table)
 *   CELLS=1000 ... bench/onnx-engine.ts rss     (ORT, 1 worker: RSS every 100 cells; growth?)
 *   AGREE=100  ... bench/onnx-engine.ts agree   (ORT vs tfjs scores on 100 cells)
 * Environment: CELLS (default 20), TFJS_CELLS and TORCH_CELLS (the first so many of those cells;
 * default CELLS), AGREE (default 100). Rows go to stderr as they are measured.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(import.meta.url);
const DATA = path.resolve(process.env.DATA ?? 'data');
const CELLS = Number(process.env.CELLS ?? 20);

interface WorkerReport {
  engine: string;
  threads: number;
  cells: number;
  seconds: number;
  secondsPerCell: number;
  /** CPU seconds (all threads of the process) per timed cell: robust to a shared, loaded machine. */
  cpuPerCell: number;
  scores: number[];
  maxRssMB: number;
  rssMB?: number[];
}

async function selectCells(count: number): Promise<number[]> {
  const { selectNB201Cells } = await import('../src/scoring/cell-selection.ts');
  return selectNB201Cells({ kind: 'sample', size: count, seed: 1 });
}

/** In-process: score the cells with NASWOT on one engine; print one JSON line. */
async function worker(engine: 'onnx' | 'tfjs', threads: number, cells: number[], rssEvery = 0): Promise<void> {
  const { initBackend } = await import('../src/engine/backend.ts');
  const { OnnxExecutor } = await import('../src/executors/onnx-executor.ts');
  const { contextFor, scoreCell } = await import('../src/scoring/score-one.ts');
  const { getProxy } = await import('../src/proxies/registry.ts');
  await initBackend('wasm');
  const fast = engine === 'onnx' ? new OnnxExecutor({ threads }) : undefined;
  const ctx = contextFor({ space: 'nb201', proxy: 'naswot', settings: getProxy('naswot').defaults, dataset: 'cifar10', batchSeed: 0, initSeed: 0, dataDir: DATA }, fast);
  await scoreCell({ key: String(cells[0]) }, ctx); // warm-up
  const scores: number[] = [];
  const rss: number[] = [];
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < cells.length; i++) {
    scores.push((await scoreCell({ key: String(cells[i]) }, ctx)).score);
    if (rssEvery > 0 && (i + 1) % rssEvery === 0) rss.push(process.memoryUsage().rss / 2 ** 20);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const report: WorkerReport = {
    cpuPerCell: (cpu.user + cpu.system) / 1e6 / cells.length,
    engine: fast ? fast.identity : 'tfjs wasm',
    threads,
    cells: cells.length,
    seconds,
    secondsPerCell: seconds / cells.length,
    scores,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    ...(rssEvery > 0 ? { rssMB: rss } : {}),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

function runWorker(engine: 'onnx' | 'tfjs', threads: number, cells: number[], rssEvery = 0): Promise<WorkerReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', HERE, 'worker', engine, String(threads), cells.join(','), String(rssEvery)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as WorkerReport) : reject(new Error(`bench worker ${engine} exited with ${code}`))));
  });
}

/** Two worker processes on halves of the cells, concurrently: wall time for all of them. */
async function twoWorkers(engine: 'onnx' | 'tfjs', cells: number[]): Promise<{ wall: number; reports: WorkerReport[] }> {
  const half = Math.ceil(cells.length / 2);
  const started = performance.now();
  const reports = await Promise.all([runWorker(engine, 1, cells.slice(0, half)), runWorker(engine, 1, cells.slice(half))]);
  // each worker's own warm-up cell is inside the wall time: a scoring run pays it too
  return { wall: (performance.now() - started) / 1000, reports };
}

async function torch(threads: number, cells: number[], kernel: 'reference' | 'none' = 'reference'): Promise<WorkerReport | undefined> {
  const { trainingBatches } = await import('../src/scoring/score-one.ts');
  const { cellFromIndex } = await import('../src/spaces/nb201-index.ts');
  const dir = mkdtempSync(path.join(tmpdir(), 'nasrepro-torch-'));
  const batch = trainingBatches(DATA, 'cifar10', 128, 1, 0, false)[0]!;
  writeFileSync(path.join(dir, 'x.bin'), Buffer.from(batch.x.buffer, batch.x.byteOffset, batch.x.byteLength));
  writeFileSync(path.join(dir, 'cells.json'), JSON.stringify({ n: batch.n, cells: cells.map((c) => cellFromIndex(c).ops) }));
  try {
    const out = execFileSync('/usr/bin/python3', [path.join(path.dirname(HERE), 'reference', 'naswot-torch.py'), dir, String(threads), kernel], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    return JSON.parse(out.trim().split('\n').pop()!) as WorkerReport;
  } catch (e) {
    process.stderr.write(`onnx-engine: PyTorch reference skipped (${(e as Error).message.split('\n')[0]})\n`);
    return undefined;
  }
}

function agreement(a: readonly number[], b: readonly number[]): { within: number; of: number; worst: number; nonFinite: number } {
  let within = 0;
  let worst = 0;
  let nonFinite = 0;
  for (let i = 0; i < a.length; i++) {
    // equal non-finite scores (a singular K: log|det| = -Infinity on both) agree; they are counted
    if (!Number.isFinite(a[i]!) || !Number.isFinite(b[i]!)) {
      nonFinite++;
      if (Object.is(a[i], b[i])) within++;
      continue;
    }
    const d = Math.abs(a[i]! - b[i]!) / Math.abs(b[i]!);
    if (d <= 1e-5) within++;
    if (!(d <= worst)) worst = d;
  }
  return { within, of: a.length, worst, nonFinite };
}

async function table(): Promise<void> {
  const cells = await selectCells(CELLS);
  const tfjsCells = cells.slice(0, Number(process.env.TFJS_CELLS ?? CELLS));
  const torchCells = cells.slice(0, Number(process.env.TORCH_CELLS ?? CELLS));
  type Row = { what: string; cores: number; perCell: number; cpu: number; rss: number; load: number };
  const rows: Row[] = [];
  const { loadavg } = await import('node:os');
  let load = 0;
  const at = () => (load = loadavg()[0]!);
  at();
  const line = (r: Row, ratio: string) =>
    `${r.what.padEnd(56)} ${String(r.cores).padStart(5)} ${r.perCell.toFixed(3).padStart(8)} ${ratio.padStart(10)} ${r.cpu.toFixed(3).padStart(9)} ${cpuRatio(r).padStart(9)} ${r.rss.toFixed(0).padStart(12)} ${r.load.toFixed(1).padStart(5)}\n`;
  const header = `${'engine'.padEnd(56)} ${'cores'.padStart(5)} ${'s/cell'.padStart(8)} ${'x PyTorch'.padStart(10)} ${'CPU s/cell'.padStart(9)} ${'x PyTorch'.padStart(9)} ${'peak RSS MB'.padStart(12)} ${'load'.padStart(5)}\n`;
  // rows go to stderr as they are measured (a long run shows progress); the table at the end
  const torchCpu = new Map<number, number>();
  const cpuRatio = (r: Row) => {
    const t = torchCpu.get(r.cores);
    return t ? (r.cpu / t).toFixed(3) : '-';
  };
  const push = (r: Row) => {
    rows.push(r);
    process.stderr.write(`onnx-engine: ${line(r, '')}`);
  };
  const ort1 = await runWorker('onnx', 1, cells);
  push({ what: `ORT ${ort1.engine}, 1 worker x 1 thread`, cores: 1, perCell: ort1.secondsPerCell, cpu: ort1.cpuPerCell, rss: ort1.maxRssMB, load });
  at();
  const ort2 = await twoWorkers('onnx', cells);
  const window = Math.max(...ort2.reports.map((r) => r.seconds));
  push({ what: 'ORT, 2 workers x 1 thread (slower worker)', cores: 2, perCell: window / cells.length, cpu: ort2.reports.reduce((a, r) => a + r.cpuPerCell * r.cells, 0) / cells.length, rss: Math.max(...ort2.reports.map((r) => r.maxRssMB)), load });
  push({ what: 'ORT, 2 workers, wall incl. start-up', cores: 2, perCell: ort2.wall / cells.length, cpu: NaN, rss: Math.max(...ort2.reports.map((r) => r.maxRssMB)), load });
  at();
  const ort2t = await runWorker('onnx', 2, cells);
  push({ what: 'ORT, 1 worker x 2 threads', cores: 2, perCell: ort2t.secondsPerCell, cpu: ort2t.cpuPerCell, rss: ort2t.maxRssMB, load });
  at();
  const tf1 = await runWorker('tfjs', 1, tfjsCells);
  // the agreement of the scores both engines computed on the same cells (before the torch rows)
  const ag = agreement(ort1.scores.slice(0, tfjsCells.length), tf1.scores);
  process.stderr.write(`onnx-engine: agreement ${ag.within}/${ag.of} (worst ${ag.worst.toExponential(2)})\n`);
  push({ what: `tfjs wasm, 1 worker (${tfjsCells.length} cells)`, cores: 1, perCell: tf1.secondsPerCell, cpu: tf1.cpuPerCell, rss: tf1.maxRssMB, load });
  const torchRows: [number, 'reference' | 'none'][] = [[1, 'reference'], [2, 'reference'], [1, 'none'], [2, 'none']];
  const torchRef = new Map<number, number>();
  for (const [threads, kernel] of torchRows) {
    at();
    const t = await torch(threads, torchCells, kernel);
    if (!t) continue;
    if (kernel === 'reference') {
      torchRef.set(threads, t.secondsPerCell);
      torchCpu.set(threads, t.cpuPerCell);
    }
    push({ what: `PyTorch ${t.engine.replace('torch ', '')}, ${threads} thread${threads > 1 ? 's' : ''}${kernel === 'none' ? ', forward only (no K)' : ''} (${torchCells.length} cells)`, cores: threads, perCell: t.secondsPerCell, cpu: t.cpuPerCell, rss: t.maxRssMB, load });
  }
  process.stdout.write(`NASWOT, batch 128, CIFAR-10, ${cells.length} NB201 cells (sample seed 1); ratios to PyTorch (reference K) at equal cores\n`);
  process.stdout.write(header);
  for (const r of rows) {
    const t = torchRef.get(r.cores);
    process.stdout.write(line(r, t ? (r.perCell / t).toFixed(3) : '-'));
  }
  process.stdout.write('(load: the 1-minute load average when the row started; the machine is shared. CPU s/cell: CPU time of\n the process(es), all threads, per cell: on a loaded machine the fairer measure; for 2 cores it sums both.)\n');
  process.stdout.write(`agreement ORT vs tfjs: ${ag.within}/${ag.of} cells with relative log-det difference <= 1e-5 (worst ${ag.worst.toExponential(2)})\n`);
  const per2 = window / cells.length;
  const cpu2 = ort2.reports.reduce((a, r) => a + r.cpuPerCell * r.cells, 0) / cells.length / 2;
  process.stdout.write(
    `estimate, all 15,625 NB201 cells on 2 workers: ${((15625 * per2) / 3600).toFixed(2)} h at the measured ${per2.toFixed(3)} s/cell wall; ` +
      `${((15625 * cpu2) / 3600).toFixed(2)} h on 2 otherwise idle cores (CPU ${cpu2.toFixed(3)} s/cell per core)\n`,
  );
}

async function rss(): Promise<void> {
  const cells = await selectCells(CELLS);
  const every = Math.max(1, Math.floor(cells.length / 10));
  const r = await runWorker('onnx', 1, cells, every);
  process.stdout.write(`ORT 1 worker, ${cells.length} cells: ${r.secondsPerCell.toFixed(3)} s/cell (CPU ${r.cpuPerCell.toFixed(3)} s/cell), peak RSS ${r.maxRssMB.toFixed(0)} MB; RSS every ${every} cells (MB): ${r.rssMB!.map((m) => m.toFixed(0)).join(' ')}\n`);
}

async function agree(): Promise<void> {
  const cells = await selectCells(Number(process.env.AGREE ?? 100));
  const [a, b] = await Promise.all([runWorker('onnx', 1, cells), runWorker('tfjs', 1, cells)]);
  const ag = agreement(a.scores, b.scores);
  process.stdout.write(`agreement ORT vs tfjs, ${cells.length} cells, batch 128: ${ag.within}/${ag.of} with relative log-det difference <= 1e-5 (worst ${ag.worst.toExponential(2)}; non-finite on either side: ${ag.nonFinite}; ORT ${a.scores.filter((x) => !Number.isFinite(x)).join(' ') || 'none'}, tfjs ${b.scores.filter((x) => !Number.isFinite(x)).join(' ') || 'none'})\n`);
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'worker') await worker(args[0] as 'onnx' | 'tfjs', Number(args[1]), args[2]!.split(',').map(Number), Number(args[3] ?? 0));
else if (mode === 'rss') await rss();
else if (mode === 'agree') await agree();
else await table();
