/**
 * synflow (Tanaka et al., NeurIPS 2020) as the zero-cost reference computes it (`bn=False`):
 * - the network copy without BatchNorm (variant 'zero-cost-no-bn': NB201 without BN in the stem,
 *   the cells and before the classifier, the reduction blocks keep theirs; NB101 without any);
 * - every parameter replaced by its absolute value;
 * - input: one all-ones sample at the dataset's image size (32 CIFAR, 16 ImageNet16-120: the
 *   context's imageSize, so a data-free proxy still sees the dataset's resolution); R = Σ of the
 *   outputs; float64;
 * - score = Σ |w · ∂R/∂w| over every conv and linear weight (biases and BN parameters excluded).
 *
 * Float64 in float32: the values grow like the product of the layers' weight norms and deep cells
 * overflow float32. The context's |w| pass is log-scaled (src/executors/tfjs-scaled.ts): it
 * computes g(w) = R(w)/exp(S) with S a float64 constant, so ∂R/∂w = exp(S) ∂g/∂w and
 *   score = exp(S + ln Σ |w · ∂g/∂w|),
 * accurate to float32 relative precision (tested against a float64 evaluation). The score is the
 * reference's number itself: Infinity only where the reference's float64 would overflow too
 * (recorded, not hidden); `synflowLog` gives ln(score).
 *
 * What the reduction blocks' train-mode BN does with ONE all-ones sample: its batch statistics are
 * the mean and variance over the H×W positions of that single sample. All-ones input and positive
 * weights make every feature map constant except near the zero-padded borders, so the variance is
 * a border effect only, and BN subtracts a mean that makes about half of each map negative. BN is
 * scale-invariant, so the residual branch contributes O(1) to the block's output whatever the
 * scale before it, while the 1x1 shortcut carries that scale. eps matters where the border
 * variance is not much larger than 1e-5, which is why it is carried exactly.
 */
import type { ProxyContext, ProxyDefinition, ProxySettings } from './types.ts';

/** ln(score) and its parts: `logScale` S and `sum` = Σ |w · ∂g/∂w|; `log` is -Infinity for a zero score. */
export async function synflowLog(ctx: ProxyContext): Promise<{ log: number; logScale: number; sum: number }> {
  const { logScale, grads, absWeights } = await ctx.absWeightGradients();
  let sum = 0;
  for (const p of ctx.saliencyWeights) {
    const g = grads.get(p.name)!;
    const w = absWeights.get(p.name)!;
    for (let i = 0; i < g.length; i++) sum += Math.abs(w[i]! * g[i]!);
  }
  return { log: logScale + Math.log(sum), logScale, sum };
}

export const synflow: ProxyDefinition<ProxySettings> = {
  name: 'synflow',
  description: 'synflow: Σ |w·∂R/∂w| of the |w| network on an all-ones input (Tanaka et al. 2020), float64-exact via log-scale rescaling',
  reference: 'SamsungLabs/zero-cost-nas foresight/pruners/measures/synflow.py',
  version: 2,
  spaces: ['nb201', 'nb101'],
  network: 'zero-cost-no-bn',
  needs: { images: 'none', labels: false, gradients: 'first' },
  defaults: { batchSize: 1 },
  async score(ctx) {
    return Math.exp((await synflowLog(ctx)).log);
  },
};
