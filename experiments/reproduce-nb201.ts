/**
 * `make reproduce-nb201`: regenerates the NB201 tables of the papers into results/nb201/.
 *
 *   node --import tsx experiments/reproduce-nb201.ts --data DIR [--full | --sample N] [...]
 *
 * 1. The store: `--store`, else <store-dir>/nb201.h5 built from every benchmark file in DATA/nb201/
 *    (the official .pth releases, the NATS-tss directory, CSV tables; src/pipeline/data-sources.ts):
 *    each file is imported once, and each ground truth is read from the release its experiment
 *    documents (src/pipeline/ground-truth.ts); every report row names the file.
 * 2. Every NB201 experiment in experiments/ (NASWOT, zero-cost, FreeDARTS, BN-NAS, fair-BN), which score cells through the score
 *    cache (a rerun, or a run after a kill, recomputes nothing it already has).
 * 3. results/nb201/README.md with every table, the settings, the data's provenance and wall time.
 *
 * Default size: NASWOT on 1,000 sampled cells (the NASWOT paper's count, ~15 min on 2 cores with
 * the wasm backend), the zero-cost proxies on the first 150 of them and grasp on 30 (~10 min),
 * FreeDARTS over 10 seeds (~1.5 min), BN-NAS and fair-BN on a scaled-down supernet (~6 min);
 * FULL=1 scores all 15,625 with every proxy (the supernets keep their defaults; see
 * experiments/nb201-bn-nas.ts for its --full).
 * Also the weight-sharing study (experiments/nb201-weight-sharing.ts: the 64-child subspace and the full space: 24.7 min
 * measured at the defaults under load, 37 min by its header's cost model; --ws-full-space-seeds / --ws-full-space-cells size its full-space part, 0 turns it off; FULL=1
 * paper-sized) and the dynamical-isometry reconstruction (experiments/nb201-isometry.ts).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeIgnored, describeStoreSources, openBenchmarkStore } from '../src/pipeline/data-sources.ts';
import { parseBackendName } from '../src/engine/backend.ts';
import { nb201ExperimentContext, seedList, positive, DEFAULT_SEED_CELLS, type ExperimentContext, type ExperimentOutput } from '../src/pipeline/context.ts';
import { PublishedTable } from '../src/report/published.ts';
import { describeSelection, type CellSelection } from '../src/scoring/cell-selection.ts';
import { reproduceCommand, runReproduction } from '../src/pipeline/reproduce-cli.ts';
import { assertWritable, writeFileAtomic } from '../src/util/atomic-file.ts';
import { DataError } from '../src/util/errors.ts';
import { writeReportPage } from '../src/report/report-page.ts';
import { parseShard, shardName } from '../src/scoring/shard.ts';
import * as naswot from './nb201-naswot.ts';
import * as zeroCost from './nb201-zero-cost.ts';
import * as freedarts from './nb201-freedarts.ts';
import { runBnNasExperiment } from './nb201-bn-nas.ts';
import { runFairBnExperiment } from './nb201-fair-bn.ts';
import * as nbsz from './nbsz.ts';
import * as newerProxies from './newer-proxies.ts';
import { countOption, runWeightSharingExperiment, WEIGHT_SHARING_DEFAULTS, WEIGHT_SHARING_FULL, type WeightSharingOptions } from './nb201-weight-sharing.ts';
import { runIsometryExperiment } from './nb201-isometry.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_SAMPLE = 1000;

/** Every NB201 experiment by name, in the order of the summary page. */
function experiments(o: Options): Record<string, (ctx: ExperimentContext) => Promise<ExperimentOutput>> {
  const weightSharing = weightSharingOptions(o); // parsed here: a bad size fails before anything runs
  return {
    naswot: (ctx) => naswot.run(ctx),
    'zero-cost': (ctx) => zeroCost.run(ctx, { zeroCostCells: Number(o.zeroCostCells), graspCells: Number(o.graspCells) }),
    freedarts: (ctx) => freedarts.run(ctx, { seeds: Number(o.freedartsSeeds ?? freedarts.DEFAULT_SEEDS) }),
    // BN-NAS first: fair-BN reuses its original-space supernet checkpoint
    'bn-nas': (ctx) => runBnNasExperiment(ctx, supernetOptions(o)),
    'fair-bn': (ctx) => runFairBnExperiment(ctx, supernetOptions(o)),
    nbsz: async (ctx) => ({ name: 'nbsz', ...(await nbsz.runNB201(ctx, { cells: positive(o.nbszCells, '--nbsz-cells'), trials: positive(o.nbszTrials, '--nbsz-trials'), graspCells: positive(o.nbszGraspCells, '--nbsz-grasp-cells') })) }),
    'newer-proxies': async (ctx) => ({ name: 'newer-proxies', ...(await newerProxies.runNB201(ctx, { cells: positive(o.newerCells, '--newer-cells'), heavyCells: positive(o.newerHeavyCells, '--newer-heavy-cells') })) }),
    // the weight-sharing study has its own sizes (FULL=1: paper-sized); isometry reuses BN-NAS's and fair-BN's checkpoints
    'weight-sharing': (ctx) => runWeightSharingExperiment(ctx, weightSharing),
    isometry: (ctx) => runIsometryExperiment(ctx, supernetOptions(o)),
  };
}

/** The experiments that score cells through the cache, which `--shard` partitions. */
const SHARDABLE = ['naswot', 'zero-cost'];

/** The experiments `--only` names (all by default), checked before anything runs. */
function chosenExperiments(o: Options): Array<(ctx: ExperimentContext) => Promise<ExperimentOutput>> {
  const all = experiments(o);
  const names = o.only ? o.only.split(',').map((n) => n.trim()) : o.shard ? [...SHARDABLE] : Object.keys(all);
  const unknown = names.filter((n) => !(n in all));
  if (unknown.length > 0) throw new DataError(`--only: unknown experiment ${unknown.join(', ')} (known: ${Object.keys(all).join(', ')})`);
  const unshardable = names.filter((n) => !SHARDABLE.includes(n));
  if (o.shard && unshardable.length > 0) throw new DataError(`--shard: ${unshardable.join(', ')} train a supernet or search, they do not score cells; shard only ${SHARDABLE.join(', ')}`);
  return Object.keys(all).filter((n) => names.includes(n)).map((n) => all[n]!);
}

/** The weight-sharing study's sizes: its own defaults (FULL=1: paper-sized), the full-space part resized or turned off (0) from the command line. */
function weightSharingOptions(o: Options): WeightSharingOptions {
  const base = o.full ? WEIGHT_SHARING_FULL : WEIGHT_SHARING_DEFAULTS;
  return {
    ...base,
    fullSpaceSeeds: countOption(o.wsFullSpaceSeeds, '--ws-full-space-seeds') ?? base.fullSpaceSeeds,
    fullSpaceCells: countOption(o.wsFullSpaceCells, '--ws-full-space-cells') ?? base.fullSpaceCells,
  };
}

/** Scaled-down supernet settings from the command line (the experiments' defaults otherwise). */
function supernetOptions(o: Options): { steps?: number; C?: number; N?: number; batchSize?: number } {
  const n = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  return Object.fromEntries(
    Object.entries({ steps: n(o.supernetSteps), C: n(o.supernetC), N: n(o.supernetN), batchSize: n(o.supernetBatch) }).filter(([, v]) => v !== undefined),
  );
}

export interface Options {
  data: string;
  storeDir: string;
  store?: string;
  skipChecksum?: boolean;
  full?: boolean;
  sample: string;
  sampleSeed: string;
  cells?: string;
  batch?: string;
  workers?: string;
  backend?: string;
  out: string;
  cacheDir: string;
  zeroCostCells: string;
  graspCells: string;
  freedartsSeeds?: string;
  supernetSteps?: string;
  supernetC?: string;
  supernetN?: string;
  supernetBatch?: string;
  only?: string;
  initSeeds?: string;
  batchSeeds?: string;
  seedCells?: string;
  nbszCells?: string;
  nbszTrials?: string;
  nbszGraspCells?: string;
  newerCells?: string;
  newerHeavyCells?: string;
  wsFullSpaceSeeds?: string;
  wsFullSpaceCells?: string;
  shard?: string;
}

function selection(o: Options): CellSelection {
  if (o.cells) return { kind: 'list', cells: o.cells.split(',').map(Number) };
  if (o.full) return { kind: 'all' };
  return { kind: 'sample', size: Number(o.sample), seed: Number(o.sampleSeed) };
}

export async function reproduceNB201(o: Options): Promise<string> {
  const started = performance.now();
  const shard = parseShard(o.shard);
  if (shard) o = { ...o, out: path.join(o.out, shardName(shard)) }; // a shard's page only says what it scored
  const chosen = chosenExperiments(o);
  assertWritable(path.join(o.out, 'README.md'));
  const opened = await openBenchmarkStore({ benchmark: 'nb201', data: o.data, storeDir: o.storeDir, store: o.store, skipChecksum: o.skipChecksum });
  const store = opened.store;
  try {
    const ctx: ExperimentContext = nb201ExperimentContext({
      dataDir: o.data,
      store,
      published: PublishedTable.load(path.join(REPO, 'reference', 'published.csv')),
      selection: selection(o),
      cacheDir: o.cacheDir,
      outDir: o.out,
      backend: parseBackendName(o.backend),
      workers: o.workers ? Number(o.workers) : undefined,
      initSeeds: seedList(o.initSeeds, '--init-seeds'),
      batchSeeds: seedList(o.batchSeeds, '--batch-seeds'),
      seedCells: positive(o.seedCells, '--seed-cells'),
      batchSize: o.batch ? Number(o.batch) : undefined,
    });
    if (shard) ctx.shard = shard;
    const outputs: ExperimentOutput[] = [];
    for (const e of chosen) outputs.push(await e(ctx));
    const wall = (performance.now() - started) / 1000;
    const sources = [...describeStoreSources(store), ...describeIgnored(opened.discovery), ...opened.notes.map((n) => `- ${n}`)];
    const page = [
      '# NAS-Bench-201 reproduction',
      '',
      `Generated ${new Date().toISOString()} by \`make reproduce-nb201\` in ${wall.toFixed(0)} s.`,
      `Cells: ${describeSelection(ctx.selection)}. Data: ${path.resolve(o.data)}. Store: ${store.file}, from:`,
      ...sources,
      '',
      'Correlations are signed; "published" is the paper\'s number (n/a where the paper printed none or its table could not be read);',
      'delta = ours - published; CI = 95% percentile bootstrap over cells (1,000 resamples).',
      '',
      ...outputs.map((x) => x.markdown),
    ].join('\n');
    writeFileAtomic(path.join(o.out, 'README.md'), page);
    if (!shard) await writeReportPage(o.out, 'NAS-Bench-201 reproduction', page, outputs, o);
    writeFileAtomic(
      path.join(o.out, 'run.json'),
      `${JSON.stringify({ wallSeconds: wall, selection: ctx.selection, options: o, files: outputs.flatMap((x) => x.files) }, null, 2)}\n`,
    );
    return page;
  } finally {
    store.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const program = reproduceCommand('nb201', 'regenerate the NB201 tables of the papers into results/nb201/')
    .option('--full', 'score all 15,625 cells')
    .option('--sample <n>', 'cells to sample when not --full', String(DEFAULT_SAMPLE))
    .option('--cells <list>', 'score exactly these cell indices (quick checks)')
    .option('--zero-cost-cells <n>', 'zero-cost proxies: the first n cells of the sample (all with --full)', String(zeroCost.DEFAULT_ZERO_COST_CELLS))
    .option('--supernet-steps <n>', 'BN-NAS / fair-BN: BN-only training steps (default: the experiments\' scaled-down 300)')
    .option('--supernet-c <n>', 'BN-NAS / fair-BN: supernet channels C (default 8)')
    .option('--supernet-n <n>', 'BN-NAS / fair-BN: cells per stage N (default 1)')
    .option('--supernet-batch <n>', 'BN-NAS / fair-BN: training batch (default 64)')
    .option('--init-seeds <list>', 'weight-initialisation seeds, comma-separated: correlation rows show mean ± std over seed pairs', '0,1,2')
    .option('--batch-seeds <list>', 'image-batch seeds, comma-separated', '0')
    .option('--seed-cells <n>', 'cells the extra seed pairs score (a prefix of each proxy\'s cells; all with --full)', String(DEFAULT_SEED_CELLS))
    .option('--only <list>', 'run only these experiments (comma-separated: naswot, zero-cost, freedarts, bn-nas, fair-bn, nbsz, newer-proxies, weight-sharing, isometry)')
    .option('--nbsz-cells <n>', `NBSZ protocol: cells per trial (default ${nbsz.DEFAULT_NBSZ_CELLS}; FULL: ${nbsz.NBSZ_CELLS})`)
    .option('--nbsz-trials <n>', `NBSZ protocol: trials, seeds 9000 on (default ${nbsz.DEFAULT_NBSZ_TRIALS}; FULL: 10)`)
    .option('--nbsz-grasp-cells <n>', `NBSZ protocol: grasp on the first n cells of each trial (default ${nbsz.DEFAULT_NBSZ_GRASP_CELLS}; FULL: all)`)
    .option('--newer-heavy-cells <n>', `the 2022-2024 proxies: swap, reg_swap, te_nas, az_nas on the first n (default ${newerProxies.DEFAULT_HEAVY_NEWER_CELLS}; FULL: all)`)
    .option('--newer-cells <n>', `the 2022-2024 proxies: the first n cells of the sample (default ${newerProxies.DEFAULT_NEWER_CELLS}; FULL: all)`)
    .option('--ws-full-space-seeds <n>', `weight sharing: full-space supernets per mode, 0 turns the full-space part off (default ${WEIGHT_SHARING_DEFAULTS.fullSpaceSeeds}; FULL: ${WEIGHT_SHARING_FULL.fullSpaceSeeds})`)
    .option('--ws-full-space-cells <n>', `weight sharing: full-space cells ranked, a uniform sample (seed ${WEIGHT_SHARING_DEFAULTS.fullSpaceSampleSeed}); 0 turns it off (default ${WEIGHT_SHARING_DEFAULTS.fullSpaceCells}; FULL: ${WEIGHT_SHARING_FULL.fullSpaceCells})`)
    .option('--freedarts-seeds <n>', 'FreeDARTS/ZEROS: searches per variant', String(freedarts.DEFAULT_SEEDS))
    .option('--grasp-cells <n>', 'grasp: the first n of those (its Hessian-vector product costs ~3 gradient passes)', String(zeroCost.DEFAULT_GRASP_CELLS));
  await runReproduction(program, reproduceNB201);
}
