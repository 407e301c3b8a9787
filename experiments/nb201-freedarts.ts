/**
 * FreeDARTS / ZEROS on NAS-Bench-201 (Zhang et al., arXiv 2106.11542): training-free, data-free
 * search on the DARTS supernet at initialisation (src/search/freedarts.ts has the method and every
 * choice the paper leaves open).
 *
 * What is run, per seed (the seed fixes the supernet's weights and alpha):
 * - the iterative search (least sensitive op removed per edge per pass; also the `global` removal,
 *   one op over all edges per pass) and the one-shot argmax of the first pass;
 * - for alpha = |1e-3 · N(0,1)| (the notebook's draw, made absolute like every other parameter;
 *   our default) and alpha = 1 (uniform mixing, what DARTS's softmax gives at initialisation up
 *   to a factor 5).
 *   Both are run because alpha's scale decides what R measures: at 1e-3 each mixed edge shrinks
 *   the signal, so R is dominated by the cell convs' biases (U(±1/sqrt(fan_in)): a 1x1's are 3x
 *   a 3x3's at C = 16) and ZEROS favours nor_conv_1x1; at 1 the signal dominates.
 * The found cell's accuracy is read from the store for every ground truth it has (NB201 v1.0
 * cifar10-valid x-valid, NATS cifar10 ori-test, cifar100 and ImageNet16-120 x-test, 200 epochs).
 * One search serves all datasets: it sees no data (R sums the 10 logits of a CIFAR-10 head).
 * For comparison, the best cell in the store per ground truth and the mean over all cells (what a
 * random pick gets on average). The paper's NB201 table could not be read, so no published
 * numbers are set beside ours (reference/README.md).
 *
 * Output: <outDir>/freedarts/table.csv (one row per seed and variant, then mean / std rows per
 * variant, then the store's best and mean) and table.md.
 *
 * Alone: node --import tsx experiments/nb201-freedarts.ts --data ../shared/data --store-dir data
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import type { BenchmarkStore, MetricQuery } from '../src/benchmarks/store.ts';
import { openBenchmarkStore } from '../src/pipeline/data-sources.ts';
import { initBackend, parseBackendName, type BackendName } from '../src/engine/backend.ts';
import type { ExperimentContext, ExperimentOutput } from '../src/pipeline/context.ts';
import { groundTruth } from '../src/pipeline/ground-truth.ts';
import { runReproduction } from '../src/pipeline/reproduce-cli.ts';
import { csvNumber, markdownTable, mdNumber, NA } from '../src/report/format.ts';
import { FREEDARTS_DEFAULTS, runFreeDarts, type AlphaInit, type FreeDartsOptions, type RemovalMode } from '../src/search/freedarts.ts';
import { SensitivityError } from '../src/search/zeros.ts';
import { formatNB201, nb201Cell } from '../src/spaces/nb201.ts';
import { meanStd } from '../src/stats/summary.ts';
import { writeFileAtomic } from '../src/util/atomic-file.ts';
import { DataError } from '../src/util/errors.ts';

/** The ground truths reported, each where the store has it. */
export const FREEDARTS_GROUND_TRUTHS: MetricQuery[] = [
  { dataset: 'cifar10-valid', split: 'x-valid', epochs: 200 },
  { dataset: 'cifar10', split: 'ori-test', epochs: 200 },
  { dataset: 'cifar100', split: 'x-test', epochs: 200 },
  { dataset: 'ImageNet16-120', split: 'x-test', epochs: 200 },
];

export const DEFAULT_SEEDS = 10;

export interface FreeDartsExperimentOptions {
  /** Ground truth (rows keyed by arch string). */
  store: BenchmarkStore;
  /** The benchmark's results folder (results/nb201); tables go to <outDir>/freedarts/. */
  outDir: string;
  /** Seeds firstSeed .. firstSeed + seeds - 1. */
  seeds: number;
  firstSeed?: number;
  alphaInits?: AlphaInit[];
  removals?: RemovalMode[];
  backend?: BackendName;
  /** Supernet / search settings other than seed, alpha init and removal (tests shrink the supernet). */
  search?: Omit<FreeDartsOptions, 'seed' | 'alphaInit' | 'removal'>;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

/** One search outcome as a table row. */
interface SearchRow {
  seed: number;
  alphaInit: AlphaInit;
  variant: string;
  arch: string | null;
  index: number | null;
  accuracy: number[];
  seconds: number;
  passes: number;
  error: string | null;
}

interface TruthColumn {
  label: string;
  values: Float64Array;
}

function variantName(kind: 'iterative' | 'one-shot', removal?: RemovalMode): string {
  return kind === 'one-shot' ? 'one-shot' : `iterative (${removal})`;
}

export async function runFreeDartsExperiment(opts: FreeDartsExperimentOptions): Promise<ExperimentOutput> {
  const { store, seeds } = opts;
  if (!Number.isInteger(seeds) || seeds < 1) throw new RangeError(`seeds must be a positive integer, got ${seeds}`);
  const firstSeed = opts.firstSeed ?? 0;
  const alphaInits = opts.alphaInits ?? ['abs-randn', 'ones'];
  const removals = opts.removals ?? ['per-edge', 'global'];
  if (removals.length === 0 || alphaInits.length === 0) throw new RangeError('need at least one alpha init and one removal mode');
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const backend = await initBackend(opts.backend);

  const truths: TruthColumn[] = [];
  const missing: string[] = [];
  for (const q of FREEDARTS_GROUND_TRUTHS) {
    const t = groundTruth(store, q);
    if ('values' in t) truths.push(t);
    else missing.push(`${t.label}: ${t.missing}`);
  }
  if (truths.length === 0) throw new DataError(`the store has none of the ground truths FreeDARTS reports (${missing.join('; ')})`, { file: store.file });

  const accuracyOf = (arch: string): { index: number; accuracy: number[] } => {
    const row = store.rowOf(arch);
    if (row === undefined) throw new DataError(`the store has no row for ${arch}`, { file: store.file });
    return { index: row, accuracy: truths.map((t) => t.values[row]!) };
  };

  const rows: SearchRow[] = [];
  for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
    for (const alphaInit of alphaInits) {
      for (const [r, removal] of removals.entries()) {
        const base = { seed, alphaInit, accuracy: truths.map(() => NaN) };
        try {
          const result = await runFreeDarts({ ...opts.search, seed, alphaInit, removal });
          const add = (variant: string, cell: readonly string[], seconds: number, passes: number) => {
            const arch = formatNB201(nb201Cell(cell));
            rows.push({ ...base, variant, arch, ...accuracyOf(arch), seconds, passes, error: null });
          };
          add(variantName('iterative', removal), result.iterative.cell, result.iterative.seconds, result.iterative.passes);
          // The one-shot choice is the first pass's argmax, the same whatever the removal mode: once.
          if (r === 0) add(variantName('one-shot'), result.oneShot.cell, result.oneShot.seconds, result.oneShot.passes);
          log(`freedarts seed ${seed} alpha ${alphaInit} ${removal}: ${formatNB201(nb201Cell(result.iterative.cell))} (${result.iterative.seconds.toFixed(1)} s)`);
        } catch (e) {
          // A broken pass is a row saying so, never a cell (see zeros.ts).
          if (!(e instanceof SensitivityError)) throw e;
          const failed = { ...base, arch: null, index: null, seconds: NaN, passes: 0, error: `${e.name} (${e.kind}): ${e.message}` };
          rows.push({ ...failed, variant: variantName('iterative', removal) });
          if (r === 0) rows.push({ ...failed, variant: variantName('one-shot') });
          log(`freedarts seed ${seed} alpha ${alphaInit} ${removal}: ${e.message}`);
        }
      }
    }
  }

  const outDir = path.join(opts.outDir, 'freedarts');
  const settings = describeSettings(opts, backend.name, firstSeed, missing);
  const summary = summarise(rows, truths, store.keys);
  writeFileAtomic(path.join(outDir, 'table.csv'), tableCsv(rows, summary, truths));
  const markdown = tableMarkdown(rows, summary, truths, settings);
  writeFileAtomic(path.join(outDir, 'table.md'), markdown);
  return { name: 'nb201-freedarts', markdown, files: ['freedarts/table.csv', 'freedarts/table.md'] };
}

/** For experiments/reproduce-nb201.ts: the experiment on the run's store and results folder. */
export async function run(ctx: ExperimentContext, opts: { seeds?: number } = {}): Promise<ExperimentOutput> {
  return runFreeDartsExperiment({ store: ctx.store, outDir: ctx.outDir, seeds: opts.seeds ?? DEFAULT_SEEDS, backend: ctx.backend });
}

interface SummaryRow {
  kind: 'mean' | 'std' | 'best in store' | 'mean over store';
  alphaInit: string;
  variant: string;
  /** Per ground truth. */
  values: number[];
  /** Search seconds (mean and std rows only). */
  seconds: number | null;
  /** Searches the statistic is over / that failed (mean and std rows). */
  n: number;
  failed: number;
  /** The best cell per ground truth (best-in-store row). */
  best?: Array<{ index: number; arch: string }>;
}

/** Mean / std per (alpha, variant) over the seeds, then the store's best cell and mean; `keys` = the store's arch strings by row. */
function summarise(rows: readonly SearchRow[], truths: readonly TruthColumn[], keys: readonly string[]): SummaryRow[] {
  const out: SummaryRow[] = [];
  const groups = new Map<string, SearchRow[]>();
  for (const r of rows) {
    const key = `${r.alphaInit}\u0000${r.variant}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(r);
  }
  for (const group of groups.values()) {
    const ok = group.filter((r) => r.error === null);
    const failed = group.length - ok.length;
    const stat = (pick: (r: SearchRow) => number, which: 'mean' | 'std'): number => {
      const v = ok.map(pick).filter(Number.isFinite);
      return v.length === 0 ? NaN : meanStd(v)[which];
    };
    for (const kind of ['mean', 'std'] as const) {
      out.push({
        kind,
        alphaInit: group[0]!.alphaInit,
        variant: group[0]!.variant,
        values: truths.map((_, i) => stat((r) => r.accuracy[i]!, kind)),
        seconds: stat((r) => r.seconds, kind),
        n: ok.length,
        failed,
      });
    }
  }
  const best = truths.map((t) => {
    let at = -1;
    t.values.forEach((v, i) => {
      if (Number.isFinite(v) && (at < 0 || v > t.values[at]!)) at = i;
    });
    return at;
  });
  out.push({
    kind: 'best in store',
    alphaInit: '',
    variant: '',
    values: best.map((at, i) => truths[i]!.values[at]!),
    seconds: null,
    n: 0,
    failed: 0,
    best: best.map((index) => ({ index, arch: keys[index]! })),
  });
  out.push({
    kind: 'mean over store',
    alphaInit: '',
    variant: '',
    values: truths.map((t) => meanStd(Array.from(t.values).filter(Number.isFinite)).mean),
    seconds: null,
    n: 0,
    failed: 0,
  });
  return out;
}

const CSV_COLUMNS = ['row', 'seed', 'alpha_init', 'variant', 'arch', 'nb201_index'];

function tableCsv(rows: readonly SearchRow[], summary: readonly SummaryRow[], truths: readonly TruthColumn[]): string {
  const header = [...CSV_COLUMNS, ...truths.map((t) => t.label), 'search_seconds', 'passes', 'note'];
  const body = [
    ...rows.map((r) => [
      'search',
      String(r.seed),
      r.alphaInit,
      r.variant,
      r.arch ?? NA,
      r.index === null ? NA : String(r.index),
      ...r.accuracy.map((v) => csvNumber(r.error === null ? v : null, 4)),
      csvNumber(r.error === null ? r.seconds : null, 3),
      String(r.passes),
      r.error ?? '',
    ]),
    ...summary.map((s) => [
      s.kind,
      '',
      s.alphaInit,
      s.variant,
      s.best ? s.best.map((b) => b.arch).join(' / ') : '',
      s.best ? s.best.map((b) => b.index).join(' / ') : '',
      ...s.values.map((v) => csvNumber(v, 4)),
      csvNumber(s.seconds, 3),
      '',
      s.kind === 'mean' || s.kind === 'std' ? `over ${s.n} searches${s.failed > 0 ? `, ${s.failed} failed` : ''}` : s.kind === 'best in store' ? 'the best cell per accuracy column (arch and index, in column order)' : 'expected accuracy of a random cell',
    ]),
  ];
  return stringify([header, ...body]);
}

function tableMarkdown(rows: readonly SearchRow[], summary: readonly SummaryRow[], truths: readonly TruthColumn[], settings: string[]): string {
  const acc = (v: number) => (Number.isFinite(v) ? mdNumber(v, 2) : NA);
  const perSeed = markdownTable(
    ['seed', 'alpha', 'variant', 'cell', 'index', ...truths.map((t) => t.label), 's', 'passes'],
    rows.map((r) => [
      String(r.seed),
      r.alphaInit,
      r.variant,
      r.arch ?? `failed: ${r.error}`,
      r.index === null ? NA : String(r.index),
      ...r.accuracy.map((v) => (r.error === null ? acc(v) : NA)),
      r.error === null ? r.seconds.toFixed(2) : NA,
      String(r.passes),
    ]),
    ['r', 'l', 'l', 'l', 'r', ...truths.map(() => 'r' as const), 'r', 'r'],
  );
  const means = summary.filter((s) => s.kind === 'mean');
  const stds = summary.filter((s) => s.kind === 'std');
  const best = summary.find((s) => s.kind === 'best in store')!;
  const storeMean = summary.find((s) => s.kind === 'mean over store')!;
  const summaryTable = markdownTable(
    ['alpha', 'variant', 'searches', ...truths.map((t) => t.label), 'seconds per search'],
    [
      ...means.map((m, i) => [
        m.alphaInit,
        m.variant,
        `${m.n}${m.failed > 0 ? ` (+${m.failed} failed)` : ''}`,
        ...m.values.map((v, j) => `${acc(v)} ± ${acc(stds[i]!.values[j]!)}`),
        m.seconds !== null && Number.isFinite(m.seconds) ? `${m.seconds.toFixed(2)} ± ${stds[i]!.seconds!.toFixed(2)}` : NA,
      ]),
      ['', 'best cell in the store', '', ...best.values.map((v, j) => `${acc(v)} (index ${best.best![j]!.index})`), NA],
      ['', 'mean over all cells', '', ...storeMean.values.map(acc), NA],
    ],
    ['l', 'l', 'r', ...truths.map(() => 'r' as const), 'r'],
  );
  return [
    '## FreeDARTS / ZEROS (Zhang et al., arXiv 2106.11542)',
    '',
    ...settings,
    '',
    '### Mean ± std over seeds',
    '',
    summaryTable,
    '',
    '### Per seed',
    '',
    perSeed,
  ].join('\n');
}

function describeSettings(opts: FreeDartsExperimentOptions, backend: string, firstSeed: number, missing: string[]): string[] {
  const s = { ...FREEDARTS_DEFAULTS, ...opts.search };
  const lines = [
    `- Supernet: NB201 macro-structure, every edge holding all 5 ops, C = ${s.C}, N = ${s.N}, BN variant '${s.bn}', ${s.numClasses}-class head; ` +
      `one all-ones ${s.inputSize}x${s.inputSize} input, |w| for every parameter, R = Σ logits, ZEROS = |alpha · ∂R/∂alpha| computed with a log-scale carried through the forward pass (exact; no float32 overflow).`,
    `- Seeds ${firstSeed}..${firstSeed + opts.seeds - 1}; a seed fixes the weights and alpha. alpha 'abs-randn' = |1e-3 · N(0, 1)| (the notebook's draw, made absolute as every parameter is), 'ones' = uniform mixing; no softmax.`,
    `- iterative (per-edge): each pass removes every edge's least sensitive op (3 passes); iterative (global): each pass removes the least sensitive op over all edges that still have several (18 passes); ` +
      `one-shot: per-edge argmax of the first pass. \`none\` ${s.allowNone ? 'is a candidate' : 'is not a candidate (its ZEROS is 0 by construction; see src/search/freedarts.ts)'}.`,
    `- Search seconds: supernet construction + the passes, backend ${backend}, one process; the one-shot time is construction + one pass.`,
    '- One search is evaluated on every dataset: the search sees no data. Published values: none (the paper\'s NB201 table could not be read).',
  ];
  for (const m of missing) lines.push(`- Not in the store: ${m}.`);
  return lines;
}

async function openOrImportStore(o: { data: string; storeDir: string; store?: string; skipChecksum?: boolean }): Promise<BenchmarkStore> {
  return (await openBenchmarkStore({ benchmark: 'nb201', data: o.data, storeDir: o.storeDir, store: o.store, skipChecksum: o.skipChecksum })).store;
}

interface CliOptions {
  data: string;
  storeDir: string;
  store?: string;
  skipChecksum?: boolean;
  out: string;
  seeds: string;
  firstSeed: string;
  alphaInit?: string[];
  removal?: string[];
  backend?: string;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const program = new Command()
    .name('nb201-freedarts')
    .description('FreeDARTS / ZEROS search on NB201; writes <out>/freedarts/table.csv and table.md')
    .option('--data <dir>', 'data directory (its benchmark files build the store)', process.env.DATA ?? 'data')
    .option('--store-dir <dir>', 'where the store is kept / created', 'data')
    .option('--store <file>', 'use this store as is instead of <store-dir>/nb201.h5')
    .option('--skip-checksum', "import benchmark files even if their checksum does not match their official name's")
    .option('--out <dir>', 'results directory', 'results/nb201')
    .option('--seeds <n>', 'number of seeds', String(DEFAULT_SEEDS))
    .option('--first-seed <s>', 'first seed', '0')
    .option('--alpha-init <kind...>', "alpha inits to run: abs-randn, randn, ones (default: abs-randn ones)")
    .option('--removal <mode...>', 'removal modes to run: per-edge, global (default: both)')
    .option('--backend <name>', 'tensorflow, wasm, cpu or webgpu (default: best available)');
  await runReproduction<CliOptions>(program, async (o) => {
    const store = await openOrImportStore(o);
    try {
      const out = await runFreeDartsExperiment({
        store,
        outDir: o.out,
        seeds: Number(o.seeds),
        firstSeed: Number(o.firstSeed),
        alphaInits: o.alphaInit as AlphaInit[] | undefined,
        removals: o.removal as RemovalMode[] | undefined,
        backend: parseBackendName(o.backend),
      });
      return out.markdown;
    } finally {
      store.close();
    }
  });
}
