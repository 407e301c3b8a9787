/**
 * `nasrepro score PROXY --space nb201 (--cells I,J,.. | --sample N --seed S | --all) --out FILE.csv`
 * `nasrepro score PROXY --space nb101 (--hashes H,.. | --sample N --seed S | --all) [--store F] [--space-store F] --out FILE.csv`
 * Scores cells (for every pair of --init-seeds x --batch-seeds) and writes one row per cell and
 * seed pair; the configuration goes to FILE.csv.json beside it. Scores are cached: a rerun
 * computes only what the cache lacks.
 */
import type { Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import type { DatasetName } from '../datasets/types.ts';
import { parseBackendName } from '../engine/backend.ts';
import { INIT_SCHEMES, type InitScheme } from '../models/init.ts';
import { getProxy, proxyNames } from '../proxies/registry.ts';
import type { ProxyDefinition, ProxySettings } from '../proxies/types.ts';
import { DEFAULT_CACHE_DIR } from '../results/score-cache.ts';
import { describeSelection, nb101CellSource, selectNB101Cells, selectNB201Cells, type CellSelection, type NB101Selection } from '../scoring/cell-selection.ts';
import { nb201Tasks, scoreCells, type ScoreCellsResult, type ScoredCell } from '../scoring/score-cells.ts';
import { parseExecutorChoice } from '../scoring/executor-choice.ts';
import type { ScoreJob, ScoreTask } from '../scoring/score-job.ts';
import { NB101_CPU_STEM_CHANNELS } from '../scoring/score-one.ts';
import { archStringFromIndex } from '../spaces/nb201-index.ts';
import { assertWritable, writeFileAtomic } from '../util/atomic-file.ts';
import { DataError } from '../util/errors.ts';
import { parseShard, shardCacheDir, shardName, shardOf } from '../scoring/shard.ts';

interface ScoreOptions {
  space: string;
  cells?: string;
  hashes?: string;
  sample?: string;
  seed: string;
  all?: boolean;
  store?: string;
  spaceStore?: string;
  stem?: string;
  batch?: string;
  augment?: boolean;
  batchSeed?: string;
  initSeed?: string;
  batchSeeds?: string;
  initSeeds?: string;
  initScheme?: string;
  dataset: string;
  backend?: string;
  executor?: string;
  workers?: string;
  data: string;
  cacheDir: string;
  out: string;
  shard?: string;
}

function int(name: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n)) throw new DataError(`--${name} must be an integer, got '${v}'`);
  return n;
}

function intList(name: string, v: string): number[] {
  const list = v.split(',').map((s) => int(name, s.trim()));
  if (new Set(list).size !== list.length) throw new DataError(`--${name} lists a seed twice: '${v}'`);
  return list;
}

function exactlyOne(o: ScoreOptions, flags: [string, boolean][]): void {
  const given = flags.filter(([, on]) => on);
  if (given.length !== 1) throw new DataError(`give exactly one of ${flags.map(([f]) => f).join(', ')}`);
}

function nb201Selection(o: ScoreOptions): CellSelection {
  if (o.hashes !== undefined) throw new DataError('--hashes is for --space nb101; NB201 cells are --cells indices');
  exactlyOne(o, [['--cells', o.cells !== undefined], ['--sample', o.sample !== undefined], ['--all', o.all === true]]);
  if (o.all) return { kind: 'all' };
  if (o.sample !== undefined) return { kind: 'sample', size: int('sample', o.sample), seed: int('seed', o.seed) };
  return { kind: 'list', cells: o.cells!.split(',').map((s) => int('cells', s.trim())) };
}

function nb101Selection(o: ScoreOptions): NB101Selection {
  if (o.cells !== undefined) throw new DataError('--cells is for --space nb201; NB101 cells are --hashes');
  exactlyOne(o, [['--hashes', o.hashes !== undefined], ['--sample', o.sample !== undefined], ['--all', o.all === true]]);
  if (o.all) return { kind: 'all' };
  if (o.sample !== undefined) return { kind: 'sample', size: int('sample', o.sample), seed: int('seed', o.seed) };
  const hashes = o.hashes!.split(',').map((s) => s.trim());
  for (const h of hashes) if (!/^[0-9a-f]{32}$/.test(h)) throw new DataError(`--hashes: '${h}' is not an NB101 module hash (32 hex digits)`);
  return { kind: 'hashes', hashes };
}

function initScheme(v: string | undefined): InitScheme | undefined {
  if (v === undefined) return undefined;
  if (!(INIT_SCHEMES as readonly string[]).includes(v)) throw new DataError(`--init-scheme must be one of ${INIT_SCHEMES.join(', ')}, got '${v}'`);
  return v as InitScheme;
}

export function registerScore(program: Command): void {
  program
    .command('score')
    .description(`score cells with a training-free proxy (${proxyNames().join(', ')})`)
    .argument('<proxy>', 'proxy name')
    .option('--space <space>', 'search space: nb201 or nb101', 'nb201')
    .option('--cells <list>', 'NB201: comma-separated cell indices')
    .option('--hashes <list>', 'NB101: comma-separated module hashes')
    .option('--sample <n>', 'score n cells sampled uniformly without replacement')
    .option('--seed <s>', 'seed of --sample', '0')
    .option('--all', 'score every cell of the space (NB101: every cell of the source)')
    .option('--store <file>', 'NB101: the store to take cells from (default: the enumerated space)')
    .option('--space-store <file>', 'NB101: the enumerated space (`nasrepro nb101 enumerate`), for hash-only store rows')
    .option('--stem <n>', `NB101: stem channels (128: the benchmark's network; default ${NB101_CPU_STEM_CHANNELS}, the NASWOT code's)`)
    .option('--batch <n>', "images per batch (default: the proxy's reference value)")
    .option('--batch-seed <s>', 'seed of the image batch selection (see --batch-seeds)')
    .option('--batch-seeds <list>', 'seeds of the image batch selection, comma-separated (default 0)')
    .option('--augment', "crop (pad 4) + flip the batch as the zero-cost reference's training loader does")
    .option('--init-seed <s>', 'seed of the network weights (see --init-seeds)')
    .option('--init-seeds <list>', 'seeds of the network weights, comma-separated (default 0); every init x batch seed pair is scored')
    .option('--init-scheme <name>', `override the proxy's network initialisation (${INIT_SCHEMES.join(', ')})`)
    .option('--dataset <name>', 'images the proxy sees: cifar10, cifar100, ImageNet16-120', 'cifar10')
    .option('--backend <name>', 'tfjs backend: tensorflow, wasm, cpu or webgpu (default: the best available)')
    .option('--executor <name>', 'fast executor for forward-only work (NASWOT): auto (ONNX Runtime where it loads), tfjs or onnx (default: NASREPRO_EXECUTOR, else auto)')
    .option('--workers <n>', 'worker processes (default: number of cores)')
    .option('--data <dir>', 'data directory', process.env.DATA ?? 'data')
    .option('--cache-dir <dir>', 'score cache directory', DEFAULT_CACHE_DIR)
    .option('--shard <I/N>', 'score only shard I of N (cells k with k mod N = I-1), into <cache-dir>/shard-I-of-N; combine with `nasrepro merge`')
    .requiredOption('--out <file>', 'CSV to write (cell, seeds, score, status, seconds, parts)')
    .action(async (proxyName: string, o: ScoreOptions) => {
      if (o.space !== 'nb201' && o.space !== 'nb101') throw new DataError(`--space must be nb201 or nb101, got '${o.space}'`);
      const space: 'nb201' | 'nb101' = o.space;
      const proxy = getProxy(proxyName);
      if (!proxy.spaces.includes(space)) throw new DataError(`proxy '${proxy.name}' is not defined on ${space} (defined on: ${proxy.spaces.join(', ')})`);
      const initSeeds = o.initSeeds !== undefined ? intList('init-seeds', o.initSeeds) : [int('init-seed', o.initSeed ?? '0')];
      const batchSeeds = o.batchSeeds !== undefined ? intList('batch-seeds', o.batchSeeds) : [int('batch-seed', o.batchSeed ?? '0')];
      if (o.initSeeds !== undefined && o.initSeed !== undefined) throw new DataError('give --init-seed or --init-seeds, not both');
      if (o.batchSeeds !== undefined && o.batchSeed !== undefined) throw new DataError('give --batch-seed or --batch-seeds, not both');
      assertWritable(o.out);
      const settings = { ...proxy.defaults, ...(o.batch ? { batchSize: int('batch', o.batch) } : {}), ...(o.augment ? { augment: true } : {}) };

      let tasks: ScoreTask[];
      let selection: string;
      if (space === 'nb201') {
        const sel = nb201Selection(o);
        tasks = nb201Tasks(selectNB201Cells(sel));
        selection = describeSelection(sel);
      } else {
        const sel = nb101Selection(o);
        const source = await nb101CellSource({ ...(o.store ? { store: o.store } : {}), ...(o.spaceStore ? { spaceStore: o.spaceStore } : {}) });
        tasks = selectNB101Cells(sel, source);
        selection = `${sel.kind === 'all' ? 'all' : sel.kind === 'sample' ? `${Math.min(sel.size, source.hashes.length)} sampled (seed ${sel.seed}) of the` : `${tasks.length} listed of the`} ${source.hashes.length} cells of ${source.label}`;
      }
      const shard = parseShard(o.shard);
      if (shard) {
        tasks = shardOf(tasks, shard);
        selection = `${shardName(shard)} (${tasks.length} cells) of ${selection}`;
      }
      const scheme = initScheme(o.initScheme);
      const base = {
        space,
        proxy: proxy.name,
        settings,
        dataset: o.dataset as DatasetName,
        dataDir: o.data,
        ...(space === 'nb101' ? { nb101StemChannels: o.stem ? int('stem', o.stem) : NB101_CPU_STEM_CHANNELS } : {}),
        ...(scheme ? { initScheme: scheme } : {}),
      };
      const runs: { job: ScoreJob; result: ScoreCellsResult }[] = [];
      for (const initSeed of initSeeds) {
        for (const batchSeed of batchSeeds) {
          const job: ScoreJob = { ...base, initSeed, batchSeed };
          const result = await scoreCells(job, {
            cells: tasks,
            cacheDir: shardCacheDir(o.cacheDir, shard),
            backend: parseBackendName(o.backend),
            ...(o.executor !== undefined ? { executor: parseExecutorChoice(o.executor) } : {}),
            workers: o.workers ? int('workers', o.workers) : undefined,
            label: `${proxy.name} init ${initSeed} batch ${batchSeed}`,
          });
          runs.push({ job, result });
        }
      }
      const parts = proxy.parts ?? [];
      const rows = runs.flatMap(({ job, result }) =>
        result.cells.map((c, i, cells) => ({
          ...(space === 'nb201' ? { index: Number(c.key), arch: archStringFromIndex(Number(c.key)) } : { hash: c.key }),
          init_seed: job.initSeed,
          batch_seed: job.batchSeed,
          score: c.score,
          status: c.status,
          seconds: c.seconds,
          ...Object.fromEntries(parts.map((p) => [p, c.parts?.[p] ?? NaN])),
          ...(proxy.combine ? { combined: combinedOver(proxy, cells)[i] } : {}),
        })),
      );
      const columns = [...(space === 'nb201' ? ['index', 'arch'] : ['hash']), 'init_seed', 'batch_seed', 'score', 'status', 'seconds', ...parts, ...(proxy.combine ? ['combined'] : [])];
      writeFileAtomic(o.out, stringify(rows, { header: true, columns }));
      const sidecar = {
        jobs: runs.map((r) => r.job),
        selection,
        backend: runs[0]!.result.backend,
        executor: runs[0]!.result.executor,
        runs: runs.map(({ job, result }) => ({ initSeed: job.initSeed, batchSeed: job.batchSeed, computed: result.computed, failed: result.failed, wallSeconds: result.wallSeconds, cacheFile: result.cacheFile })),
      };
      writeFileAtomic(`${o.out}.json`, `${JSON.stringify(sidecar, null, 2)}\n`);
      const computed = runs.reduce((s, r) => s + r.result.computed, 0);
      const failed = runs.reduce((s, r) => s + r.result.failed, 0);
      const wall = runs.reduce((s, r) => s + r.result.wallSeconds, 0);
      const b = runs[0]!.result.backend;
      process.stderr.write(`${o.out}: ${rows.length} rows (${tasks.length} cells x ${runs.length} seed pairs; ${computed} computed, ${failed} failed) on ${b.name} ${b.version} (executor ${runs[0]!.result.executor}) in ${wall.toFixed(1)} s\n`);
    });
}

const combinedMemo = new WeakMap<readonly ScoredCell[], Float64Array>();

/**
 * The population score of a proxy that combines its parts across cells (TE-NAS, AZ-NAS: by
 * ranks): computed over the cells of one seed pair's run, so it depends on which cells were scored.
 */
function combinedOver(proxy: ProxyDefinition<ProxySettings>, cells: readonly ScoredCell[]): Float64Array {
  let c = combinedMemo.get(cells);
  if (!c) {
    const names = proxy.parts ?? [];
    c = proxy.combine!(cells.map((cell) => Object.fromEntries(names.map((p) => [p, cell.status === 'error' ? NaN : (cell.parts?.[p] ?? NaN)]))));
    combinedMemo.set(cells, c);
  }
  return c;
}
