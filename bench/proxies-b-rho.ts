/**
 * Small-sample check of issue 11's group B proxies (swap, reg_swap, te_nas, az_nas) through the
 * correlation runner: Spearman ρ and Kendall τ against NB201 CIFAR-10 validation accuracy
 * (cifar10-valid x-valid, 200 epochs) and test accuracy (cifar10 ori-test), parts in their own
 * rows, combined scores for te_nas and az_nas. A rough check on a few cells, not the papers'
 * protocol (the experiments do that); prints one line per row.
 *   CELLS=30 PLANS='[{"proxy":"te_nas","cells":16},{"proxy":"az_nas","cells":20}]' \
 *     node --import tsx bench/proxies-b-rho.ts DATA STORE_DIR CACHE_DIR OUT_DIR
 * CELLS: the seeded sample (seed 0) whose first `cells` each plan scores; PLANS: ProxyPlan JSON
 * (settings such as {"repeats": 8} for swap are allowed; they are in the cache key).
 */
import path from 'node:path';
import { nb201ExperimentContext } from '../src/pipeline/context.ts';
import { runCorrelationSpec, type ProxyPlan } from '../src/pipeline/correlation-runner.ts';
import { openBenchmarkStore } from '../src/pipeline/data-sources.ts';
import { PublishedTable } from '../src/report/published.ts';

const [data, storeDir, cacheDir, outDir] = process.argv.slice(2);
if (!data || !storeDir || !cacheDir || !outDir) throw new Error('usage: proxies-b-rho.ts DATA STORE_DIR CACHE_DIR OUT_DIR (env CELLS, PLANS)');
const n = Number(process.env.CELLS ?? 30);
const proxies = JSON.parse(process.env.PLANS ?? '[{"proxy":"swap"},{"proxy":"reg_swap"},{"proxy":"te_nas"},{"proxy":"az_nas"}]') as ProxyPlan[];
const opened = await openBenchmarkStore({ benchmark: 'nb201', data, storeDir });
const ctx = nb201ExperimentContext({
  dataDir: data,
  store: opened.store,
  published: PublishedTable.load(path.join('reference', 'published.csv')),
  selection: { kind: 'sample', size: n, seed: 0 },
  cacheDir,
  outDir,
  workers: 1,
});
const r = await runCorrelationSpec(
  {
    experiment: 'proxies-b-rho',
    title: 'Group B proxies, small sample',
    paper: 'none',
    space: 'nb201',
    description: [],
    differences: [],
    datasets: [
      {
        images: 'cifar10',
        reportName: 'cifar10',
        truths: [{ query: { dataset: 'cifar10-valid', split: 'x-valid', epochs: 200 } }, { query: { dataset: 'cifar10', split: 'ori-test', epochs: 200 } }],
      },
    ],
    proxies,
    metrics: [{ metric: 'spearman' }, { metric: 'kendall_tau' }],
  },
  ctx,
);
for (const e of r.entries) {
  const ci = e.ci ? `[${e.ci.low.toFixed(2)}, ${e.ci.high.toFixed(2)}]` : '';
  process.stdout.write(`${[e.method, e.groundTruth, e.metric, e.result.value.toFixed(3), `n=${e.result.n}`, ci].join('\t')}\n`);
}
process.stdout.write(`${r.markdown.split('\n').filter((l) => l.startsWith('- cifar10')).join('\n')}\n`);
