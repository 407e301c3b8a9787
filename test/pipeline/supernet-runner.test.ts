import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { isConvOp, type NB201Op } from '../../src/models/nb201-cell.ts';
import { runSupernetSpec, type SupernetSpec } from '../../src/pipeline/supernet-runner.ts';
import { bnNasScoresAt } from '../../src/proxies/bn-nas.ts';
import { readCheckSide } from '../../src/report/check.ts';
import { writeFigures } from '../../src/report/figures.ts';
import { PublishedTable } from '../../src/report/published.ts';
import { archStringFromIndex, cellFromIndex } from '../../src/spaces/nb201-index.ts';
import { correlate } from '../../src/stats/correlate.ts';
import { NB201_SUPERNET, type NB201Supernet, type SupernetOptions } from '../../src/supernet/nb201-supernet.ts';
import { DATA_DIR, dataFile } from '../helpers/data.ts';

// The supernet runner on a toy spec: a C=2 supernet trained for 4 BN-only steps on the real
// CIFAR-10 images, one indicator read off its snapshots and one training-free fake indicator
// (the count of conv edges), eight cells with made-up accuracies.
const INDICES = [0, 11, 523, 1700, 4001, 8123, 12000, 15624];
const CELLS = INDICES.map((i) => cellFromIndex(i).ops);
const Y = Float64Array.from([70, 81, 64, 90, 77, 85, 60, 88]);
const TRUTH = 'toy accuracy 200ep';
const SUPERNET: SupernetOptions = { C: 2, N: 1, numClasses: 10, bn: 'standard', fair: false, seed: 0 };
const convEdges = (c: readonly NB201Op[]) => c.filter(isConvOp).length;

function toySpec(experiment: string, checkpointDir: string): SupernetSpec<readonly NB201Op[], NB201Supernet, SupernetOptions> {
  return {
    experiment,
    name: `toy-${experiment}`,
    title: 'Toy supernet table',
    paper: 'toy-paper',
    benchmark: 'nb201',
    kind: NB201_SUPERNET,
    images: 'cifar10',
    cells: {
      cells: CELLS,
      keys: [{ name: 'index', values: INDICES }, { name: 'arch', values: INDICES.map((i) => archStringFromIndex(i)) }],
      population: { id: 'nb201:list(8)', description: 'eight listed cells' },
      truth: { label: TRUTH, y: Y },
      convFraction: Float64Array.from(CELLS, (c) => convEdges(c) / 6),
    },
    trainings: [{ label: 'bn-only', mode: 'bn-only', supernet: SUPERNET, steps: 4, batchSize: 8, seed: 0, snapshots: 2 }],
    indicators: [
      { training: 'bn-only', row: { method: 'bn-nas (toy)', column: 'bn_nas' }, curve: true, scoreAt: (s, run, cells) => bnNasScoresAt(run.supernet.params, s, cells) },
      { rows: [{ method: 'conv edges (fake)', column: 'conv_edges', notes: ['a fake indicator'] }, { method: 'unused', column: 'minus_conv_edges', columnOnly: true }], score: (_run, cells) => ({ conv_edges: Float64Array.from(cells, convEdges), minus_conv_edges: Float64Array.from(cells, (c) => -convEdges(c)) }) },
    ],
    metrics: ['kendall_tau', 'spearman'],
    rowNotes: ['toy scale'],
    description: ['a toy'],
    differences: ['everything'],
    convShare: [0.25],
    checkpointDir,
  };
}

describe('supernet runner', () => {
  it('trains, scores, correlates, writes rows with their check identity, the scores file the figures are drawn from, and shares a checkpoint between specs', async () => {
    dataFile('cifar10');
    const tmp = mkdtempSync(path.join(tmpdir(), 'nasrepro-snr-'));
    const ctx = { dataDir: DATA_DIR, outDir: path.join(tmp, 'results'), published: PublishedTable.load(path.resolve('reference', 'published.csv')) };
    const ckpt = path.join(tmp, 'supernets');
    const run = await runSupernetSpec(toySpec('toy', ckpt), ctx);
    const read = (f: string) => parse(readFileSync(path.join(ctx.outDir, f)), { columns: true }) as Record<string, string>[];

    // rows: the measured ones (not the column-only diagnostic), identified as every table's rows
    const corr = read('toy/correlation.csv');
    expect(corr.map((r) => `${r.method}/${r.metric}`)).toEqual(['bn-nas (toy)/kendall_tau', 'conv edges (fake)/kendall_tau', 'bn-nas (toy)/spearman', 'conv edges (fake)/spearman']);
    const fake = corr.find((r) => r.method === 'conv edges (fake)' && r.metric === 'kendall_tau')!;
    expect([fake.paper, fake.benchmark, fake.dataset, fake.ground_truth, fake.cells]).toEqual(['toy-paper', 'nb201', 'cifar10', TRUTH, 'nb201:list(8)']);
    expect(Number(fake.ours)).toBeCloseTo(correlate('kendall_tau', Float64Array.from(CELLS, convEdges), Y).value, 5);
    expect(fake.notes).toBe('a fake indicator; toy scale');
    const checked = readCheckSide(path.join(ctx.outDir, 'toy'));
    expect(checked.find((r) => r.method === 'bn-nas (toy)' && r.metric === 'spearman')!.cells).toBe('nb201:list(8)');

    // the scores file: keys, every column, the truth; its bn-nas column is the row's value
    const scores = read('toy/scores-cifar10.csv');
    expect(Object.keys(scores[0]!)).toEqual(['index', 'arch', 'bn_nas', 'conv_edges', 'minus_conv_edges', TRUTH]);
    expect(scores.map((s) => Number(s.index))).toEqual(INDICES);
    const bn = corr.find((r) => r.method === 'bn-nas (toy)' && r.metric === 'kendall_tau')!;
    expect(Number(bn.ours)).toBeCloseTo(correlate('kendall_tau', scores.map((s) => Number(s.bn_nas)), Y).value, 5);
    expect(read('toy/curve.csv').map((r) => r.step)).toEqual(['0', '2', '4']);
    expect(read('toy/conv-share.csv').map((r) => r.indicator)).toEqual(['bn-nas (toy)', 'conv edges (fake)']);
    expect(run.files).toEqual(expect.arrayContaining(['toy/correlation.csv', 'toy/scores-cifar10.csv', 'toy/timing.csv', 'toy/README.md']));

    // the figures every table gets, drawn from those files
    const figures = (await writeFigures(ctx.outDir)).map((f) => f.name);
    expect(figures).toEqual(expect.arrayContaining(['toy/scatter-bn_nas-cifar10', 'toy/scatter-conv_edges-cifar10', 'toy/rank-heatmap-cifar10', 'toy/conv-share']));

    // another experiment declaring the same training reads the same checkpoint: nothing retrained
    await runSupernetSpec(toySpec('toy-2', ckpt), ctx);
    expect(readdirSync(ckpt).filter((f) => f.endsWith('.ckpt'))).toHaveLength(1);
    expect(read('toy-2/timing.csv')[0]!.resumed_from).toBe('4');
    expect(read('toy-2/scores-cifar10.csv').map((s) => s.bn_nas)).toEqual(scores.map((s) => s.bn_nas));
  }, 300_000);

  it('names a spec mistake before training, and writes rows saying why when the images are absent', async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'nasrepro-snr-'));
    const ctx = { dataDir: tmp, outDir: path.join(tmp, 'results'), published: PublishedTable.load(path.resolve('reference', 'published.csv')) };
    const bad = toySpec('bad', tmp);
    bad.trainings = [...bad.trainings, { ...bad.trainings[0]!, label: 'standard-x2', mode: 'standard', steps: { timeOf: 'missing', multiple: 2 } }];
    await expect(runSupernetSpec(bad, ctx)).rejects.toThrow(/training 'standard-x2' is a multiple of 'missing', which is not declared before it/);
    const out = await runSupernetSpec(toySpec('toy', tmp), ctx);
    expect(out.markdown).toMatch(/data not present: no cifar10 images/);
    const corr = parse(readFileSync(path.join(ctx.outDir, 'toy', 'correlation.csv')), { columns: true }) as Record<string, string>[];
    expect(corr).toHaveLength(4);
    for (const r of corr) expect(r.notes).toMatch(/data not present/);
  });
});
