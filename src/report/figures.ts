/**
 * The figures of a results directory, drawn from the CSVs the experiments wrote (so a figure
 * shows exactly what the tables say, and can be redrawn without rescoring):
 *
 * - per correlation table (a folder with correlation.csv and scores-<dataset>.csv, as both runners
 *   write them: src/pipeline/experiment-output.ts): a score-vs-accuracy scatter per proxy or
 *   indicator and dataset (against the first ground truth the scores file has, the paper's; τ, ρ
 *   and n in the title, computed from the plotted points), and a column-by-column Kendall τ
 *   heatmap (the accuracy columns included, so a row also shows its correlation with each truth);
 * - naswot/search.csv: the NASWOT search curve, accuracy against N with a ±std band, the optimal
 *   baseline, and random (N = 1) as a horizontal line with its band;
 * - bn-nas/conv-share.csv: the share of convolutions among the top-k cells by each indicator
 *   against the truth's top-k and the whole pool;
 * - freedarts/table.csv: how often each search chose each operation on each edge, per variant.
 *
 * Drawn declaratively: a Vega-Lite spec, compiled to Vega, rendered to SVG by a headless vega View
 * (renderer 'none', no browser, no canvas), rasterised to PNG by @resvg/resvg-js. Both files are
 * written beside the CSVs (<name>.svg, <name>.png).
 *
 * Choices the issue leaves open:
 * - Log axis: when every finite score is positive and max/min >= 100 ("spans decades"); when the
 *   scores have both signs and span >= 3 decades of magnitude, a symlog axis; otherwise linear.
 * - Non-finite scores (singular NASWOT kernels, failed cells) are left out of the scatter, as
 *   the statistics leave them out; the title's n counts what is plotted.
 * - Fonts: resvg uses the system fonts (DejaVu Sans on Debian); the specs name sans-serif.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { parse } from 'csv-parse/sync';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { correlate } from '../stats/correlate.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';

type Row = Record<string, string>;

export interface Figure {
  /** Path relative to the results directory, without extension. */
  name: string;
  title: string;
  /** The experiment folder it belongs to (the report groups by it). */
  experiment: string;
  svg: string;
}

const FONT = 'DejaVu Sans, sans-serif';
const CONFIG = { font: FONT, view: { stroke: '#ccc' }, axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelLimit: 320 }, title: { fontSize: 13 } };

/** Vega-Lite spec -> SVG text (headless vega View). */
export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  const compiled = vl.compile({ config: CONFIG, background: 'white', ...spec } as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** SVG -> PNG at twice the SVG's size (crisp on high-density screens). */
export function svgToPng(svg: string): Buffer {
  const png = new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: 'white' }).render();
  return png.asPng();
}

function readCsv(file: string): Row[] {
  return parse(readFileSync(file), { columns: true, skip_empty_lines: true }) as Row[];
}

function num(s: string | undefined): number {
  if (s === undefined || s === '' || s === 'n/a' || s === 'error') return NaN;
  return Number(s);
}

/** 'log', 'symlog' or 'linear' for a proxy's finite scores (see the header). */
export function axisScale(values: readonly number[]): 'log' | 'symlog' | 'linear' {
  const v = values.filter(Number.isFinite);
  if (v.length < 2) return 'linear';
  const min = Math.min(...v);
  const max = Math.max(...v);
  if (min > 0) return max / min >= 100 ? 'log' : 'linear';
  const mags = v.map(Math.abs).filter((x) => x > 0);
  if (mags.length < 2 || max <= 0) return 'linear';
  return Math.max(...mags) / Math.min(...mags) >= 1000 ? 'symlog' : 'linear';
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(3) : 'n/a';
}

/** Proxy and truth columns of a scores-<dataset>.csv (src/pipeline/experiment-output.ts). */
function scoresColumns(rows: Row[], header: string[]): { proxies: string[]; truths: string[] } {
  const key = header[0]!;
  // Truth columns are the ground-truth labels: they name a split and epochs ('... 200ep (...)').
  const truths = header.filter((h) => / \d+ep\b/.test(h));
  const proxies = header.filter((h) => h !== key && h !== 'arch' && !truths.includes(h) && !h.includes('.') && rows.some((r) => r[h] !== ''));
  return { proxies, truths };
}

type Planned = Omit<Figure, 'svg'> & { spec: vl.TopLevelSpec };

async function correlationFigures(dir: string, experiment: string): Promise<Planned[]> {
  const out: Planned[] = [];
  // scores-<dataset>.csv (both runners), scores.csv (the weight-sharing study: CIFAR-10)
  const files = readdirSync(dir).filter((f) => /^scores(-.+)?\.csv$/.test(f)).sort();
  for (const f of files) {
    const dataset = f === 'scores.csv' ? 'cifar10' : f.slice('scores-'.length, -'.csv'.length);
    const text = readFileSync(path.join(dir, f), 'utf8');
    const header = (parse(text, { to_line: 1 }) as string[][])[0] ?? [];
    const rows = readCsv(path.join(dir, f));
    const { proxies, truths } = scoresColumns(rows, header);
    if (truths.length === 0) continue;
    const truth = truths[0]!;
    for (const proxy of proxies) {
      const points = rows.map((r) => ({ score: num(r[proxy]), accuracy: num(r[truth]), cell: r[header[0]!]! })).filter((p) => Number.isFinite(p.score) && Number.isFinite(p.accuracy));
      if (points.length < 2) continue;
      const x = Float64Array.from(points, (p) => p.score);
      const y = Float64Array.from(points, (p) => p.accuracy);
      const tau = correlate('kendall_tau', x, y).value;
      const rho = correlate('spearman', x, y).value;
      const scale = axisScale(points.map((p) => p.score));
      out.push({
        name: `${experiment}/scatter-${proxy.replace(/[^A-Za-z0-9_-]+/g, '_')}-${dataset}`,
        title: `${proxy} vs accuracy, ${dataset}`,
        experiment,
        spec: {
          title: { text: `${proxy} on ${dataset}: τ = ${fmt(tau)}, ρ = ${fmt(rho)}, n = ${points.length}`, subtitle: `y: ${truth}` },
          width: 360,
          height: 260,
          data: { values: points },
          mark: { type: 'point', filled: true, opacity: 0.6, size: 30 },
          encoding: {
            x: { field: 'score', type: 'quantitative', title: `${proxy} score${scale === 'linear' ? '' : ` (${scale} axis)`}`, scale: scale === 'linear' ? { zero: false } : { type: scale } },
            y: { field: 'accuracy', type: 'quantitative', title: 'accuracy (%)', scale: { zero: false } },
            tooltip: [{ field: 'cell' }, { field: 'score' }, { field: 'accuracy' }],
          },
        },
      });
    }
    // Proxy-by-proxy rank correlation, the truths as extra columns.
    const cols = [...proxies, ...truths];
    if (proxies.length >= 1) {
      const cells: { a: string; b: string; tau: number; label: string }[] = [];
      const values = new Map(cols.map((c) => [c, rows.map((r) => num(r[c]))]));
      for (const a of cols) {
        for (const b of cols) {
          const va = values.get(a)!;
          const vb = values.get(b)!;
          const keep = va.map((v, i) => (Number.isFinite(v) && Number.isFinite(vb[i]!) ? i : -1)).filter((i) => i >= 0);
          const t = keep.length >= 2 ? correlate('kendall_tau', keep.map((i) => va[i]!), keep.map((i) => vb[i]!)).value : NaN;
          cells.push({ a: short(a), b: short(b), tau: Number.isFinite(t) ? t : 0, label: Number.isFinite(t) ? t.toFixed(2) : 'n/a' });
        }
      }
      const order = cols.map(short);
      const side = Math.max(160, 42 * cols.length);
      out.push({
        name: `${experiment}/rank-heatmap-${dataset}`,
        title: `rank correlations, ${dataset}`,
        experiment,
        spec: {
          title: { text: `Kendall τ between proxies (and accuracy), ${dataset}`, subtitle: `over the cells both columns scored (${rows.length} cells)` },
          width: side,
          height: side,
          data: { values: cells },
          encoding: {
            x: { field: 'b', type: 'nominal', sort: order, title: null, axis: { labelAngle: -40, labelLimit: 320 } },
            y: { field: 'a', type: 'nominal', sort: order, title: null, axis: { labelLimit: 320 } },
          },
          layer: [
            { mark: 'rect', encoding: { color: { field: 'tau', type: 'quantitative', title: 'τ', scale: { domain: [-1, 1], scheme: 'redblue', reverse: true } } } },
            { mark: { type: 'text', fontSize: 10 }, encoding: { text: { field: 'label' }, color: { condition: { test: 'abs(datum.tau) > 0.6', value: 'white' }, value: 'black' } } },
          ],
        },
      });
    }
  }
  return out;
}

/** A ground-truth label without its provenance: 'x-valid 200ep (nb201-v1_0: f.csv)' -> 'accuracy: x-valid 200ep'. */
function short(col: string): string {
  return / \d+ep\b/.test(col) ? `acc: ${col.replace(/\s*\([^()]*\)\s*$/, '')}` : col;
}

function searchFigure(file: string, experiment: string): Planned | undefined {
  const rows = readCsv(file);
  const points: { method: string; panel: string; N: number; mean: number; low: number; high: number }[] = [];
  const randoms: { panel: string; mean: number; low: number; high: number }[] = [];
  for (const r of rows) {
    const panel = `${r.dataset} ${r.split}`;
    const mean = num(r.ours_mean);
    const std = num(r.ours_std);
    if (!Number.isFinite(mean)) continue;
    const m = /^(naswot-search|optimal)-N(\d+)$/.exec(r.method ?? '');
    if (m) points.push({ method: m[1] === 'optimal' ? 'optimal (best accuracy of the N)' : 'NASWOT (best score of the N)', panel, N: Number(m[2]), mean, low: mean - std, high: mean + std });
    else if (r.method === 'random-N1') randoms.push({ panel, mean, low: mean - std, high: mean + std });
  }
  if (points.length === 0) return undefined;
  const data = [...points.map((p) => ({ ...p, kind: 'curve' })), ...randoms.map((p) => ({ ...p, method: 'random (N = 1)', N: null, kind: 'random' }))];
  const color = { field: 'method', type: 'nominal' as const, title: null, scale: { domain: ['NASWOT (best score of the N)', 'optimal (best accuracy of the N)', 'random (N = 1)'], range: ['#1f77b4', '#2ca02c', '#7f7f7f'] } };
  return {
    name: `${experiment}/search-curve`,
    title: 'NASWOT search curve',
    experiment,
    spec: {
      title: { text: 'NASWOT search: accuracy of the chosen cell against N', subtitle: 'mean ± std over the runs; random = one cell drawn (band ± std)' },
      data: { values: data },
      facet: { field: 'panel', type: 'nominal', title: null },
      columns: 3,
      spec: {
        width: 260,
        height: 200,
        layer: [
          { transform: [{ filter: "datum.kind === 'random'" }], mark: { type: 'rect', opacity: 0.12, color: '#7f7f7f' }, encoding: { y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } } },
          { transform: [{ filter: "datum.kind === 'random'" }], mark: { type: 'rule', strokeDash: [4, 3] }, encoding: { y: { field: 'mean', type: 'quantitative' }, color } },
          { transform: [{ filter: "datum.kind === 'curve'" }], mark: { type: 'area', opacity: 0.18 }, encoding: { x: { field: 'N', type: 'quantitative', scale: { type: 'log' } }, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color } },
          {
            transform: [{ filter: "datum.kind === 'curve'" }],
            mark: { type: 'line', point: true },
            encoding: { x: { field: 'N', type: 'quantitative', title: 'N (cells drawn, log axis)', scale: { type: 'log' } }, y: { field: 'mean', type: 'quantitative', title: 'accuracy (%)', scale: { zero: false } }, color },
          },
        ],
      },
      resolve: { scale: { y: 'independent' } },
    } as vl.TopLevelSpec,
  };
}

function convShareFigure(file: string, experiment: string): Planned | undefined {
  const rows = readCsv(file);
  const data = rows.flatMap((r) => [
    { indicator: r.indicator, k: `top ${r.k}`, what: 'indicator top-k', share: num(r.conv_share_indicator_topk) },
    { indicator: r.indicator, k: `top ${r.k}`, what: 'true top-k', share: num(r.conv_share_true_topk) },
    { indicator: r.indicator, k: `top ${r.k}`, what: 'all cells', share: num(r.conv_share_all_cells) },
  ]).filter((d) => Number.isFinite(d.share));
  if (data.length === 0) return undefined;
  return {
    name: `${experiment}/conv-share`,
    title: `${experiment} conv share`,
    experiment,
    spec: {
      title: { text: `${experiment}: share of convolutions among the top-k cells`, subtitle: 'by each indicator, by the true accuracy, and over all scored cells' },
      data: { values: data },
      facet: { column: { field: 'k', type: 'nominal', title: null } },
      spec: {
        width: { step: 14 },
        height: 200,
        mark: 'bar',
        encoding: {
          x: { field: 'indicator', type: 'nominal', title: null, axis: { labelAngle: -35, labelLimit: 220 } },
          xOffset: { field: 'what', type: 'nominal', sort: ['indicator top-k', 'true top-k', 'all cells'] },
          y: { field: 'share', type: 'quantitative', title: 'conv share', scale: { domain: [0, 1] } },
          color: { field: 'what', type: 'nominal', title: null, sort: ['indicator top-k', 'true top-k', 'all cells'] },
        },
      },
    } as vl.TopLevelSpec,
  };
}

/** The NB201 edge order of an arch string '|op~0|+|op~0|op~1|+|op~0|op~1|op~2|'. */
const EDGES = ['1←0', '2←0', '2←1', '3←0', '3←1', '3←2'];

function freedartsFigure(file: string): Planned | undefined {
  const rows = readCsv(file).filter((r) => r.kind === 'search' && r.arch && r.arch !== 'n/a');
  const counts = new Map<string, { variant: string; edge: string; op: string; count: number }>();
  const searches = new Map<string, number>();
  for (const r of rows) {
    const ops = (r.arch ?? '').split('+').flatMap((node) => node.split('|').filter(Boolean).map((e) => e.split('~')[0]!));
    if (ops.length !== 6) continue;
    const variant = `${r.variant} (${r.alpha_init ?? r.alphaInit ?? ''})`.replace(' ()', '');
    searches.set(variant, (searches.get(variant) ?? 0) + 1);
    ops.forEach((op, i) => {
      const key = `${variant}|${i}|${op}`;
      const c = counts.get(key) ?? { variant, edge: EDGES[i]!, op, count: 0 };
      c.count++;
      counts.set(key, c);
    });
  }
  if (counts.size === 0) return undefined;
  const data = [...counts.values()].map((c) => ({ ...c, variant: `${c.variant}, ${searches.get(c.variant)} searches` }));
  return {
    name: 'freedarts/chosen-ops',
    title: 'FreeDARTS chosen operations',
    experiment: 'freedarts',
    spec: {
      title: { text: 'FreeDARTS / ZEROS: operation chosen on each edge', subtitle: 'count of searches that chose it' },
      data: { values: data },
      facet: { field: 'variant', type: 'nominal', title: null },
      columns: 3,
      spec: {
        width: 150,
        height: 130,
        encoding: {
          x: { field: 'edge', type: 'nominal', sort: EDGES, title: 'edge (to ← from)' },
          y: { field: 'op', type: 'nominal', sort: ['none', 'skip_connect', 'avg_pool_3x3', 'nor_conv_1x1', 'nor_conv_3x3'], title: null },
        },
        layer: [
          { mark: 'rect', encoding: { color: { field: 'count', type: 'quantitative', scale: { scheme: 'blues' } } } },
          { mark: { type: 'text', fontSize: 10 }, encoding: { text: { field: 'count' } } },
        ],
      },
    } as vl.TopLevelSpec,
  };
}

/** Weight-sharing study: GT-Tau of each run over its evaluation steps (the ranking-variance curve). */
function rankingCurveFigure(file: string, experiment: string): Planned | undefined {
  const data = readCsv(file)
    .map((r) => ({ run: `${r.mode} seed ${r.seed}`, mode: r.mode, step: num(r.step), gtTau: num(r.gt_tau_accuracy), bnNas: num(r.gt_tau_bn_nas) }))
    .flatMap((d) => [
      { run: d.run, indicator: 'supernet accuracy', step: d.step, tau: d.gtTau },
      { run: d.run, indicator: 'BN-NAS indicator', step: d.step, tau: d.bnNas },
    ])
    .filter((d) => Number.isFinite(d.step) && Number.isFinite(d.tau));
  if (data.length === 0) return undefined;
  return {
    name: `${experiment}/ranking-curve`,
    title: 'weight-sharing ranking over training',
    experiment,
    spec: {
      title: { text: 'GT-Tau of the 64 children over training, per run', subtitle: "Kendall τ against NB201's stand-alone accuracy; the space is not the paper's" },
      data: { values: data },
      facet: { column: { field: 'indicator', type: 'nominal', title: null } },
      spec: {
        width: 260,
        height: 180,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'training step' },
          y: { field: 'tau', type: 'quantitative', title: 'GT-Tau', scale: { domain: [-1, 1] } },
          color: { field: 'run', type: 'nominal', title: null },
        },
      },
    } as vl.TopLevelSpec,
  };
}

/** Weight-sharing study: GT-Tau against the number of sharing groups m, per grouping, ± std over seeds. */
function gtTauVsMFigure(file: string, experiment: string): Planned | undefined {
  const data = readCsv(file)
    .map((r) => ({ grouping: r.grouping, m: num(r.m), mean: num(r.gt_tau_mean), std: num(r.gt_tau_std) }))
    .filter((d) => Number.isFinite(d.m) && Number.isFinite(d.mean))
    .map((d) => ({ ...d, low: d.mean - (Number.isFinite(d.std) ? d.std : 0), high: d.mean + (Number.isFinite(d.std) ? d.std : 0) }));
  if (data.length === 0) return undefined;
  return {
    name: `${experiment}/gt-tau-vs-m`,
    title: 'GT-Tau against m',
    experiment,
    spec: {
      title: { text: 'Partial weight sharing: GT-Tau against the number of groups m', subtitle: 'mean ± std over seeds; the paper reports ~0.7 for similarity grouping with m ≥ 4 (its own space)' },
      data: { values: data },
      width: 320,
      height: 200,
      encoding: {
        // ticks at the m values that were run (a log axis over 1..4 otherwise labels 1.2, 1.6, ...)
        x: { field: 'm', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'groups m', axis: { values: [...new Set(data.map((d) => d.m))].sort((a, b) => a - b), format: 'd' } },
        color: { field: 'grouping', type: 'nominal', title: null },
      },
      layer: [
        { mark: { type: 'errorbar' }, encoding: { y: { field: 'low', type: 'quantitative', title: 'GT-Tau' }, y2: { field: 'high' } } },
        { mark: { type: 'line', point: true }, encoding: { y: { field: 'mean', type: 'quantitative', title: 'GT-Tau' } } },
      ],
    } as vl.TopLevelSpec,
  };
}

/**
 * Draws every figure the results directory has data for and writes <name>.svg and <name>.png
 * beside the CSVs; returns them (with the SVG text, for the report page).
 */
export async function writeFigures(resultsDir: string): Promise<Figure[]> {
  const planned: Planned[] = [];
  if (!existsSync(resultsDir)) return [];
  for (const e of readdirSync(resultsDir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isDirectory() || e.name === 'cache') continue;
    const dir = path.join(resultsDir, e.name);
    if (existsSync(path.join(dir, 'correlation.csv'))) planned.push(...(await correlationFigures(dir, e.name)));
    const extra = [
      existsSync(path.join(dir, 'search.csv')) ? searchFigure(path.join(dir, 'search.csv'), e.name) : undefined,
      existsSync(path.join(dir, 'conv-share.csv')) ? convShareFigure(path.join(dir, 'conv-share.csv'), e.name) : undefined,
      e.name === 'freedarts' && existsSync(path.join(dir, 'table.csv')) ? freedartsFigure(path.join(dir, 'table.csv')) : undefined,
      existsSync(path.join(dir, 'ranking-curve.csv')) ? rankingCurveFigure(path.join(dir, 'ranking-curve.csv'), e.name) : undefined,
      existsSync(path.join(dir, 'gt-tau-vs-m.csv')) ? gtTauVsMFigure(path.join(dir, 'gt-tau-vs-m.csv'), e.name) : undefined,
    ];
    for (const x of extra) if (x) planned.push(x);
  }
  const figures: Figure[] = [];
  for (const p of planned) {
    const svg = await renderSvg(p.spec);
    writeFileAtomic(path.join(resultsDir, `${p.name}.svg`), svg);
    writeFileAtomic(path.join(resultsDir, `${p.name}.png`), svgToPng(svg));
    figures.push({ name: p.name, title: p.title, experiment: p.experiment, svg });
  }
  return figures;
}
