/**
 * synflow (Tanaka et al., NeurIPS 2020) as the zero-cost reference computes it on NB201
 * (SamsungLabs/zero-cost-nas, measures/synflow.py, `bn=False`):
 * - the network copy without BatchNorm in the stem, the cells and before the classifier (our bn
 *   'none-in-cells'; the cell convs then carry a bias); the two reduction blocks keep their BNs;
 * - every parameter and buffer replaced by its absolute value (BN gammas 1 and betas 0 are
 *   unchanged; running statistics are unused in train mode);
 * - input: one all-ones sample at the dataset's image size; R = Σ of the outputs; float64;
 * - score = Σ |w · ∂R/∂w| over every conv and linear weight (biases and BN parameters excluded).
 *
 * Float64 in float32: the values grow like the product of the layers' weight norms and deep cells
 * overflow float32 (3.4e38). zcForward's `rescale` mode carries each activation as exp(s) · h̃
 * with s a float64 logarithm (exact re-expression of every op: ReLU/pool/conv are positively
 * homogeneous, a bias becomes b·exp(-s), BN's eps becomes eps·exp(-2s)); it computes
 * g(w) = R(w)/exp(S) with S a constant, so ∂R/∂w = exp(S) ∂g/∂w and
 *   score = exp(S + ln Σ |w · ∂g/∂w|),
 * accurate to float32 relative precision (tested against a float64 evaluation). The score is the
 * reference's number itself (a JS float64): Infinity only where the reference's float64 would
 * overflow too (then it is recorded, not hidden); `synflowLog` gives ln(score) for such cases.
 *
 * What the reduction blocks' train-mode BN does with ONE all-ones sample: its batch statistics are
 * the mean and variance over the H×W positions of that single sample. All-ones input and positive
 * weights make every feature map constant except near the zero-padded borders (and pooled border
 * effects), so the variance is a border effect only, and BN subtracts a mean that makes about half
 * of each map negative (the ReLU of conv_b then zeroes those). BN is scale-invariant, so the
 * residual branch conv_a -> conv_b contributes O(1) to the block's output whatever the scale
 * reached before it, while the 1x1 shortcut carries that scale: in deep/wide cells the branch's
 * weights get a synflow negligible next to the rest, and the scale of everything before the block
 * reaches R only through the shortcut. eps matters where the border variance is not much larger
 * than 1e-5 (small scales), which is why it is carried exactly. On a 1x1 map the variance would be 0
 * and the branch would output exactly beta = 0 (NB201's 32x32 / 16x16 inputs never reach 1x1).
 */
import type * as tf from '@tensorflow/tfjs';
import type { Network } from '../models/nb201-network.ts';
import type { ProxyDescriptor, ProxySettings } from './types.ts';
import { saliencyWeights } from './zero-cost-forward.ts';
import { forwardOf } from './zero-cost-stages.ts';
import type { CellNetwork } from '../models/network.ts';

export interface SynflowSettings extends ProxySettings {
  /** Image height = width when no batch is given (the reference takes it from the data: 32 CIFAR, 16 ImageNet16). */
  inputSize: number;
}

/**
 * ln(score) and its parts: `logScale` S and `sum` = Σ |w · ∂g/∂w| (float64), so
 * score = exp(S) · sum. `log` is -Infinity for a zero score.
 */
export function synflowLog(engine: typeof tf, network: CellNetwork, height: number, width: number): { log: number; logScale: number; sum: number } {
  const weights = saliencyWeights(network);
  const absParams = new Map<string, tf.Tensor>(network.params.map((p) => [p.name, engine.abs(p.variable)]));
  const weightTensors = weights.map((p) => absParams.get(p.name)!);
  const x = engine.ones([1, height, width, 3]) as tf.Tensor4D;
  let logScale = 0;
  try {
    const f = (...ws: tf.Tensor[]): tf.Scalar => {
      const sub = new Map<string, tf.Tensor>(absParams);
      weights.forEach((p, i) => sub.set(p.name, ws[i]!));
      const out = forwardOf(engine, network, x, (name) => sub.get(name)!, { rescale: true });
      logScale = out.logScale;
      return engine.sum(out.logits);
    };
    const grads = engine.tidy(() => engine.grads(f)(weightTensors));
    let sum = 0;
    weights.forEach((_p, i) => {
      sum += engine.tidy(() => engine.sum(engine.abs(engine.mul(weightTensors[i]!, grads[i]!))).dataSync()[0]!);
    });
    engine.dispose(grads);
    return { log: logScale + Math.log(sum), logScale, sum };
  } finally {
    x.dispose();
    engine.dispose([...absParams.values()]);
  }
}

export const synflow: ProxyDescriptor<SynflowSettings> = {
  name: 'synflow',
  description: 'synflow: Σ |w·∂R/∂w| of the |w| network on an all-ones input (Tanaka et al. 2020, as in SamsungLabs/zero-cost-nas), float64-exact via log-scale rescaling',
  spaces: ['nb201', 'nb101'],
  // NB101: the reference's get_prunable_copy(bn=False) drops every BN (nb101-network.ts, `bn`)
  nb101Network: { bn: false },
  needs: { images: false, labels: false, gradients: true },
  defaults: { batchSize: 1, inputSize: 32 },
  network: (numClasses) => ({ C: 16, N: 5, numClasses, bn: 'none-in-cells' }),
  score(network, batch, settings, engine) {
    const h = batch?.height ?? settings.inputSize;
    const w = batch?.width ?? settings.inputSize;
    return Math.exp(synflowLog(engine, network, h, w).log);
  },
};
