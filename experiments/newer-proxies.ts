/**
 * The 2022–2024 proxies beside their published numbers, on ZiCo's protocol (Li et al., ICLR 2023,
 * Table 1): every cell of the space, Kendall τ and Spearman ρ against TEST accuracy (NB201 CIFAR-10
 * ori-test, CIFAR-100 / ImageNet16-120 x-test, 200 epochs; NB101 final test accuracy at 108 epochs).
 *
 * Proxies: zen and zico (ZiCo Table 1 prints both), meco (MeCo, NeurIPS 2023: one published ρ,
 * CIFAR-10), swap and reg_swap (SWAP, ICLR 2024: one published ρ for reg_swap, CIFAR-100), te_nas
 * (its parts: NTK condition number and linear regions; published only by a third party on NBSZ's
 * protocol, so shown for reference with that caveat), az_nas (its four parts and their combination;
 * one published τ / ρ, CIFAR-10, from the authors' notebook), and naswot as the common baseline.
 * Every proxy uses its reference's own settings (src/proxies/*.ts headers), initialisation seed 0,
 * batch seed 0.
 *
 * Where we differ, and why (the rows say so):
 * - Cells: ZiCo uses all cells; the default scores the first `cells` (100) of the run's seeded
 *   uniform sample, as a CPU allows; FULL=1 scores all 15,625 (NB101: every cell with ground
 *   truth in DATA: the shared data has no NB101 test accuracy, so NB101 rows use the validation
 *   accuracy of one run and say so).
 * - MeCo's and SWAP's abstracts do not state the ground truth or the population of their one
 *   number: their rows are compared on this table's test accuracy, and say so.
 * - te_nas's published values are on NBSZ's protocol (1,000 cells, validation accuracy): they are
 *   shown beside ours only in the NBSZ-protocol-free sense of "the same proxy", with a note.
 */
import { runCorrelationSpec, type CorrelationSpec, type DatasetPlan, type ProxyPlan } from '../src/pipeline/correlation-runner.ts';
import type { CorrelationContext } from '../src/pipeline/context.ts';
import { getProxy } from '../src/proxies/registry.ts';
import { nb101Cifar10, nb101CorrelationContext, type NB101ExperimentContext } from '../src/pipeline/nb101-context.ts';

export const NEWER_PROXIES = ['zen', 'zico', 'meco', 'swap', 'reg_swap', 'te_nas', 'az_nas', 'naswot'] as const;
export const DEFAULT_NEWER_CELLS = 60;
/** swap / reg_swap (32 re-initialisations), te_nas (a per-sample NTK) and az_nas cost ~5-10x naswot per cell: a prefix by default. */
export const HEAVY_NEWER_PROXIES: readonly string[] = ['swap', 'reg_swap', 'te_nas', 'az_nas'];
export const DEFAULT_HEAVY_NEWER_CELLS = 20;

/** ZiCo Table 1's NB201 ground truths: test accuracy after 200 epochs. */
export const ZICO_NB201_DATASETS: DatasetPlan[] = [
  { images: 'cifar10', reportName: 'cifar10', truths: [{ query: { dataset: 'cifar10', split: 'ori-test', epochs: 200 }, published: 'cifar10 ori-test 200ep' }] },
  { images: 'cifar100', reportName: 'cifar100', truths: [{ query: { dataset: 'cifar100', split: 'x-test', epochs: 200 }, published: 'x-test 200ep' }] },
  { images: 'ImageNet16-120', reportName: 'imagenet16-120', truths: [{ query: { dataset: 'ImageNet16-120', split: 'x-test', epochs: 200 }, published: 'x-test 200ep' }] },
];

/** Where each proxy's published value lives (published.csv), and the caveat its rows carry. */
function publishedOf(proxy: string, space: 'nb201' | 'nb101'): Pick<ProxyPlan, 'published' | 'notes'> {
  switch (proxy) {
    case 'zen':
    case 'zico':
      return { published: { paper: 'zico-iclr2023', table: 'table1' } };
    case 'meco':
      return {
        published: { paper: 'meco-neurips2023', table: 'abstract', groundTruth: { cifar10: 'test accuracy (abstract)' } },
        notes: ["MeCo's one published ρ (abstract) does not state its ground truth or cells"],
      };
    case 'reg_swap':
      return {
        published: { paper: 'swap-iclr2024', table: 'abstract', groundTruth: { cifar100: 'test accuracy (abstract)' } },
        notes: ["SWAP's one published ρ (abstract) does not state its ground truth or cells"],
      };
    case 'te_nas':
      return {
        published: {
          paper: 'lswag-cvpr2025',
          table: 'table1',
          groundTruth: space === 'nb201' ? { cifar10: 'cifar10-valid x-valid 200ep', 'cifar100': 'x-valid 200ep', 'imagenet16-120': 'x-valid 200ep' } : { cifar10: 'validation 108ep' },
        },
        notes: ["published value: a third party's re-run on NBSZ's protocol (1,000 cells, validation accuracy), not this table's"],
      };
    case 'az_nas':
      return { published: { paper: 'az-nas-cvpr2024', table: 'notebook' } };
    default:
      return { published: { paper: 'none' } };
  }
}

export function newerProxiesSpec(space: 'nb201' | 'nb101', datasets: readonly DatasetPlan[], opts: { cells?: number; heavyCells?: number; proxies?: readonly string[]; notes?: string[] } = {}): CorrelationSpec {
  const cells = opts.cells ?? DEFAULT_NEWER_CELLS;
  const heavyCells = Math.min(opts.heavyCells ?? DEFAULT_HEAVY_NEWER_CELLS, cells);
  const all = opts.proxies ?? NEWER_PROXIES;
  // a proxy whose definition does not cover the space is listed in the differences, not scored
  const names = all.filter((p) => getProxy(p).spaces.includes(space));
  const skipped = all.filter((p) => !names.includes(p));
  return {
    experiment: 'newer-proxies',
    title: `The 2022–2024 proxies on ${space.toUpperCase()} (ZiCo's protocol: all cells, test accuracy, τ and ρ)`,
    paper: 'zico-iclr2023',
    table: 'table1',
    space,
    description: [
      'zen, zico, meco, swap, reg_swap, te_nas (and its two parts), az_nas (its four parts and their rank combination) and naswot, each with its reference\'s settings, against test accuracy; Kendall τ and Spearman ρ, the published value beside where one exists.',
      'te_nas and az_nas combine their parts by ranks across the scored cells (their papers\' definition), so their combined score depends on the population; the parts are also correlated on their own.',
    ],
    differences: [
      `cells: ZiCo scores every cell; the default scores the first ${cells} of the run's seeded uniform sample (${HEAVY_NEWER_PROXIES.join(', ')}: the first ${heavyCells}); FULL=1 scores all`,
      ...(skipped.length > 0 ? [`not defined on ${space} (their definitions need NB201's cell structure): ${skipped.join(', ')}`] : []),
      ...(opts.notes ?? []),
    ],
    datasets,
    proxies: names.map((proxy) => ({ proxy, cells: HEAVY_NEWER_PROXIES.includes(proxy) ? heavyCells : cells, ...publishedOf(proxy, space) })),
    metrics: [{ metric: 'kendall_tau' }, { metric: 'spearman' }],
  };
}

export async function runNB201(ctx: CorrelationContext, opts: { cells?: number; heavyCells?: number } = {}): Promise<{ markdown: string; files: string[] }> {
  const r = await runCorrelationSpec(newerProxiesSpec('nb201', ZICO_NB201_DATASETS, opts), ctx);
  return { markdown: r.markdown, files: r.files };
}

export async function runNB101(base: NB101ExperimentContext, opts: { cells?: number; heavyCells?: number } = {}): Promise<{ markdown: string; files: string[] }> {
  const datasets = [nb101Cifar10('final test 108ep', 'validation (not test) accuracy of one training run: the shared NB101 data has no test accuracy')];
  const spec = newerProxiesSpec('nb101', datasets, { ...opts, notes: [`network: stem ${base.stemChannels} channels${base.stemChannels === 128 ? '' : ' (NB101: 128)'}`] });
  const r = await runCorrelationSpec(spec, nb101CorrelationContext(base));
  return { markdown: r.markdown, files: r.files };
}
