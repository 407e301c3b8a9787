/**
 * One runner for every correlation experiment. An experiment declares a spec — the paper, the
 * space, the proxies and how many cells each scores, the datasets with their ground truths, the
 * metrics, and the notes on where it differs from the paper — and this runner scores (through
 * the score cache), correlates, and writes the tables, the per-cell scores and the report
 * section through the writing path it shares with the supernet runner (experiment-output.ts):
 *
 *   for each dataset: resolve its ground truths (a missing one is a row saying which file would
 *   provide it); for each seed pair (initialisation x batch): score each group of proxies that
 *   share a cell count on its cells; for each proxy x ground truth x metric: the correlation over
 *   the primary seed pair's cells with a bootstrap CI over cells, and — with several seed pairs —
 *   its mean ± std over the seed pairs on the cells every pair scored; the published value beside.
 *
 * Cells: the run's population (ctx.cells: a seeded sample, all cells with FULL=1, or an NB101
 * store's cells). A proxy that is too slow for the whole population on a CPU scores a prefix of
 * it (a prefix of a seeded uniform sample is a uniform sample); its rows say how many cells, and
 * FULL=1 gives every proxy the whole population. Extra seed pairs score the first ctx.seedCells
 * cells (the default run keeps them cheap; FULL=1 uses all).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { MetricQuery } from '../benchmarks/store.ts';
import { datasetDir, DATASET_SOURCES } from '../datasets/load.ts';
import type { DatasetName } from '../datasets/types.ts';
import { getProxy } from '../proxies/registry.ts';
import type { ProxySettings } from '../proxies/types.ts';
import { correlationTableMarkdown, type CorrelationEntry, type SeedSpread } from '../report/correlation-table.ts';
import { scoreProxies, type ScoreCellsResult, type ScoredCell } from '../scoring/score-cells.ts';
import type { ScoreJob, ScoreTask } from '../scoring/score-job.ts';
import { shardCacheDir, shardName, shardOf } from '../scoring/shard.ts';
import { correlateOrReason, meanStd, type CorrelationMetric } from '../stats/index.ts';
import type { CorrelationContext } from './context.ts';
import { measuredEntry, missingEntry, type RowIdentity } from './correlation-entry.ts';
import { prefixPopulation, scoresFileOf, sectionHead, writeCorrelationFiles, writeScoresFile } from './experiment-output.ts';
import { groundTruth, type GroundTruth } from './ground-truth.ts';

export interface TruthPlan {
  query: MetricQuery;
  /** published.csv's ground_truth text where the paper printed a value for this ground truth. */
  published?: string;
  /** A note every row of this ground truth carries (e.g. what the paper called it). */
  note?: string;
  /** Resolves the ground truth itself (NB101 joins several origins row by row); default: the store's column for `query`. */
  resolve?: (store: CorrelationContext['store']) => GroundTruth | { label: string; missing: string };
}

export interface DatasetPlan {
  /** The images the proxies see (and whose class count and image size they use). */
  images: DatasetName;
  /** published.csv's dataset name. */
  reportName: string;
  truths: TruthPlan[];
}

export interface ProxyPlan {
  proxy: string;
  /** Cells: the first `cells` of the run's population (default all of it; FULL=1: all of it). */
  cells?: number;
  /** Settings over the proxy's reference defaults. */
  settings?: Partial<ProxySettings>;
  /** Notes on this proxy's rows. */
  notes?: string[];
  /** Where this proxy's published value comes from, when not the spec's paper (a table of several papers' proxies). */
  published?: { paper: string; table?: string; groundTruth?: Readonly<Record<string, string>> };
}

export interface MetricPlan {
  metric: CorrelationMetric;
  /** Whether the paper's value of this metric is set beside ours (default true). */
  published?: boolean;
}

export interface CorrelationSpec {
  /** The results sub-folder and the experiment's name ('naswot' -> results/nb201/naswot/). */
  experiment: string;
  /** The report section's heading. */
  title: string;
  /** published.csv's paper id, and its table when the paper has several. */
  paper: string;
  table?: string;
  space: 'nb201' | 'nb101';
  /** What is run, in the methods-section sense (the report prints these lines). */
  description: readonly string[];
  /** Where the run differs from the paper (printed, and carried by the rows they affect). */
  differences: readonly string[];
  datasets: readonly DatasetPlan[];
  proxies: readonly ProxyPlan[];
  metrics: readonly MetricPlan[];
  /** Scoring protocol choices (NBSZ: a fresh augmented batch per cell). */
  protocol?: { batchPerCell?: boolean; augment?: boolean };
  /** Rows computed from several proxies' scores (the zero-cost vote), per dataset. */
  derive?: (scored: ScoredDataset, ctx: CorrelationContext) => CorrelationEntry[];
}

/** One dataset's scores: the primary seed pair's, per proxy, aligned with its cells. */
export interface ScoredDataset {
  dataset: DatasetPlan;
  truths: { plan: TruthPlan; truth: GroundTruth | { label: string; missing: string } }[];
  /** Per proxy: its cells (keys), the scores (NaN for failed), the scoring result. */
  proxies: Map<string, { tasks: ScoreTask[]; scores: Float64Array; result: ScoreCellsResult; parts?: Map<string, Float64Array> }>;
  /** Ground-truth values of the given cells (NaN where the store has none). */
  valuesOf(truth: GroundTruth, tasks: readonly ScoreTask[]): Float64Array;
}

export interface CorrelationRun {
  markdown: string;
  files: string[];
  entries: CorrelationEntry[];
  scored: ScoredDataset[];
}

function scoresOf(cells: readonly ScoredCell[]): Float64Array {
  return Float64Array.from(cells, (c) => (c.status === 'error' ? NaN : c.score));
}

/** Runs the spec in the context; writes <out>/<experiment>/{correlation.csv,.md, scores-<dataset>.csv}. */
export async function runCorrelationSpec(spec: CorrelationSpec, ctx: CorrelationContext): Promise<CorrelationRun> {
  if (ctx.space !== spec.space) throw new RangeError(`experiment ${spec.experiment} is on ${spec.space}, the run on ${ctx.space}`);
  const population = ctx.cells.tasks;
  const entries: CorrelationEntry[] = [];
  const settingsLines: string[] = [];
  const files: string[] = [];
  const scored: ScoredDataset[] = [];
  const seedPairs = ctx.initSeeds.flatMap((i) => ctx.batchSeeds.map((b) => ({ initSeed: i, batchSeed: b })));
  const multiSeed = seedPairs.length > 1;

  for (const ds of spec.datasets) {
    const haveImages = existsSync(datasetDir(ctx.dataDir, ds.images));
    const truths = ds.truths.map((plan) => ({ plan, truth: plan.resolve ? plan.resolve(ctx.store) : groundTruth(ctx.store, plan.query) }));
    const runnable = spec.proxies.filter((p) => haveImages || getProxy(p.proxy).needs.images === 'none');
    if (!haveImages) {
      settingsLines.push(`- ${ds.images}: images not present in ${datasetDir(ctx.dataDir, ds.images)}; only data-free proxies ran. To add them: ${DATASET_SOURCES[ds.images].whereToGetIt}.`);
    }
    const cellsFor = (p: ProxyPlan): ScoreTask[] => (ctx.full || p.cells === undefined ? population : population.slice(0, Math.min(p.cells, population.length)));
    const job = (p: ProxyPlan, pair: { initSeed: number; batchSeed: number }): ScoreJob => {
      const proxy = getProxy(p.proxy);
      const settings = { ...proxy.defaults, ...p.settings, ...(spec.protocol?.augment ? { augment: true } : {}), ...(ctx.batchSize && proxy.needs.images === 'batch' ? { batchSize: ctx.batchSize } : {}) };
      return {
        space: spec.space,
        proxy: p.proxy,
        settings,
        dataset: ds.images,
        batchSeed: pair.batchSeed,
        initSeed: pair.initSeed,
        dataDir: ctx.dataDir,
        ...(spec.space === 'nb101' ? { nb101StemChannels: ctx.nb101StemChannels } : {}),
        ...(spec.protocol?.batchPerCell ? { batchPerCell: true } : {}),
      };
    };
    // Proxies that share a cell count are scored together (one pass over the cells, one network per variant).
    const groups = new Map<number, ProxyPlan[]>();
    for (const p of runnable) {
      const n = cellsFor(p).length;
      groups.set(n, [...(groups.get(n) ?? []), p]);
    }
    const primary = new Map<string, { tasks: ScoreTask[]; scores: Float64Array; result: ScoreCellsResult; parts?: Map<string, Float64Array> }>();
    /** Per proxy, per seed pair: scores on the seed subset. */
    const perSeed = new Map<string, Float64Array[]>();
    for (const [n, plans] of groups) {
      const tasks = population.slice(0, n);
      for (const [k, pair] of seedPairs.entries()) {
        const seedTasks = k === 0 ? tasks : tasks.slice(0, ctx.full ? tasks.length : Math.min(ctx.seedCells, tasks.length));
        const results = await scoreProxies(
          plans.map((p) => job(p, pair)),
          { cacheDir: shardCacheDir(ctx.cacheDir, ctx.shard), backend: ctx.backend, workers: ctx.workers, cells: shardOf(seedTasks, ctx.shard), label: `${spec.experiment} ${ds.images} (init ${pair.initSeed}, batch ${pair.batchSeed})` },
        );
        if (ctx.shard) continue; // a shard only fills its cache: the tables come after the merge
        plans.forEach((p, i) => {
          const r = results[i]!;
          const { scores, parts } = populationScores(p.proxy, r.cells);
          if (k === 0) primary.set(p.proxy, { tasks, scores, result: r, ...(parts ? { parts } : {}) });
          perSeed.set(p.proxy, [...(perSeed.get(p.proxy) ?? []), scores]);
        });
      }
    }
    if (ctx.shard) {
      settingsLines.push(`- ${ds.images}: ${shardName(ctx.shard)} scored its cells into ${shardCacheDir(ctx.cacheDir, ctx.shard)}; merge the shards (nasrepro merge) and rerun without --shard for the tables.`);
      continue;
    }
    const valuesOf = (truth: GroundTruth, tasks: readonly ScoreTask[]): Float64Array => Float64Array.from(tasks, (t) => truth.values[ctx.cells.truthRow(t) ?? -1] ?? NaN);
    const scoredDataset: ScoredDataset = { dataset: ds, truths, proxies: primary, valuesOf };
    scored.push(scoredDataset);

    for (const p of spec.proxies) {
      const proxy = getProxy(p.proxy);
      const r = primary.get(p.proxy);
      for (const { plan, truth } of truths) {
        for (const m of spec.metrics) {
          const id = identity(spec, ctx, ds, plan, truth.label, p, m, r?.tasks.length ?? 0);
          if (!r) {
            entries.push(missingEntry(id, `data not present: no ${ds.images} images in ${datasetDir(ctx.dataDir, ds.images)}`));
            continue;
          }
          if ('missing' in truth) {
            entries.push(missingEntry(id, truth.missing));
            continue;
          }
          const y = valuesOf(truth, r.tasks);
          const notes = [...notesFor(spec, ctx, ds, plan, p, r.tasks.length), ...(r.result.failed > 0 ? [`${r.result.failed} cells failed to score and are excluded`] : [])];
          const e = measuredEntry(id, r.scores, y, { backend: describeBackend(r.result), wallSeconds: r.result.wallSeconds, notes });
          if (multiSeed) e.seeds = seedSpread(m.metric, perSeed.get(p.proxy)!, y, seedPairs);
          entries.push(e);
          entries.push(...partEntries(id, r, y, { backend: describeBackend(r.result), wallSeconds: r.result.wallSeconds, notes }));
        }
      }
      if (r) {
        const secs = r.result.cells.reduce((s, c) => s + c.seconds, 0) / Math.max(1, r.result.cells.length);
        const bad = r.result.cells.filter((c) => c.status !== 'ok').length;
        settingsLines.push(
          `- ${ds.images} ${p.proxy}: ${r.tasks.length} cells, batch ${job(p, seedPairs[0]!).settings.batchSize}${proxy.needs.images === 'none' ? ' (data-free)' : ''}, ` +
            `${r.result.computed} computed this run, ${secs.toFixed(2)} s per cell per worker (${describeBackend(r.result)}), ${bad} failed or non-finite.`,
        );
      }
    }
    if (spec.derive) entries.push(...spec.derive(scoredDataset, ctx));
    if (primary.size > 0) {
      const file = scoresFileOf(spec.experiment, ds.images);
      writeScoresCsv(path.join(ctx.outDir, file), spec, population, primary, truths, valuesOf);
      files.push(file);
    }
  }

  const table = writeCorrelationFiles(ctx.outDir, spec.experiment, entries);
  files.push(...table.files);
  const markdown = [
    ...sectionHead(spec.title, spec.description, spec.differences),
    '',
    `Cells: ${ctx.cells.description}.${multiSeed ? ` Seeds: initialisation ${ctx.initSeeds.join(', ')} x batch ${ctx.batchSeeds.join(', ')}; the seed columns are mean ± std over the ${seedPairs.length} seed pairs on the first ${ctx.full ? 'all' : ctx.seedCells} cells of each proxy.` : ''}`,
    ...settingsLines,
    '',
    correlationTableMarkdown(table.rows),
    '',
  ].join('\n');
  return { markdown, files, entries, scored };
}

/**
 * A proxy's scores over the cells it scored, and its parts. For a proxy whose published score is
 * defined over the population (types.ts `combine`: TE-NAS, AZ-NAS combine their parts by ranks),
 * the score of every cell is the combination of the parts across these cells, not the per-cell
 * value the cache holds; a failed cell has NaN parts, so it gets NaN and is never ranked.
 */
export function populationScores(name: string, cells: readonly ScoredCell[]): { scores: Float64Array; parts?: Map<string, Float64Array> } {
  const proxy = getProxy(name);
  const names = proxy.parts ?? [];
  if (names.length === 0) return { scores: scoresOf(cells) };
  const partOf = (c: ScoredCell, part: string): number => (c.status === 'error' ? NaN : (c.parts?.[part] ?? NaN));
  const parts = new Map(names.map((part) => [part, Float64Array.from(cells, (c) => partOf(c, part))]));
  if (!proxy.combine) return { scores: scoresOf(cells), parts };
  const combined = proxy.combine(cells.map((c) => Object.fromEntries(names.map((part) => [part, partOf(c, part)]))));
  if (combined.length !== cells.length) throw new RangeError(`proxy '${name}': combine returned ${combined.length} scores for ${cells.length} cells`);
  return { scores: Float64Array.from(combined), parts };
}

/** One row per reported part (method '<proxy>.<part>'), beside the proxy's own row. */
function partEntries(
  id: RowIdentity,
  r: { parts?: Map<string, Float64Array> },
  y: Float64Array,
  run: { backend: string; wallSeconds: number; notes: string[] },
): CorrelationEntry[] {
  if (!r.parts) return [];
  return [...r.parts].map(([part, x]) => measuredEntry({ ...id, method: `${id.method}.${part}`, published: null }, x, y, { ...run, notes: [...run.notes, `part '${part}' of ${id.method}, scored alone`] }));
}

function describeBackend(r: ScoreCellsResult): string {
  return `${r.backend.name} ${r.backend.version}`;
}

function identity(spec: CorrelationSpec, ctx: CorrelationContext, ds: DatasetPlan, plan: TruthPlan, label: string, p: ProxyPlan, m: MetricPlan, n: number): RowIdentity {
  const method = p.proxy;
  const paper = p.published?.paper ?? spec.paper;
  const table = p.published ? p.published.table : spec.table;
  const truthText = p.published?.groundTruth ? p.published.groundTruth[ds.reportName] : plan.published;
  const published =
    m.published === false || truthText === undefined
      ? undefined
      : ctx.published.lookup({ paper, ...(table ? { table } : {}), benchmark: spec.space, dataset: ds.reportName, method, metric: m.metric, groundTruth: truthText });
  return { paper: spec.paper, method, benchmark: spec.space, dataset: ds.reportName, groundTruth: label, metric: m.metric, population: populationOf(ctx, n), published: published ?? null };
}

/** The cell population of a row, as its check identity names it. */
function populationOf(ctx: CorrelationContext, n: number): string {
  return prefixPopulation(ctx.cells.id, n, ctx.cells.tasks.length);
}

function notesFor(spec: CorrelationSpec, ctx: CorrelationContext, ds: DatasetPlan, plan: TruthPlan, p: ProxyPlan, n: number): string[] {
  const notes = [`scores on ${ds.images} training images`];
  if (!ctx.cells.complete) notes.push(n === ctx.cells.tasks.length ? `${ctx.cells.description}, not all cells of the space` : `the first ${n} of ${ctx.cells.description}`);
  if (ctx.batchSize && getProxy(p.proxy).needs.images === 'batch') notes.push(`batch ${ctx.batchSize}, not the reference ${getProxy(p.proxy).defaults.batchSize}`);
  if (plan.note) notes.push(plan.note);
  notes.push(...(p.notes ?? []));
  void spec;
  return notes;
}

/**
 * The metric over each seed pair on the cells every pair scored (the first k of the proxy's
 * cells), then its mean and standard deviation (population std, ddof 0, over the pairs).
 */
function seedSpread(metric: CorrelationMetric, perSeed: readonly Float64Array[], y: Float64Array, pairs: readonly { initSeed: number; batchSeed: number }[]): SeedSpread {
  const k = Math.min(...perSeed.map((s) => s.length));
  const values = perSeed.map((s) => correlateOrReason(metric, s.subarray(0, k), y.subarray(0, k)).value);
  const finite = values.filter(Number.isFinite);
  const { mean, std } = finite.length > 0 ? meanStd(finite) : { mean: NaN, std: NaN };
  return { pairs: pairs.length, cells: k, mean, std, values };
}

function writeScoresCsv(
  file: string,
  spec: CorrelationSpec,
  population: readonly ScoreTask[],
  primary: ScoredDataset['proxies'],
  truths: ScoredDataset['truths'],
  valuesOf: ScoredDataset['valuesOf'],
): void {
  const proxies = [...primary.keys()];
  const byProxy = new Map(proxies.map((p) => [p, new Map(primary.get(p)!.result.cells.map((c) => [c.key, c]))]));
  // proxies that combine their parts across the cells: the combined score, as correlated
  const combinedOf = new Map(
    proxies.filter((p) => getProxy(p).combine).map((p) => {
      const r = primary.get(p)!;
      return [p, new Map(r.tasks.map((t, i) => [t.key, r.scores[i]!]))] as const;
    }),
  );
  const partCols = proxies.flatMap((p) => [...(primary.get(p)!.parts?.keys() ?? [])].map((part) => ({ p, part })));
  const longest = Math.max(...proxies.map((p) => primary.get(p)!.tasks.length));
  const tasks = population.slice(0, longest);
  const truthCols = truths.filter((t) => 'values' in t.truth).map((t) => ({ label: t.truth.label, values: valuesOf(t.truth as GroundTruth, tasks) }));
  const key = spec.space === 'nb201' ? 'index' : 'hash';
  const scoreColumns = [
    ...proxies.map((p) => ({
      name: p,
      values: tasks.map((t) => {
        const c = byProxy.get(p)!.get(t.key);
        return c === undefined ? '' : c.status === 'error' ? 'error' : (combinedOf.get(p)?.get(t.key) ?? c.score);
      }),
    })),
    ...partCols.map(({ p, part }) => ({ name: `${p}.${part}`, values: tasks.map((t) => byProxy.get(p)!.get(t.key)?.parts?.[part] ?? '') })),
  ];
  writeScoresFile(file, [{ name: key, values: tasks.map((t) => t.key) }], scoreColumns, truthCols);
}
