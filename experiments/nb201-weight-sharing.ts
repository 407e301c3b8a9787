/**
 * The weight-sharing variance study (Zhang et al., "Deeper Insights into Weight Sharing in Neural
 * Architecture Search", arXiv 2001.01431) on a 64-child subspace of NAS-Bench-201
 * (src/supernet/subspace.ts). THE SPACE DIFFERS from the paper's (its own 64-child DARTS-like
 * space, stand-alone ground truth from 10 trainings each); ours takes NB201's stand-alone
 * accuracy (cifar10-valid x-valid, 200 epochs) as ground truth. Every report row says so.
 *
 * What is run (every number comes from this run):
 * 1. `seeds` single-path supernets per mode ('standard' and 'bn-only', src/supernet/train.ts),
 *    seed s seeding both the weights and the path/batch draws; paths uniform over the 64 children.
 *    Checkpointed per segment: a killed run resumes, a rerun retrains nothing.
 * 2. Each child's supernet accuracy on `evalImages` held-out CIFAR-10 test images (the shared data's
 *    test split: never trained on). Our choice, documented: BN in train mode on the evaluation batch
 *    (batch statistics, running statistics untouched), because the running statistics of a
 *    single-path supernet mix every child's activations; this is the usual BN recalibration of
 *    one-shot evaluation in its cheapest form. Also each child's BN-NAS indicator (src/proxies/bn-nas.ts)
 *    from the same supernet's gammas.
 * 3. Metrics with their spread over seeds (src/search/weight-sharing.ts): S-Tau, GT-Tau, top-1
 *    rank, for the accuracy ranking and for BN-NAS's indicator (is it more stable across seeds?
 *    neither paper measured it).
 * 4. GT-Tau over the last mini-batches: the children are also evaluated at `lastPoints` points
 *    `lastStride` steps apart at the end of each run (the paper: over the last 10 epochs), and at
 *    `curvePoints` evenly spaced points along it (the ranking-variance curve: GT-Tau and τ to the
 *    previous point). Evaluations are cached beside the checkpoint, keyed by step.
 * 5. Partial sharing: the children split into m groups (random, similarity, prefix;
 *    src/search/weight-sharing.ts), each group its own supernet over its children only. Budget
 *    (our choice): the full run's steps are split evenly, steps/m per group, so each child gets on
 *    average the same number of updates of its own path as under full sharing (steps/64); only the
 *    degree of sharing changes. The paper trains every group as long as the full supernet; that
 *    costs m times more, which 2 cores cannot afford. m = 64 is then independent training for
 *    steps/64 steps each (at least 1). Standard mode, seeds 0..partialSeeds-1.
 *
 * Sizes. Measured on this machine at C=8, N=1, batch 64 (quiet): ~1.4 s per training step and
 * ~0.5 s per child evaluation on 64 images. The default, sized to ~30 minutes on 2 cores: 3 seeds
 * x 2 modes x 80 steps, each evaluated at the end and at the 2 last points (64 children each),
 * partial sharing m = 1, 4, 16 (random and similarity grouping) on 1 seed:
 * 6 x (80 x 1.4 + 3 x 32) + 5 x (80 x 1.4 + 32) ≈ 1,250 + 720 s ≈ 33 min. That is far below the
 * paper's training, so the supernet accuracies are close to chance and every row says the run is
 * reduced. FULL=1 (--full): C=16, N=5, 10 seeds, 625 steps (10 epochs of the 4,000 training
 * images), 512 evaluation images, partial sharing m = 1..64 (random, similarity, prefix) on 10
 * seeds: days on a CPU.
 *
 * Runnable alone:
 *   node --import tsx experiments/nb201-weight-sharing.ts --data ../shared/data --store-dir data [--seeds N] [--steps N] [--full]
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { stringify } from 'csv-stringify/sync';
import { loadImageSet } from '../src/datasets/load.ts';
import { normalizeBatch } from '../src/datasets/normalize.ts';
import type { ImageSet } from '../src/datasets/types.ts';
import { initBackend } from '../src/engine/backend.ts';
import type { ExperimentContext, ExperimentOutput } from '../src/pipeline/context.ts';
import { groundTruth, valuesAt } from '../src/pipeline/ground-truth.ts';
import { reproduceCommand, runReproduction } from '../src/pipeline/reproduce-cli.ts';
import { bnNasScore, liveGammas, opGammaScores } from '../src/proxies/bn-nas.ts';
import { csvNumber, markdownTable, mdNumber } from '../src/report/format.ts';
import { consecutiveTau, groupsFor, gtTau, kendall, meanWithinGroupDistance, sTau, top1RankSummary, type Grouping, type TauSummary } from '../src/search/weight-sharing.ts';
import { identityHash } from '../src/supernet/checkpoint.ts';
import type { NB201Supernet, SupernetOptions } from '../src/supernet/nb201-supernet.ts';
import { allChildren, childCell, childIndex, SUBSPACE_SIZE, subspaceSupernetKind } from '../src/supernet/subspace.ts';
import { PAPER_OPTIMISER, resolveTrainConfig, type TrainConfig, type TrainMode } from '../src/supernet/train-config.ts';
import { median } from '../src/supernet/train-run.ts';
import { trainIdentity, trainSupernet } from '../src/supernet/train.ts';
import { writeFileAtomic } from '../src/util/atomic-file.ts';
import { BN_NAS_TRUTH, positiveInt, standaloneContext, unavailable, type StandaloneOptions } from '../src/pipeline/supernet-inputs.ts';

const PAPER = 'deeper-insights-2020';
export const SPACE_NOTE = 'space differs: NB201 64-child subspace (edges 0->3, 1->3, 2->3 free over conv3x3/conv1x1/avgpool/skip, others conv3x3), not the paper\'s DARTS-like 64-child space';

export interface WeightSharingOptions {
  seeds: number;
  modes: TrainMode[];
  steps: number;
  C: number;
  N: number;
  batchSize: number;
  evalImages: number;
  /** Evaluation batch (train-mode BN statistics are over one such batch). */
  evalBatch: number;
  lastPoints: number;
  lastStride: number;
  curvePoints: number;
  partialSeeds: number;
  partialM: number[];
  groupings: Grouping[];
  checkpointDir?: string;
}

export const WEIGHT_SHARING_DEFAULTS: Readonly<WeightSharingOptions> = Object.freeze({
  seeds: 3, modes: ['standard', 'bn-only'], steps: 80, C: 8, N: 1, batchSize: 64, evalImages: 64, evalBatch: 64,
  lastPoints: 2, lastStride: 5, curvePoints: 2, partialSeeds: 1, partialM: [1, 4, 16], groupings: ['random', 'similarity'],
}) as WeightSharingOptions;
export const WEIGHT_SHARING_FULL: Readonly<WeightSharingOptions> = Object.freeze({
  ...WEIGHT_SHARING_DEFAULTS, seeds: 10, steps: 625, C: 16, N: 5, evalImages: 512, evalBatch: 128, lastPoints: 10, lastStride: 20, curvePoints: 10, partialSeeds: 10,
  partialM: [1, 2, 4, 8, 16, 32, 64], groupings: ['random', 'similarity', 'prefix'],
}) as WeightSharingOptions;

/** One evaluation of every child of a supernet (or of a group). */
export interface ChildEval {
  step: number;
  /** By child: accuracy on the evaluation images, NaN for children not evaluated. */
  accuracy: number[];
  bnNas: number[];
  seconds: number;
}

/** The evaluation steps of a run: evenly spaced curve points, the last points, the end. */
export function evalSteps(steps: number, curvePoints: number, lastPoints: number, lastStride: number): number[] {
  // curvePoints >= 2 includes the ranking at initialisation (step 0); 1 means the end only.
  const s = new Set<number>(curvePoints >= 2 ? [0, steps] : [steps]);
  for (let i = 1; i < curvePoints; i++) s.add(Math.round((i * steps) / curvePoints));
  for (let i = 1; i < lastPoints; i++) s.add(Math.max(0, steps - i * lastStride));
  return [...s].sort((a, b) => a - b);
}

/** Accuracy of each listed child on the evaluation images, and its BN-NAS indicator. */
export function evaluateChildren(supernet: NB201Supernet, children: readonly number[], evalSet: ImageSet, evalImages: number, evalBatch: number): Omit<ChildEval, 'step'> {
  const started = performance.now();
  const accuracy = new Array<number>(SUBSPACE_SIZE).fill(NaN);
  const bnNas = new Array<number>(SUBSPACE_SIZE).fill(NaN);
  const n = Math.min(evalImages, evalSet.size);
  const batches: Array<{ x: tf.Tensor4D; labels: Int32Array }> = [];
  for (let start = 0; start < n; start += evalBatch) {
    const b = normalizeBatch(evalSet, Array.from({ length: Math.min(evalBatch, n - start) }, (_, i) => start + i));
    batches.push({ x: tf.tensor4d(b.x, [b.n, b.height, b.width, b.channels]), labels: Int32Array.from(b.labels) });
  }
  try {
    const table = opGammaScores(liveGammas(supernet.params));
    for (const c of children) {
      let correct = 0;
      for (const { x, labels } of batches) {
        const pred = tf.tidy(() => supernet.apply(x, { path: childCell(c), training: true, updateRunningStats: false }).argMax(1));
        const p = pred.dataSync();
        pred.dispose();
        for (let i = 0; i < labels.length; i++) if (p[i] === labels[i]) correct++;
      }
      accuracy[c] = correct / n;
      bnNas[c] = bnNasScore(table, childCell(c));
    }
  } finally {
    for (const b of batches) b.x.dispose();
  }
  return { accuracy, bnNas, seconds: (performance.now() - started) / 1000 };
}

interface RunResult {
  label: string;
  evals: ChildEval[];
  stepSeconds: number[];
  resumedFrom: number | null;
}

/**
 * Trains one supernet over `children` in segments, evaluating them at each of `points` (cached in
 * <checkpoint>.eval.json by step, so a rerun or a resumed run re-evaluates nothing it has).
 */
export function trainAndEvaluate(
  label: string, supernetOptions: SupernetOptions, config: TrainConfig, children: readonly number[], points: readonly number[],
  images: ImageSet, evalSet: ImageSet, o: Pick<WeightSharingOptions, 'evalImages' | 'evalBatch'>, checkpointDir: string,
): RunResult {
  const kind = subspaceSupernetKind(children);
  const supernet = kind.build(supernetOptions);
  try {
    // only the evaluation settings, not the whole options object: other study settings (partial m, seeds) must not rename the run
    const identity = { ...(trainIdentity(supernet, images, config, null) as object), children, points, eval: { evalImages: o.evalImages, evalBatch: o.evalBatch } };
    const file = path.join(checkpointDir, `${label}-${identityHash(identity)}.ckpt`);
    const evalFile = `${file}.eval.json`;
    const cached = new Map<number, ChildEval>(existsSync(evalFile) ? (JSON.parse(readFileSync(evalFile, 'utf8')) as ChildEval[]).map((e) => [e.step, e]) : []);
    const base = { supernet, space: kind.space, images, config, checkpointFile: file, checkpointEvery: 1_000_000 };
    let result = trainSupernet({ ...base, stopAfterSteps: 0 });
    const resumedFrom = result.resumedFrom;
    const evals: ChildEval[] = [];
    for (const p of points) {
      if (!cached.has(p) && result.step < p) result = trainSupernet({ ...base, stopAfterSteps: p - result.step });
      if (!cached.has(p)) {
        if (result.step !== p) continue; // trained past it in a killed run before its evaluation was saved
        cached.set(p, { step: p, ...evaluateChildren(supernet, children, evalSet, o.evalImages, o.evalBatch) });
        writeFileAtomic(evalFile, JSON.stringify([...cached.values()]));
      }
      evals.push(cached.get(p)!);
    }
    return { label, evals, stepSeconds: result.log.stepSeconds, resumedFrom };
  } finally {
    supernet.dispose();
  }
}

export async function runWeightSharingExperiment(ctx: ExperimentContext, opts: Partial<WeightSharingOptions> = {}): Promise<ExperimentOutput> {
  const o: WeightSharingOptions = { ...WEIGHT_SHARING_DEFAULTS, ...opts };
  const dir = 'weight-sharing';
  const outDir = path.join(ctx.outDir, dir);
  const title = '## Weight-sharing variance (Zhang et al. 2020) on a 64-child NB201 subspace';
  const why = unavailable(ctx);
  if (why !== undefined) {
    writeFileAtomic(path.join(outDir, 'README.md'), `${title}\n\n${why}\n`);
    return { name: 'nb201-weight-sharing', markdown: `${title}\n\n${why}\n`, files: [`${dir}/README.md`] };
  }
  const started = performance.now();
  const backendInfo = await initBackend(ctx.backend);
  const backend = `${backendInfo.name} ${backendInfo.version}`;
  const truthCol = groundTruth(ctx.store, BN_NAS_TRUTH) as { label: string; values: Float64Array };
  const children = allChildren();
  const truth = valuesAt(truthCol.values, children.map(childIndex));
  const images = loadImageSet(ctx.dataDir, 'cifar10', 'train');
  const evalSet = loadImageSet(ctx.dataDir, 'cifar10', 'test');
  const checkpointDir = o.checkpointDir ?? path.join(ctx.cacheDir, 'supernets');
  const points = evalSteps(o.steps, o.curvePoints, o.lastPoints, o.lastStride);
  const supernetOf = (seed: number): SupernetOptions => ({ C: o.C, N: o.N, numClasses: images.numClasses, bn: 'standard', fair: false, seed });
  const scale = `C=${o.C}, N=${o.N} (NB201: C=16, N=5); ${o.steps} steps at batch ${o.batchSize} on ${images.size} CIFAR-10 training images; lr ${PAPER_OPTIMISER.lr} linear decay; accuracy on ${Math.min(o.evalImages, evalSet.size)} CIFAR-10 test images, train-mode BN`;

  // 1-4: full sharing, every seed and mode.
  const runs = new Map<TrainMode, RunResult[]>();
  for (const mode of o.modes) {
    const list: RunResult[] = [];
    for (let seed = 0; seed < o.seeds; seed++) {
      const config = resolveTrainConfig({ mode, steps: o.steps, batchSize: o.batchSize, seed });
      list.push(trainAndEvaluate(`ws-${mode}-s${seed}`, supernetOf(seed), config, children, points, images, evalSet, o, checkpointDir));
    }
    runs.set(mode, list);
  }
  const finalOf = (r: RunResult) => r.evals[r.evals.length - 1]!;

  const publishedOf = (method: string, metric: string) => ctx.published.find({ paper: PAPER, benchmark: 'darts-like-64', dataset: 'cifar10', method, metric })[0];
  const summaryHeader = ['metric', 'mode', 'ranking', 'ours_mean', 'ours_std', 'n', 'published', 'published_std', 'notes'];
  const summaryRows: string[][] = [];
  const add = (metric: string, mode: string, ranking: string, s: TauSummary, pub: { value: number; std: number | null } | undefined, note: string) =>
    summaryRows.push([metric, mode, ranking, csvNumber(s.mean, 4), csvNumber(s.std, 4), String(s.n), pub ? csvNumber(pub.value, 4) : 'n/a', pub?.std != null ? csvNumber(pub.std, 4) : '', `${SPACE_NOTE}; ${scale}; ${note}`]);
  const lastRows: string[][] = [];
  const curveRows: string[][] = [];
  for (const [mode, list] of runs) {
    const acc = list.map((r) => finalOf(r).accuracy);
    const bn = list.map((r) => finalOf(r).bnNas);
    const pubS = publishedOf('single-path supernet', 's_tau');
    const pubG = publishedOf('single-path supernet', 'gt_tau');
    if (list.length >= 2) add('s_tau', mode, 'supernet accuracy', sTau(acc), pubS, `mean pairwise tau over ${list.length} seeds (std over pairs)`);
    add('gt_tau', mode, 'supernet accuracy', gtTau(acc, truth), pubG, `std over ${list.length} seeds`);
    add('top1_rank', mode, 'supernet accuracy', top1RankSummary(acc, truth), undefined, 'ground-truth rank (1 = best of 64) of the supernet\'s top child; the paper prints no single number');
    if (list.length >= 2) add('s_tau', mode, 'bn-nas indicator', sTau(bn), undefined, 'neither paper measured it');
    add('gt_tau', mode, 'bn-nas indicator', gtTau(bn, truth), undefined, 'BN-NAS indicator of the same supernets');
    add('top1_rank', mode, 'bn-nas indicator', top1RankSummary(bn, truth), undefined, '');
    // GT-Tau over the last points of each run.
    const lastTaus: number[] = [];
    for (const [seed, r] of list.entries()) {
      const last = r.evals.filter((e) => e.step >= o.steps - (o.lastPoints - 1) * o.lastStride);
      for (const e of last) lastTaus.push(kendall(e.accuracy, truth));
      const taus = r.evals.map((e) => kendall(e.accuracy, truth));
      const moves = [NaN, ...consecutiveTau(r.evals.map((e) => e.accuracy))];
      r.evals.forEach((e, i) => curveRows.push([mode, String(seed), String(e.step), csvNumber(taus[i]!, 4), csvNumber(moves[i]!, 4), csvNumber(kendall(e.bnNas, truth), 4), csvNumber(e.seconds, 2)]));
      lastRows.push([mode, String(seed), last.map((e) => String(e.step)).join(' '), ...minMax(last.map((e) => kendall(e.accuracy, truth)))]);
    }
    const f = lastTaus.filter(Number.isFinite);
    summaryRows.push(['gt_tau_last_points_range', mode, 'supernet accuracy', csvNumber(f.length ? Math.min(...f) : NaN, 4), csvNumber(f.length ? Math.max(...f) : NaN, 4), String(f.length), '0.1 to 0.7', '',
      `${SPACE_NOTE}; min and max (in the mean and std columns) of GT-Tau over the last ${o.lastPoints} evaluation points ${o.lastStride} steps apart, every seed; the paper: over its last 10 epochs`]);
  }

  // 5: partial sharing, standard mode (or the first mode run).
  const partialMode: TrainMode = o.modes.includes('standard') ? 'standard' : o.modes[0]!;
  const partialRows: string[][] = [];
  const partialSeeds = Math.min(o.partialSeeds, o.seeds);
  for (const grouping of o.groupings) {
    for (const m of o.partialM) {
      if (grouping === 'prefix' && 4 ** Math.round(Math.log(m) / Math.log(4)) !== m) continue;
      const perSeed: number[][] = [];
      let within = NaN;
      const stepsPerGroup = Math.max(1, Math.round(o.steps / m));
      for (let seed = 0; seed < partialSeeds; seed++) {
        if (m === 1) {
          perSeed.push(finalOf(runs.get(partialMode)![seed]!).accuracy);
          within = meanWithinGroupDistance([children]);
          continue;
        }
        const groups = groupsFor(grouping, m, seed);
        within = meanWithinGroupDistance(groups);
        const acc = new Array<number>(SUBSPACE_SIZE).fill(NaN);
        groups.forEach((g, gi) => {
          const config = resolveTrainConfig({ mode: partialMode, steps: stepsPerGroup, batchSize: o.batchSize, seed });
          const r = trainAndEvaluate(`ws-part-${partialMode}-${grouping}-m${m}-g${gi}-s${seed}`, supernetOf(seed), config, g, [stepsPerGroup], images, evalSet, o, checkpointDir);
          for (const c of g) acc[c] = finalOf(r).accuracy[c]!;
        });
        perSeed.push(acc);
      }
      const gt = gtTau(perSeed, truth);
      const st = perSeed.length >= 2 ? sTau(perSeed) : { mean: NaN, std: NaN, n: 0, values: [] };
      partialRows.push([grouping, String(m), String(stepsPerGroup), csvNumber(gt.mean, 4), csvNumber(gt.std, 4), String(gt.n), csvNumber(st.mean, 4), csvNumber(st.std, 4), csvNumber(within, 3), `${SPACE_NOTE}; ${partialMode} mode; ${scale}`]);
    }
  }

  // Timing and the default's estimate.
  const allRuns = [...runs.values()].flat();
  const stepTimes = allRuns.flatMap((r) => r.stepSeconds);
  const medianStep = median(stepTimes);
  const evalPerChild = median(allRuns.flatMap((r) => r.evals.map((e) => e.seconds / SUBSPACE_SIZE)).filter((v) => v > 0));
  const estimate = (w: WeightSharingOptions, step: number, perChild: number) => {
    const pts = evalSteps(w.steps, w.curvePoints, w.lastPoints, w.lastStride).length;
    const full = w.seeds * w.modes.length * (w.steps * step + pts * SUBSPACE_SIZE * perChild);
    const partial = w.partialSeeds * w.groupings.length * w.partialM.filter((m) => m > 1).length * (w.steps * step + SUBSPACE_SIZE * perChild);
    return full + partial;
  };
  // Step and evaluation costs scale with the images: the default's eval set may differ from this run's.
  const perChildDefault = (evalPerChild * WEIGHT_SHARING_DEFAULTS.evalImages) / Math.min(o.evalImages, evalSet.size);
  const sameNet = o.C === WEIGHT_SHARING_DEFAULTS.C && o.N === WEIGHT_SHARING_DEFAULTS.N && o.batchSize === WEIGHT_SHARING_DEFAULTS.batchSize;
  const estimateText = sameNet
    ? `${(estimate(WEIGHT_SHARING_DEFAULTS, medianStep, perChildDefault) / 60).toFixed(0)} min for the default settings at this run's measured costs (median ${medianStep.toFixed(3)} s/step, ${evalPerChild.toFixed(3)} s per child evaluation on ${Math.min(o.evalImages, evalSet.size)} images)`
    : `not estimated (this run's supernet C=${o.C}, N=${o.N}, batch ${o.batchSize} differs from the default's)`;

  const files: string[] = [];
  const write = (name: string, rows: string[][]) => {
    writeFileAtomic(path.join(outDir, name), stringify(rows));
    files.push(`${dir}/${name}`);
  };
  write('summary.csv', [summaryHeader, ...summaryRows]);
  const partialHeader = ['grouping', 'm', 'steps_per_group', 'gt_tau_mean', 'gt_tau_std', 'seeds', 's_tau_mean', 's_tau_std', 'mean_within_group_distance', 'notes'];
  write('gt-tau-vs-m.csv', [partialHeader, ...partialRows]);
  write('ranking-curve.csv', [['mode', 'seed', 'step', 'gt_tau_accuracy', 'tau_vs_previous_point', 'gt_tau_bn_nas', 'eval_seconds'], ...curveRows]);
  write('last-points.csv', [['mode', 'seed', 'steps', 'gt_tau_min', 'gt_tau_max'], ...lastRows]);
  const scoreRows: string[][] = [];
  for (const [mode, list] of runs) for (const [seed, r] of list.entries()) for (const c of children) {
    scoreRows.push([mode, String(seed), String(c), String(childIndex(c)), childCell(c).slice(3).join('|'), csvNumber(finalOf(r).accuracy[c]!, 6), csvNumber(finalOf(r).bnNas[c]!, 6), csvNumber(truth[c]!, 4)]);
  }
  write('scores.csv', [['mode', 'seed', 'child', 'nb201_index', 'free_ops', 'supernet_accuracy', 'bn_nas', truthCol.label], ...scoreRows]);

  const wall = (performance.now() - started) / 1000;
  const pubRows = ctx.published.rows.filter((r) => r.paper === PAPER);
  const markdown = [
    title,
    '',
    `- **${SPACE_NOTE}.** Ground truth: ${truthCol.label} of the 64 children. Backend ${backend}. ${wall.toFixed(0)} s in all.`,
    `- Settings: ${o.seeds} seeds x modes ${o.modes.join(', ')}; ${scale}; evaluations at steps ${points.join(', ')}. Partial sharing: ${partialMode} mode, ${partialSeeds} seed(s), steps/m steps per group.`,
    `- Default-size estimate: ${estimateText}.`,
    '',
    '### Summary (ours beside the paper\'s, which is from its own space)',
    '',
    markdownTable(['metric', 'mode', 'ranking', 'ours (mean ± std)', 'published'], summaryRows.map((r) => [r[0]!, r[1]!, r[2]!, r[0] === 'gt_tau_last_points_range' ? `${r[3]} to ${r[4]} (n=${r[5]})` : `${r[3]} ± ${r[4]} (n=${r[5]})`, r[7] ? `${r[6]} ± ${r[7]}` : r[6]!])),
    '',
    `Published (${PAPER}, its own space): ${pubRows.map((r) => `${r.method} ${r.metric} ${r.value}${r.std !== null ? ` ± ${r.std}` : ''}`).join('; ')}. The paper also reports GT-Tau between 0.1 and 0.7 over the last 10 epochs and about 0.7 with similarity grouping for m >= 4.`,
    '',
    '### Partial sharing: GT-Tau against m (figure data: gt-tau-vs-m.csv)',
    '',
    markdownTable(partialHeader.slice(0, -1), partialRows.map((r) => r.slice(0, -1))),
    '',
    `Every row: ${SPACE_NOTE}.`,
    '',
    '### Files',
    '',
    '- summary.csv, gt-tau-vs-m.csv, ranking-curve.csv (GT-Tau and τ to the previous point along training), last-points.csv, scores.csv',
    '',
  ].join('\n');
  writeFileAtomic(path.join(outDir, 'README.md'), markdown);
  files.push(`${dir}/README.md`);
  return { name: 'nb201-weight-sharing', markdown, files };
}

function minMax(v: number[]): [string, string] {
  const f = v.filter(Number.isFinite);
  return f.length === 0 ? ['', ''] : [csvNumber(Math.min(...f), 4), csvNumber(Math.max(...f), 4)];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const program = reproduceCommand('nb201', 'weight-sharing variance study on a 64-child NB201 subspace: S-Tau, GT-Tau, partial sharing')
    .option('--seeds <n>', `supernet seeds per mode (default ${WEIGHT_SHARING_DEFAULTS.seeds})`)
    .option('--steps <n>', `training steps per supernet (default ${WEIGHT_SHARING_DEFAULTS.steps}; --full ${WEIGHT_SHARING_FULL.steps})`)
    .option('--eval-images <n>', `held-out images per child evaluation (default ${WEIGHT_SHARING_DEFAULTS.evalImages})`)
    .option('--partial-seeds <n>', `seeds of the partial-sharing runs (default ${WEIGHT_SHARING_DEFAULTS.partialSeeds})`)
    .option('--partial-m <list>', 'group counts m (default 1,2,4,8,16,32,64)')
    .option('--last-points <n>', 'evaluation points at the end of each run')
    .option('--curve-points <n>', 'evenly spaced evaluation points along each run')
    .option('--modes <list>', 'training modes (default standard,bn-only)')
    .option('--groupings <list>', 'partial-sharing groupings (default random,similarity,prefix)')
    .option('--full', 'C=16 N=5, 625 steps, 512 evaluation images, partial sharing on 10 seeds (days on a CPU)');
  type O = StandaloneOptions & { seeds?: string; evalImages?: string; partialSeeds?: string; partialM?: string; lastPoints?: string; curvePoints?: string; modes?: string; groupings?: string };
  await runReproduction<O>(program, async (opt) => {
    const { ctx } = await standaloneContext({ ...opt, full: false }, 1);
    try {
      const base = opt.full ? WEIGHT_SHARING_FULL : WEIGHT_SHARING_DEFAULTS;
      const partialM = opt.partialM?.split(',').map(Number);
      const out = await runWeightSharingExperiment(ctx, {
        ...base,
        seeds: positiveInt(opt.seeds, '--seeds') ?? base.seeds,
        steps: positiveInt(opt.steps, '--steps') ?? base.steps,
        evalImages: positiveInt(opt.evalImages, '--eval-images') ?? base.evalImages,
        partialSeeds: positiveInt(opt.partialSeeds, '--partial-seeds') ?? base.partialSeeds,
        lastPoints: positiveInt(opt.lastPoints, '--last-points') ?? base.lastPoints,
        curvePoints: positiveInt(opt.curvePoints, '--curve-points') ?? base.curvePoints,
        ...(partialM ? { partialM } : {}),
        ...(opt.modes ? { modes: opt.modes.split(',') as TrainMode[] } : {}),
        ...(opt.groupings ? { groupings: opt.groupings.split(',') as Grouping[] } : {}),
      });
      return out.markdown;
    } finally {
      ctx.store.close();
    }
  });
}
