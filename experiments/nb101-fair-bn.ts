/**
 * The "fair BN" indicator on NAS-Bench-101 (Zhu et al., arXiv 2112.00265) — A RECONSTRUCTION
 * (src/proxies/fair-bn.ts defines the parts and the combination; every row says so). The NB101
 * rows of issue 5, following experiments/nb201-fair-bn.ts.
 *
 * What is run:
 * 1. The fair NB101 supernet (src/supernet/nb101-supernet.ts with `fair`: the max-pool gets a BN
 *    of its own, so every op has a γ) trained BN-only on the BN-NAS experiment's schedule
 *    (experiments/nb101-bn-nas.ts).
 * 2. For a seeded sample of the run's cells (default 100: the parts cost ~1 + 8 + 4 forward
 *    passes per cell), the three parts on the cell's path and the composite (mean of the parts'
 *    ranks over the sample).
 * 3. Kendall τ / Spearman ρ against the 108-epoch validation accuracy of each part, the
 *    composite, BN-NAS on the fair supernet (max-pool now scored), BN-NAS in NB101's own space
 *    (the BN-NAS experiment's BN-only supernet, reused from its checkpoint) and the conv count.
 * 4. The share of convolutions in each indicator's top-k cells vs the true top-k.
 */
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { selectIndices } from '../src/datasets/batch.ts';
import { nb101BnNasScoreOf, nb101GammaTable } from '../src/proxies/bn-nas-nb101.ts';
import { convShareTopKOf } from '../src/proxies/fair-bn-unfairness.ts';
import {
  disposeFairBnInputs,
  FAIR_BN_DEFAULTS,
  FAIR_BN_DEFINITIONS,
  FAIR_BN_PARTS,
  fairBnComposite,
  fairBnInputs,
  fairBnPartsOf,
  type FairBnPart,
  type FairBnPartScores,
} from '../src/proxies/fair-bn.ts';
import { buildCorrelationRows, correlationTableMarkdown, writeCorrelationTable, type CorrelationEntry } from '../src/report/correlation-table.ts';
import { csvNumber, markdownTable } from '../src/report/format.ts';
import type { CorrelationMetric } from '../src/stats/index.ts';
import { NB101_SUPERNET, nb101PathBnParams } from '../src/supernet/nb101-supernet.ts';
import { resolveTrainConfig } from '../src/supernet/train-config.ts';
import { medianStepSeconds, trainOrResume } from '../src/supernet/train-run.ts';
import { writeFileAtomic } from '../src/util/atomic-file.ts';
import {
  cellOpsOf,
  definedOnly,
  NB101_BN_DEFAULTS,
  NB101_BN_FULL,
  NB101_SUPERNET_NOTE,
  nb101BnNasScores,
  nb101Entry,
  nb101SupernetInputs,
  nb101SupernetOptions,
  nb101Unavailable,
  nb101UnavailableOutput,
  runNB101,
  writeNB101Scores,
} from './nb101-bn-nas.ts';
import { chosenCells, type NB101ExperimentContext } from './nb101-naswot.ts';
import { FAIR_BN_ROWS } from '../src/proxies/fair-bn.ts';

const METRICS: CorrelationMetric[] = ['kendall_tau', 'spearman'];
const TOP_K_FRACTIONS = [0.1, 0.05];
export const DEFAULT_NB101_FAIR_BN_CELLS = 100;

export interface NB101FairBnOptions {
  cells?: number;
  steps?: number;
  cellsPerStack?: number;
  batchSize?: number;
  checkpointDir?: string;
}

export async function run(ctx: NB101ExperimentContext, opts: NB101FairBnOptions = {}): Promise<{ markdown: string; files: string[] }> {
  const base = ctx.sample === undefined ? NB101_BN_FULL : NB101_BN_DEFAULTS;
  const o = { ...base, cells: DEFAULT_NB101_FAIR_BN_CELLS, ...definedOnly(opts) };
  const dir = 'fair-bn';
  const outDir = path.join(ctx.outDir, dir);
  const why = nb101Unavailable(ctx);
  if (why) return nb101UnavailableOutput(ctx, dir, 'Fair BN indicator on NB101 (reconstruction)', ['fair-bn composite (reconstruction)'], why);
  const pool = chosenCells(ctx);
  const cells = o.cells >= pool.length ? pool : selectIndices(pool.length, o.cells, ctx.sampleSeed).map((i) => pool[i]!);
  const inp = await nb101SupernetInputs(ctx, cells, o.checkpointDir);
  const config = resolveTrainConfig({ mode: 'bn-only', steps: o.steps, batchSize: o.batchSize, seed: o.trainSeed });
  const snapshotEvery = Math.max(1, Math.round(o.steps / o.snapshots));

  // NB101's own space: the BN-NAS experiment's BN-only run (same label and settings: its checkpoint).
  const original = runNB101('bn-only', null, nb101SupernetOptions(ctx, o.cellsPerStack, false), config, o.snapshots, inp.images, inp.checkpointDir);
  // Both supernets have the same shape, so the cells' vertex ops and widths serve both.
  const cellOps = cellOpsOf(original.modules, inp.specs);
  const originalScores = nb101BnNasScores(original.labels, original.modules, original.summary.snapshots[original.summary.snapshots.length - 1]!, cellOps);
  const convCount = nb101BnNasScores(original.labels, original.modules, original.summary.snapshots[0]!, cellOps);

  const fair = trainOrResume({ label: 'fair-bn-only', supernet: nb101SupernetOptions(ctx, o.cellsPerStack, true), config, snapshotEvery }, inp.images, inp.checkpointDir, NB101_SUPERNET);
  let parts: FairBnPartScores[];
  let fairBnNas: Float64Array;
  let scoringSeconds: number;
  const inputs = fairBnInputs(inp.images, FAIR_BN_DEFAULTS, 0);
  try {
    // Only the candidate ops' gammas are read back from the backend (not every kernel).
    const live = fair.supernet.params.filter((p) => p.kind === 'bn-gamma' && p.label).map((p) => ({ name: p.name, kind: p.kind, slot: p.label, values: p.variable.dataSync() }));
    const table = nb101GammaTable(live, fair.supernet.modules);
    fairBnNas = Float64Array.from(cellOps, (ops) => nb101BnNasScoreOf(table, ops));
    ({ parts, seconds: scoringSeconds } = fairBnPartsOf(fair.supernet, inp.specs, inputs, (spec) => nb101PathBnParams(fair.supernet, spec), 'fair-bn parts nb101'));
  } finally {
    disposeFairBnInputs(inputs);
    fair.supernet.dispose();
  }
  const composite = fairBnComposite(parts);
  const fairTrainSeconds = fair.result.log.stepSeconds.reduce((a, b) => a + b, 0);

  const scale = `${NB101_SUPERNET_NOTE}; stem ${ctx.stemChannels}, ${o.cellsPerStack} module(s) per stack (NB101: 128, 3); ${o.steps} BN-only steps at batch ${o.batchSize} on ${inp.images.size} CIFAR-10 training images`;
  const common = [scale, `sample of ${cells.length} cells`, 'validation (not test) accuracy of a single run', 'the paper\'s NB101 table could not be read (no published value)'];
  const perCell = `${(scoringSeconds / cells.length).toFixed(2)} s per cell for the three parts`;
  const indicators: Array<{ method: string; x: Float64Array; notes: string[]; seconds: number }> = [
    ...FAIR_BN_ROWS.map((r) => ({ method: r.method, x: r.column === 'composite' ? composite : Float64Array.from(parts, (p) => p[r.column as FairBnPart]), notes: [...r.notes, ...(r.column === 'composite' ? [perCell] : [])], seconds: fairTrainSeconds + scoringSeconds })),
    { method: 'bn-nas on the fair supernet', x: fairBnNas, notes: ['mean |gamma| of every op\'s BN, max-pool included (fair space)'], seconds: fairTrainSeconds },
    { method: 'bn-nas (original space, bn-only supernet)', x: originalScores, notes: ['max-pool scores 0 (no BN); the BN-NAS experiment\'s supernet'], seconds: original.summary.trainSeconds },
    { method: 'conv count (bn-nas at initialisation)', x: convCount, notes: ['every gamma 1: modules x the number of conv vertices'], seconds: 0 },
  ];
  const entries: CorrelationEntry[] = METRICS.flatMap((metric) => indicators.map((ind) => nb101Entry(ind.method, metric, inp, ind.x, ind.seconds, [...ind.notes, ...common])));
  const corrRows = buildCorrelationRows(entries);
  writeCorrelationTable(corrRows, { csv: path.join(outDir, 'correlation.csv'), markdown: path.join(outDir, 'correlation.md') });

  const shareHeader = ['indicator', 'k', 'conv_share_indicator_topk', 'conv_share_true_topk', 'conv_share_all_cells', 'n'];
  const shareRows = TOP_K_FRACTIONS.flatMap((fraction) =>
    indicators.map((ind) => {
      const s = convShareTopKOf(inp.convFraction, ind.x, inp.y, { fraction });
      return [ind.method, String(s.k), csvNumber(s.indicator, 4), csvNumber(s.truth, 4), csvNumber(s.pool, 4), String(s.n)];
    }),
  );
  writeFileAtomic(path.join(outDir, 'conv-share.csv'), stringify([shareHeader, ...shareRows]));
  writeNB101Scores(path.join(outDir, 'scores.csv'), inp, [
    ...FAIR_BN_PARTS.map((part): [string, Float64Array] => [part, Float64Array.from(parts, (p) => p[part])]),
    ['composite', composite],
    ['bn_nas_fair', fairBnNas],
    ['bn_nas_original', originalScores],
    ['conv_count', convCount],
  ]);

  const wall = (performance.now() - inp.started) / 1000;
  const markdown = [
    '## Fair BN indicator (Zhu et al., arXiv 2112.00265) on NB101 — reconstruction',
    '',
    `- Cells: ${cells.length} (seeded sample of the run's ${pool.length}); ground truth ${inp.truthLabel}. Backend ${inp.backend}. ${wall.toFixed(0)} s in all.`,
    `- Fair supernet (BN after every op, max-pool included), BN-only: ${scale}; ${fairTrainSeconds.toFixed(0)} s of training (median ${medianStepSeconds(fair.result).toFixed(3)} s/step, ${fair.result.resumedFrom === null ? 'fresh' : `resumed at step ${fair.result.resumedFrom}`}).`,
    `- Part images: expressivity ${FAIR_BN_DEFAULTS.expressivityBatch}, NTK ${FAIR_BN_DEFAULTS.ntkImages}, ${FAIR_BN_DEFAULTS.probes} probes x ${FAIR_BN_DEFAULTS.draws} draws of ${FAIR_BN_DEFAULTS.contextBatch}; ${perCell}.`,
    '- Definitions (ours; the paper publishes none):',
    ...[...FAIR_BN_PARTS, 'composite' as const].map((k) => `  - ${k}: ${FAIR_BN_DEFINITIONS[k]}`),
    '',
    correlationTableMarkdown(corrRows),
    '',
    'Share of convolutions in the top-k cells:',
    '',
    markdownTable(shareHeader, shareRows, ['l', 'r', 'r', 'r', 'r', 'r']),
    '',
  ].join('\n');
  writeFileAtomic(path.join(outDir, 'README.md'), markdown);
  const files = ['correlation.csv', 'correlation.md', 'conv-share.csv', 'scores.csv', 'README.md'].map((f) => `${dir}/${f}`);
  return { markdown, files };
}
