/**
 * NASWOT on NAS-Bench-101 (Mellor et al., ICML 2021, Figure 3: Kendall τ 0.285 over 1,000 cells).
 *
 * What is run: the NASWOT score (batch of 128 CIFAR-10 training images, train-mode BN) of NB101
 * cells, correlated with their accuracy.
 * Where we differ from the paper, and why (each also says so in the report rows):
 * - Ground truth: the validation accuracy of ONE training run at 108 epochs (the shared NB101
 *   data has no test accuracy); the paper used the final test accuracy. Per cell we take the
 *   official tfrecord's value ('nb101') where the store has it, else the CSV tables' ('nb101-csv')
 *   (src/pipeline/nb101-population.ts).
 * - Network: stem 16 channels by default (what the NASWOT code used, and ~25x cheaper on a CPU
 *   than the benchmark's 128); `--stem 128` gives the benchmark's network.
 * - Cells: those with ground truth and a known matrix: the 1,000 cells with matrices, plus, when
 *   the space store from `nasrepro nb101 enumerate` exists, every hash-only row joined to it.
 *   A seeded sample of 1,000 by default (the paper's count), all with FULL=1.
 *
 * The NB101 experiment context every NB101 experiment shares is src/pipeline/nb101-context.ts.
 */
import { runCorrelationSpec, type CorrelationSpec } from '../src/pipeline/correlation-runner.ts';
import { candidates, nb101Cifar10, nb101CorrelationContext, type NB101ExperimentContext } from '../src/pipeline/nb101-context.ts';

export function naswotNB101Spec(stemChannels: number): CorrelationSpec {
  return {
    experiment: 'naswot',
    title: 'NASWOT on NB101 (Mellor et al., ICML 2021, Figure 3)',
    paper: 'naswot-icml2021',
    table: 'fig3',
    space: 'nb101',
    description: [
      'The NASWOT score (log-determinant of the ReLU-code kernel; batch of 128 CIFAR-10 training images, train-mode BN) of NB101 cells, against their accuracy: Kendall τ (the paper\'s metric) and Spearman ρ.',
    ],
    differences: [
      'ground truth: the validation accuracy of one training run at 108 epochs (the tfrecord\'s where present, else the CSV tables\'); the paper used the final test accuracy',
      `network: stem ${stemChannels} channels${stemChannels === 128 ? ' (the benchmark\'s)' : ' (the benchmark\'s is 128; --stem 128)'}`,
    ],
    datasets: [nb101Cifar10('final test 108ep')],
    proxies: [{ proxy: 'naswot', notes: [`stem ${stemChannels} channels`] }],
    metrics: [{ metric: 'kendall_tau' }, { metric: 'spearman' }],
  };
}

export async function run(ctx: NB101ExperimentContext): Promise<{ markdown: string; files: string[] }> {
  // the candidates once: the join counts below and the runner's population
  const all = candidates(ctx);
  const r = await runCorrelationSpec(naswotNB101Spec(ctx.stemChannels), nb101CorrelationContext(ctx, all.cells));
  const join =
    `- Cells with ground truth and a matrix: ${all.cells.length} (${all.joined} hash-only rows joined to the enumerated space; ` +
    `${all.withoutMatrix} hash-only rows without a matrix${ctx.space ? ' not found in the space' : ': run `nasrepro nb101 enumerate` to join them'}).`;
  // the join line goes under the section's heading
  const [heading, ...rest] = r.markdown.split('\n');
  return { markdown: [heading, '', join, ...rest].join('\n'), files: r.files };
}
