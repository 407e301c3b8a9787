import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { axisScale, writeFigures } from '../../src/report/figures.ts';
import { htmlReport, markdownToHtml } from '../../src/report/html-report.ts';
import { correlate } from '../../src/stats/correlate.ts';

const TRUTH = 'cifar10-valid x-valid 200ep (nb201-v1_0: nb201-accuracies.csv)';

describe('figures and the report page', () => {
  it('chooses a log axis only where the scores span decades', () => {
    expect(axisScale([1, 10, 1000])).toBe('log');
    expect(axisScale([1200, 1500, 1650])).toBe('linear');
    expect(axisScale([-1e4, -1, 3, 5e3])).toBe('symlog');
    expect(axisScale([-2, 1, 3])).toBe('linear');
    expect(axisScale([NaN, 5])).toBe('linear');
  });

  it('draws the scatters (τ, ρ, n in the title), heatmap, search curve, conv shares and chosen ops as SVG and PNG, and inlines them in a self-contained page', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nasrepro-fig-'));
    mkdirSync(path.join(dir, 'zc'));
    const acc = [80, 85, 70, 90, 88, 60];
    const synflow = [1e2, 1e4, 1e1, 1e6, 1e5, 'error'];
    const snip = [3, 2, 1, 6, 5, 0.5];
    writeFileSync(path.join(dir, 'zc', 'correlation.csv'), 'paper,method\n');
    writeFileSync(path.join(dir, 'zc', 'scores-cifar10.csv'), [`index,synflow,snip,"${TRUTH}"`, ...acc.map((a, i) => `${i},${synflow[i]},${snip[i]},${a}`)].join('\n'));
    mkdirSync(path.join(dir, 'naswot'));
    writeFileSync(path.join(dir, 'naswot', 'search.csv'), ['method,benchmark,dataset,split,runs,ours_mean,ours_std', 'random-N1,nb201,cifar10,x-valid,500,85,5', 'naswot-search-N10,nb201,cifar10,x-valid,500,89,1', 'optimal-N10,nb201,cifar10,x-valid,500,90,0.5', 'naswot-search-N100,nb201,cifar10,x-valid,500,89.5,0.8', 'optimal-N100,nb201,cifar10,x-valid,500,91,0.2'].join('\n'));
    mkdirSync(path.join(dir, 'bn-nas'));
    writeFileSync(path.join(dir, 'bn-nas', 'conv-share.csv'), ['indicator,k,conv_share_indicator_topk,conv_share_true_topk,conv_share_all_cells,n', 'bn-nas (bn-only supernet),5,0.9,0.7,0.4,100'].join('\n'));
    mkdirSync(path.join(dir, 'freedarts'));
    writeFileSync(path.join(dir, 'freedarts', 'table.csv'), ['kind,seed,alpha_init,variant,arch', 'search,0,ones,iterative,|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|nor_conv_3x3~0|none~1|avg_pool_3x3~2|'].join('\n'));

    const figures = await writeFigures(dir);
    expect(figures.map((f) => f.name).sort()).toEqual(['bn-nas/conv-share', 'freedarts/chosen-ops', 'naswot/search-curve', 'zc/rank-heatmap-cifar10', 'zc/scatter-snip-cifar10', 'zc/scatter-synflow-cifar10']);
    for (const f of figures) {
      expect(readFileSync(path.join(dir, `${f.name}.svg`), 'utf8')).toMatch(/^<svg/);
      expect(readFileSync(path.join(dir, `${f.name}.png`)).subarray(1, 4).toString()).toBe('PNG');
    }
    // synflow: the failed cell left out, n = 5, τ as the statistics compute it, on a log axis
    const tau = correlate('kendall_tau', synflow.slice(0, 5) as number[], acc.slice(0, 5)).value;
    const svg = figures.find((f) => f.name === 'zc/scatter-synflow-cifar10')!.svg;
    expect(svg).toContain(`synflow on cifar10: τ = ${tau.toFixed(3)}`);
    expect(svg).toContain('n = 5');
    expect(svg).toContain('(log axis)');
    expect(figures.find((f) => f.name === 'zc/scatter-snip-cifar10')!.svg).not.toContain('log axis');

    const html = htmlReport({ title: 'T', header: '# T\n\nGenerated now.\n- source a', sections: [{ experiment: 'zc', markdown: '## Zero-cost\n\n| method | ours | published |\n|---|---:|---:|\n| a\\|b | 0.5 | 0.6 |' }], figures });
    expect(html).toContain('<td>a|b</td>');
    expect((html.match(/<svg/g) ?? []).length).toBe(figures.length);
    expect(html).not.toMatch(/(src|href)="(https?:|file:|\.\.?\/)/);
    expect(existsSync(path.join(dir, 'REPORT.html'))).toBe(false);
    expect(markdownToHtml('- `x` and **y**')).toBe('<ul><li><code>x</code> and <strong>y</strong></li></ul>');
  }, 120_000);

  it("draws the weight-sharing study's ranking curve and GT-Tau against m from its CSVs", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nasrepro-figs-ws-'));
    mkdirSync(path.join(dir, 'weight-sharing'));
    writeFileSync(
      path.join(dir, 'weight-sharing', 'ranking-curve.csv'),
      'mode,seed,step,gt_tau_accuracy,tau_vs_previous_point,gt_tau_bn_nas,eval_seconds\nstandard,0,40,0.25,NaN,0.5,1\nstandard,0,80,0.375,0.6,0.5,1\n',
    );
    writeFileSync(path.join(dir, 'weight-sharing', 'gt-tau-vs-m.csv'), 'grouping,m,steps_per_group,gt_tau_mean,gt_tau_std,seeds\nrandom,1,80,0.1,0.05,2\nrandom,4,20,0.2,0.05,2\nsimilarity,4,20,0.3,NaN,1\n');
    const figs = await writeFigures(dir);
    expect(figs.map((f) => f.name).sort()).toEqual(['weight-sharing/gt-tau-vs-m', 'weight-sharing/ranking-curve']);
    for (const f of figs) {
      expect(existsSync(path.join(dir, `${f.name}.png`))).toBe(true);
      expect(f.svg).toMatch(/^<svg/);
    }
    expect(figs.find((f) => f.name.endsWith('gt-tau-vs-m'))!.svg).toContain('groups m');
  });
});
