/**
 * `nasrepro score PROXY --space nb201 (--cells I,J,.. | --sample N --seed S | --all) --out FILE.csv`
 * Scores cells and writes one row per cell; the configuration goes to FILE.csv.json beside it.
 */
import type { Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import type { DatasetName } from '../datasets/types.ts';
import type { BackendName } from '../engine/backend.ts';
import { getProxy, proxyNames } from '../proxies/registry.ts';
import { DEFAULT_CACHE_DIR } from '../results/score-cache.ts';
import { describeSelection, selectNB201Cells, type CellSelection } from '../scoring/cell-selection.ts';
import { nb201Tasks, scoreCells } from '../scoring/score-cells.ts';
import { archStringFromIndex } from '../spaces/nb201-index.ts';
import { assertWritable, writeFileAtomic } from '../util/atomic-file.ts';
import { DataError } from '../util/errors.ts';

interface ScoreOptions {
  space: string;
  cells?: string;
  sample?: string;
  seed: string;
  all?: boolean;
  batch?: string;
  augment?: boolean;
  batchSeed: string;
  initSeed: string;
  dataset: string;
  backend?: string;
  workers?: string;
  data: string;
  cacheDir: string;
  out: string;
}

function int(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new DataError(`--${name} must be an integer, got '${v}'`);
  return n;
}

function selection(o: ScoreOptions): CellSelection {
  const given = [o.cells !== undefined, o.sample !== undefined, o.all === true].filter(Boolean).length;
  if (given !== 1) throw new DataError('give exactly one of --cells, --sample or --all');
  if (o.all) return { kind: 'all' };
  if (o.sample !== undefined) return { kind: 'sample', size: int('sample', o.sample), seed: int('seed', o.seed) };
  return { kind: 'list', cells: o.cells!.split(',').map((s) => int('cells', s.trim())) };
}

export function registerScore(program: Command): void {
  program
    .command('score')
    .description(`score cells with a training-free proxy (${proxyNames().join(', ')})`)
    .argument('<proxy>', 'proxy name')
    .option('--space <space>', 'search space', 'nb201')
    .option('--cells <list>', 'comma-separated cell indices')
    .option('--sample <n>', 'score n cells sampled uniformly without replacement')
    .option('--seed <s>', 'seed of --sample', '0')
    .option('--all', 'score every cell of the space')
    .option('--batch <n>', "images per batch (default: the proxy's reference value)")
    .option('--batch-seed <s>', 'seed of the image batch selection', '0')
    .option('--augment', "crop (pad 4) + flip the batch as the zero-cost reference's training loader does")
    .option('--init-seed <s>', 'seed of the network weights', '0')
    .option('--dataset <name>', 'images the proxy sees: cifar10, cifar100, ImageNet16-120', 'cifar10')
    .option('--backend <name>', 'tensorflow, wasm or cpu (default: the best available)')
    .option('--workers <n>', 'worker processes (default: number of cores)')
    .option('--data <dir>', 'data directory', process.env.DATA ?? 'data')
    .option('--cache-dir <dir>', 'score cache directory', DEFAULT_CACHE_DIR)
    .requiredOption('--out <file>', 'CSV to write (index, arch, score, status, seconds)')
    .action(async (proxyName: string, o: ScoreOptions) => {
      if (o.space !== 'nb201') throw new DataError(`space '${o.space}' is not supported yet (supported: nb201)`);
      const proxy = getProxy(proxyName);
      const sel = selection(o);
      const cells = selectNB201Cells(sel);
      assertWritable(o.out);
      const settings = { ...proxy.defaults, ...(o.batch ? { batchSize: int('batch', o.batch) } : {}), ...(o.augment ? { augment: true } : {}) };
      const job = {
        space: 'nb201' as const,
        proxy: proxy.name,
        settings,
        dataset: o.dataset as DatasetName,
        batchSeed: int('batch-seed', o.batchSeed),
        initSeed: int('init-seed', o.initSeed),
        dataDir: o.data,
      };
      const result = await scoreCells(job, {
        cells: nb201Tasks(cells),
        cacheDir: o.cacheDir,
        backend: o.backend as BackendName | undefined,
        workers: o.workers ? int('workers', o.workers) : undefined,
      });
      const rows = result.cells.map((c) => ({ index: Number(c.key), arch: archStringFromIndex(Number(c.key)), score: c.score, status: c.status, seconds: c.seconds }));
      writeFileAtomic(o.out, stringify(rows, { header: true, columns: ['index', 'arch', 'score', 'status', 'seconds'] }));
      const sidecar = {
        job,
        selection: describeSelection(sel),
        backend: result.backend,
        computed: result.computed,
        failed: result.failed,
        wallSeconds: result.wallSeconds,
        cacheFile: result.cacheFile,
      };
      writeFileAtomic(`${o.out}.json`, `${JSON.stringify(sidecar, null, 2)}\n`);
      process.stderr.write(
        `${o.out}: ${rows.length} cells (${result.computed} computed, ${result.failed} failed) on ${result.backend.name} ${result.backend.version} in ${result.wallSeconds.toFixed(1)} s\n`,
      );
    });
}
