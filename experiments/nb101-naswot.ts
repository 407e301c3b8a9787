/**
 * NASWOT on NAS-Bench-101 (Mellor et al., ICML 2021, Figure 3: Kendall τ 0.285 over 1,000 cells).
 *
 * What is run: the NASWOT score (batch of 128 CIFAR-10 training images, train-mode BN) of NB101
 * cells, correlated with their accuracy.
 * Where we differ from the paper, and why (each also says so in the report rows):
 * - Ground truth: the validation accuracy of ONE training run at 108 epochs (the shared NB101
 *   data has no test accuracy); the paper used the final test accuracy. Per cell we take the
 *   official tfrecord's value ('nb101') where the store has it, else the CSV tables' ('nb101-csv').
 * - Network: stem 16 channels by default (what the NASWOT code used, and ~25x cheaper on a CPU
 *   than the benchmark's 128); `--nb101-stem 128` gives the benchmark's network.
 * - Cells: those with ground truth and a known matrix: the 1,000 cells with matrices, plus, when
 *   the space store from `nasrepro nb101 enumerate` exists, every hash-only row joined to it.
 *   A seeded sample of 1,000 by default (the paper's count), all with FULL=1.
 */
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { BenchmarkStore } from '../src/benchmarks/store.ts';
import { nb101SpecOf } from '../src/benchmarks/nb101-space-store.ts';
import { selectIndices } from '../src/datasets/batch.ts';
import type { BackendName } from '../src/engine/backend.ts';
import { buildCorrelationRows, correlationTableMarkdown, writeCorrelationTable, type CorrelationEntry } from '../src/report/correlation-table.ts';
import type { PublishedTable } from '../src/report/published.ts';
import { getProxy } from '../src/proxies/registry.ts';
import { scoreCells } from '../src/scoring/score-cells.ts';
import type { ScoreTask } from '../src/scoring/score-job.ts';
import type { CorrelationMetric } from '../src/stats/index.ts';
import { measuredEntry } from '../src/pipeline/correlation-entry.ts';
import type { ModelSpec } from '../src/spaces/nb101.ts';
import { writeFileAtomic } from '../src/util/atomic-file.ts';
import { originWithFiles } from '../src/pipeline/ground-truth.ts';

export interface NB101ExperimentContext {
  dataDir: string;
  store: BenchmarkStore;
  /** The enumerated space, to give hash-only rows their matrices (optional). */
  space?: BenchmarkStore;
  published: PublishedTable;
  /** Cells to score: a sample size, or undefined for all cells with ground truth. */
  sample?: number;
  sampleSeed: number;
  stemChannels: number;
  batchSize?: number;
  cacheDir: string;
  outDir: string;
  backend?: BackendName;
  workers?: number;
}

const ORIGINS = ['nb101', 'nb101-csv'];
const METRICS: CorrelationMetric[] = ['kendall_tau', 'spearman'];

export interface Candidate {
  hash: string;
  spec: ModelSpec;
  accuracy: number;
  origin: string;
}

/** Cells with a finite 108-epoch validation accuracy and a known matrix; counts the join. */
export function candidates(ctx: NB101ExperimentContext): { cells: Candidate[]; joined: number; withoutMatrix: number } {
  const q = { dataset: 'cifar10', split: 'valid', epochs: 108 };
  const columns = ORIGINS.filter((o) => ctx.store.columns.some((c) => c.origin === o && c.split === 'valid' && c.epochs === 108)).map(
    (origin) => ({ origin, values: ctx.store.column({ ...q, origin }) }),
  );
  const cells: Candidate[] = [];
  let joined = 0;
  let withoutMatrix = 0;
  for (let row = 0; row < ctx.store.size; row++) {
    const col = columns.find((c) => Number.isFinite(c.values[row]!));
    if (!col) continue;
    const hash = ctx.store.keys[row]!;
    let spec = nb101SpecOf(ctx.store, row);
    if (!spec && ctx.space) {
      const r = ctx.space.rowOf(hash);
      spec = r === undefined ? undefined : nb101SpecOf(ctx.space, r);
      if (spec) joined++;
    }
    if (!spec) {
      withoutMatrix++;
      continue;
    }
    cells.push({ hash, spec, accuracy: col.values[row]!, origin: col.origin });
  }
  return { cells, joined, withoutMatrix };
}

/** The run's cells: all candidates, or a seeded sample of `ctx.sample` in store order. */
export function chosenCells(ctx: NB101ExperimentContext, all: Candidate[] = candidates(ctx).cells): Candidate[] {
  return ctx.sample === undefined || ctx.sample >= all.length
    ? all
    : selectIndices(all.length, ctx.sample, ctx.sampleSeed).sort((a, b) => a - b).map((i) => all[i]!);
}

export async function run(ctx: NB101ExperimentContext): Promise<{ markdown: string; files: string[] }> {
  const outDir = path.join(ctx.outDir, 'naswot');
  const proxy = getProxy('naswot');
  const settings = { ...proxy.defaults, ...(ctx.batchSize ? { batchSize: ctx.batchSize } : {}) };
  const all = candidates(ctx);
  const chosen = chosenCells(ctx, all.cells);
  const tasks: ScoreTask[] = chosen.map((c) => ({ key: c.hash, nb101: c.spec }));
  const scored = await scoreCells(
    { space: 'nb101', proxy: proxy.name, settings, dataset: 'cifar10', batchSeed: 0, initSeed: 0, dataDir: ctx.dataDir, nb101StemChannels: ctx.stemChannels },
    { cells: tasks, cacheDir: ctx.cacheDir, backend: ctx.backend, workers: ctx.workers, label: 'naswot nb101' },
  );
  const backend = `${scored.backend.name} ${scored.backend.version}`;
  const x = Float64Array.from(scored.cells, (c) => c.score);
  const y = Float64Array.from(chosen, (c) => c.accuracy);
  const origins = [...new Set(chosen.map((c) => c.origin))].map((o) => originWithFiles(ctx.store, o)).join(' / ');
  const groundTruth = `cifar10 valid 108ep, one training run (${origins}); the paper used final test accuracy`;
  const failed = scored.cells.filter((c) => c.status === 'error').length;
  const nonFinite = scored.cells.filter((c) => c.status === 'nan' || c.status === 'inf').length;
  const entries: CorrelationEntry[] = METRICS.map((metric) => {
    const published = ctx.published.lookup({ paper: 'naswot-icml2021', benchmark: 'nb101', dataset: 'cifar10', method: 'naswot', metric });
    const notes = [
      `stem ${ctx.stemChannels} channels`,
      `batch ${settings.batchSize} CIFAR-10 training images`,
      'validation (not test) accuracy of a single run',
    ];
    if (failed > 0) notes.push(`${failed} cells failed to score and are excluded`);
    return measuredEntry({ method: 'naswot', benchmark: 'nb101', dataset: 'cifar10', groundTruth, metric, published: published ?? null }, x, y, {
      backend,
      wallSeconds: scored.wallSeconds,
      notes,
    });
  });
  const rows = buildCorrelationRows(entries);
  writeCorrelationTable(rows, { csv: path.join(outDir, 'correlation.csv'), markdown: path.join(outDir, 'correlation.md') });
  writeFileAtomic(
    path.join(outDir, 'scores-cifar10.csv'),
    stringify(
      scored.cells.map((c, i) => [c.key, c.score, c.status, c.seconds, chosen[i]!.accuracy, chosen[i]!.origin]),
      { header: true, columns: ['hash', 'score', 'status', 'seconds', 'valid_accuracy_108', 'origin'] },
    ),
  );
  const cellSeconds = scored.cells.reduce((s, c) => s + c.seconds, 0) / Math.max(1, scored.cells.length);
  const markdown = [
    '## NASWOT on NB101 (Mellor et al., ICML 2021, Figure 3)',
    '',
    `- Cells with ground truth and a matrix: ${all.cells.length} (${all.joined} hash-only rows joined to the enumerated space; ` +
      `${all.withoutMatrix} hash-only rows without a matrix${ctx.space ? ' not found in the space' : ': run `nasrepro nb101 enumerate` to join them'}).`,
    `- Scored: ${chosen.length}${ctx.sample !== undefined && ctx.sample < all.cells.length ? ` sampled (seed ${ctx.sampleSeed})` : ''}, ` +
      `stem ${ctx.stemChannels}, batch ${settings.batchSize}, backend ${backend}; ${scored.computed} computed this run, ` +
      `${cellSeconds.toFixed(2)} s per cell per worker, ${failed} failed, ${nonFinite} non-finite.`,
    '',
    correlationTableMarkdown(rows),
    '',
  ].join('\n');
  return { markdown, files: ['naswot/correlation.csv', 'naswot/correlation.md', 'naswot/scores-cifar10.csv'] };
}
