/**
 * `make reproduce-nb101`: regenerates the NB101 tables into results/nb101/.
 *
 * 1. The store: `--store`, else <store-dir>/nb101.h5, imported from every .tfrecord and .csv file
 *    in DATA/nb101/ (official tfrecords, checked against their published SHA-256, and the CSV
 *    tables, merged), and imported again only when that set of files changes
 *    (src/pipeline/data-sources.ts).
 * 2. The space store <store-dir>/nb101-space.h5 (from `nasrepro nb101 enumerate`, ~35 s) when it
 *    exists, to join hash-only ground truth to matrices. FULL=1 creates it if missing.
 * 3. Every NB101 experiment (NASWOT, zero-cost, BN-NAS, fair BN), then results/nb101/README.md.
 * Default: 1,000 sampled cells at stem 16 (a few minutes on 2 cores); FULL=1: every cell with
 * ground truth (and NB101's 3 modules per stack in the supernets).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeNB101SpaceStore } from '../src/benchmarks/nb101-space-store.ts';
import { BenchmarkStore } from '../src/benchmarks/store.ts';
import { parseBackendName } from '../src/engine/backend.ts';
import { PublishedTable } from '../src/report/published.ts';
import { NB101_CPU_STEM_CHANNELS } from '../src/scoring/score-one.ts';
import { reproduceCommand, runReproduction } from '../src/pipeline/reproduce-cli.ts';
import { describeIgnored, describeStoreSources, openBenchmarkStore } from '../src/pipeline/data-sources.ts';
import { assertWritable, writeFileAtomic } from '../src/util/atomic-file.ts';
import { DataError } from '../src/util/errors.ts';
import * as bnNas from './nb101-bn-nas.ts';
import * as fairBn from './nb101-fair-bn.ts';
import { writeReportPage } from '../src/report/report-page.ts';
import * as naswot from './nb101-naswot.ts';
import * as zeroCost from './nb101-zero-cost.ts';
import * as nbsz from './nbsz.ts';
import * as newerProxies from './newer-proxies.ts';
import type { NB101ExperimentContext } from '../src/pipeline/nb101-context.ts';
import { positive, seedList } from '../src/pipeline/context.ts';

/** Cells the extra seed pairs score by default (a prefix of each proxy's cells; FULL=1: all). */
const DEFAULT_NB101_SEED_CELLS = 100;

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface NB101Options {
  data: string;
  storeDir: string;
  store?: string;
  skipChecksum?: boolean;
  full?: boolean;
  sample: string;
  sampleSeed: string;
  stem: string;
  batch?: string;
  workers?: string;
  backend?: string;
  out: string;
  cacheDir: string;
  zeroCostCells?: string;
  graspCells?: string;
  zeroCostBatch?: string;
  bnSteps?: string;
  fairBnCells?: string;
  only?: string;
  initSeeds?: string;
  batchSeeds?: string;
  seedCells?: string;
  shard?: string;
  nbszCells?: string;
  nbszTrials?: string;
  nbszGraspCells?: string;
  newerCells?: string;
  newerHeavyCells?: string;
}

export async function reproduceNB101(o: NB101Options): Promise<string> {
  const started = performance.now();
  // Sharding the NB101 reproduction is not wired yet (its supernet experiments cannot be sharded, and the runner's
  // shard mode is only plumbed through reproduce-nb201); the scoring CLI shards NB101 cells.
  if (o.shard !== undefined) throw new DataError('reproduce-nb101 --shard is not supported: shard the scoring with `nasrepro score PROXY --space nb101 --all --shard I/N` (scripts/slurm-nb101-all.sbatch, scripts/shards-local.sh), then `nasrepro merge`');
  assertWritable(path.join(o.out, 'README.md'));
  const opened = await openBenchmarkStore({ benchmark: 'nb101', data: o.data, storeDir: o.storeDir, store: o.store, skipChecksum: o.skipChecksum });
  const store = opened.store;
  const spaceFile = path.join(o.storeDir, 'nb101-space.h5');
  if (o.full && !existsSync(spaceFile)) {
    process.stderr.write(`enumerating the NB101 space -> ${spaceFile}\n`);
    await writeNB101SpaceStore(spaceFile);
  }
  const space = existsSync(spaceFile) ? await BenchmarkStore.open(spaceFile) : undefined;
  try {
    const ctx: NB101ExperimentContext = {
      dataDir: o.data,
      store,
      space,
      published: PublishedTable.load(path.join(REPO, 'reference', 'published.csv')),
      sample: o.full ? undefined : Number(o.sample),
      sampleSeed: Number(o.sampleSeed),
      stemChannels: Number(o.stem),
      batchSize: o.batch ? Number(o.batch) : undefined,
      cacheDir: o.cacheDir,
      outDir: o.out,
      backend: parseBackendName(o.backend),
      workers: o.workers ? Number(o.workers) : undefined,
      initSeeds: seedList(o.initSeeds, '--init-seeds'),
      batchSeeds: seedList(o.batchSeeds, '--batch-seeds'),
      seedCells: positive(o.seedCells, '--seed-cells') ?? DEFAULT_NB101_SEED_CELLS,
    };
    const experiments: Record<string, () => Promise<{ markdown: string; files: string[] }>> = {
      naswot: () => naswot.run(ctx),
      'zero-cost': () =>
        zeroCost.run(ctx, {
          cells: o.zeroCostCells ? Number(o.zeroCostCells) : undefined,
          graspCells: o.graspCells ? Number(o.graspCells) : undefined,
          batchSize: o.zeroCostBatch ? Number(o.zeroCostBatch) : o.batch ? Number(o.batch) : undefined,
        }),
      'bn-nas': () => bnNas.run(ctx, { steps: positive(o.bnSteps, '--bn-steps'), batchSize: ctx.batchSize }),
      'fair-bn': () =>
        fairBn.run(ctx, {
          steps: positive(o.bnSteps, '--bn-steps'),
          batchSize: ctx.batchSize,
          cells: positive(o.fairBnCells, '--fair-bn-cells'),
        }),
      nbsz: () => nbsz.runNB101(ctx, { cells: positive(o.nbszCells, '--nbsz-cells'), trials: positive(o.nbszTrials, '--nbsz-trials'), graspCells: positive(o.nbszGraspCells, '--nbsz-grasp-cells') }),
      'newer-proxies': () => newerProxies.runNB101(ctx, { cells: positive(o.newerCells, '--newer-cells'), heavyCells: positive(o.newerHeavyCells, '--newer-heavy-cells') }),
    };
    const names = o.only ? o.only.split(',').map((n) => n.trim()) : Object.keys(experiments);
    const unknown = names.filter((n) => !(n in experiments));
    if (unknown.length > 0) throw new DataError(`--only: unknown experiment ${unknown.join(', ')} (known: ${Object.keys(experiments).join(', ')})`);
    const outputs = [];
    for (const name of names) outputs.push(await experiments[name]!());
    const wall = (performance.now() - started) / 1000;
    const page = [
      '# NAS-Bench-101 reproduction',
      '',
      `Generated ${new Date().toISOString()} by \`make reproduce-nb101\` in ${wall.toFixed(0)} s. Store: ${store.file}, from:`,
      ...describeStoreSources(store),
      ...describeIgnored(opened.discovery),
      ...opened.notes.map((n) => `- ${n}`),
      '',
      'Correlations are signed; delta = ours - published; CI = 95% percentile bootstrap over cells (1,000 resamples).',
      '',
      ...outputs.map((x) => x.markdown),
    ].join('\n');
    writeFileAtomic(path.join(o.out, 'README.md'), page);
    await writeReportPage(o.out, 'NAS-Bench-101 reproduction', page, outputs, o);
    return page;
  } finally {
    store.close();
    space?.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const program = reproduceCommand('nb101', 'regenerate the NB101 tables into results/nb101/')
    .option('--full', 'every cell with ground truth (enumerates the space to join hash-only rows)')
    .option('--sample <n>', 'cells to sample when not --full', '1000')
    .option('--stem <c>', 'stem channels (128 = the benchmark network)', String(NB101_CPU_STEM_CHANNELS))
    .option('--zero-cost-cells <n>', 'zero-cost proxies: cells sampled (all with --full)', String(zeroCost.DEFAULT_NB101_ZERO_COST_CELLS))
    .option('--grasp-cells <n>', 'grasp: the first n of those', String(zeroCost.DEFAULT_NB101_GRASP_CELLS))
    .option('--zero-cost-batch <n>', 'zero-cost proxies: images per batch (the reference: 256)', String(zeroCost.DEFAULT_NB101_ZERO_COST_BATCH))
    .option('--bn-steps <n>', `BN-NAS / fair BN: BN-only supernet training steps (default ${bnNas.NB101_BN_DEFAULTS.steps}; FULL: ${bnNas.NB101_BN_FULL.steps})`)
    .option('--init-seeds <list>', 'weight-initialisation seeds, comma-separated: correlation rows show mean ± std over seed pairs', '0,1,2')
    .option('--batch-seeds <list>', 'image-batch seeds, comma-separated', '0')
    .option('--seed-cells <n>', `cells the extra seed pairs score (a prefix of each proxy's cells; all with --full; default ${DEFAULT_NB101_SEED_CELLS})`)
    .option('--only <list>', 'run only these experiments (comma-separated: naswot, zero-cost, bn-nas, fair-bn, nbsz, newer-proxies)')
    .option('--nbsz-cells <n>', `NBSZ protocol: cells per trial (default ${nbsz.DEFAULT_NBSZ_CELLS}; FULL: ${nbsz.NBSZ_CELLS})`)
    .option('--nbsz-trials <n>', `NBSZ protocol: trials, seeds 9000 on (default ${nbsz.DEFAULT_NBSZ_TRIALS}; FULL: 10)`)
    .option('--nbsz-grasp-cells <n>', `NBSZ protocol: grasp on the first n cells of each trial (default ${nbsz.DEFAULT_NBSZ_GRASP_CELLS}; FULL: all)`)
    .option('--newer-heavy-cells <n>', `the 2022-2024 proxies: swap, reg_swap, te_nas on the first n (default ${newerProxies.DEFAULT_HEAVY_NEWER_CELLS}; FULL: all)`)
    .option('--newer-cells <n>', `the 2022-2024 proxies: the first n cells of the sample (default ${newerProxies.DEFAULT_NEWER_CELLS}; FULL: all)`)
    .option('--fair-bn-cells <n>', `fair BN: cells whose three parts are scored (default ${fairBn.DEFAULT_NB101_FAIR_BN_CELLS})`);
  await runReproduction(program, reproduceNB101);
}
