/**
 * Fair-BN indicator, part 2 of 3: TRAINABILITY. A reconstruction: Zhu et al. (arXiv 2112.00265)
 * prove that a network whose BN parameters alone are trained evolves in the neural-tangent-kernel
 * regime, but do not publish the indicator's formula; this is our definition (see fair-bn.ts).
 *
 * Definition: the empirical NTK of the candidate's path restricted to the parameters BN-only
 * training moves, i.e. the γ/β of the BatchNorms of the ops on the path (θ_BN):
 *     Θ_ij = <∂f_i/∂θ_BN, ∂f_j/∂θ_BN>,   f_i = Σ_k logit_k(x_i)   (n x n, n images),
 * and  T = -log κ(Θ) = -log(λ_max / λ_min).
 *
 * Why: under gradient descent on θ_BN in the NTK regime, the training residual decays along Θ's
 * eigendirections at rates ∝ λ; a large condition number means some directions are learnt
 * orders of magnitude slower than others, i.e. poor trainability (Xiao et al. 2020; TE-NAS,
 * Chen et al. ICLR 2021, use the same κ over all parameters). Restricting Θ to θ_BN makes it the
 * kernel that actually governs a BN-only-trained supernet. f_i as the sum of the logits follows
 * TE-NAS. The forward pass is in train mode (BN on batch statistics, as during training), so the
 * gradient of f_i includes the path through the batch statistics, like PyTorch's; running
 * statistics are not updated.
 *
 * Cost: one forward and backward pass per image (tfjs has no per-sample gradients), so n is
 * small (8 by default in the experiments).
 *
 * Edge cases, exact rather than NaN: a path with no BN at all (all `none`, or only skip/pool
 * outside the fair space) has nothing BN-only training could move: T = -Infinity. A singular Θ
 * (λ_min <= 0 in float64, e.g. a path whose output does not depend on its BN parameters) also
 * gives T = -Infinity.
 * Non-finite input (a NaN/Inf image or gradient) makes Θ non-finite and its eigenvalues NaN: T is
 * then NaN, never -Infinity, so the cell is recorded and excluded rather than ranked as the worst.
 */
import * as tf from '@tensorflow/tfjs';
import type { NB201Op } from '../models/nb201-cell.ts';
import type { NetworkParam } from '../models/nb201-network.ts';
import type { NB201Supernet } from '../supernet/nb201-supernet.ts';
import type { PathForward } from '../supernet/supernet-space.ts';
import { edgeIndex } from './bn-nas.ts';
import { symmetricEigenvalues } from '../util/eigen.ts';

/** The γ/β of the BNs inside the path's ops (what BN-only training updates on this path), NB201. */
export function pathBnParams(supernet: NB201Supernet, path: readonly NB201Op[]): NetworkParam[] {
  return supernet.params.filter((p) => (p.kind === 'bn-gamma' || p.kind === 'bn-beta') && p.label !== undefined && path[edgeIndex(p.label)] === p.label.op);
}

export interface TrainabilityResult {
  /** -log κ(Θ); -Infinity when Θ is singular or there is no BN on the path; NaN for non-finite input. */
  value: number;
  /** Θ's eigenvalues, ascending (empty when there is no BN on the path). */
  eigenvalues: Float64Array;
}

/**
 * `params`: the path's candidate-op BN γ/β (pathBnParams for NB201, nb101PathBnParams for NB101).
 * A shared tensor the path uses only in part (NB101's channel slicing) contributes zero gradient
 * columns for the unused entries, which leave Θ unchanged.
 */
export function fairBnTrainability<P>(supernet: PathForward<P>, path: P, x: tf.Tensor4D, params: readonly { variable: tf.Variable }[]): TrainabilityResult {
  if (params.length === 0) return { value: -Infinity, eigenvalues: new Float64Array(0) };
  const n = x.shape[0];
  const variables = params.map((p) => p.variable);
  const width = variables.reduce((s, v) => s + v.size, 0);
  const J = new Float64Array(n * width);
  for (let i = 0; i < n; i++) {
    const { value, grads } = tf.variableGrads(() => {
      const logits = supernet.apply(x, { training: true, path, updateRunningStats: false });
      return tf.sum(tf.slice(logits, [i, 0], [1, -1])) as tf.Scalar;
    }, variables);
    let offset = i * width;
    for (const v of variables) {
      const g = grads[v.name];
      if (g) J.set(g.dataSync(), offset); // absent: not connected to the output, a zero row block
      offset += v.size;
    }
    value.dispose();
    tf.dispose(Object.values(grads));
  }
  const ntk = new Float64Array(n * n);
  for (let a = 0; a < n; a++)
    for (let b = a; b < n; b++) {
      let s = 0;
      for (let k = 0; k < width; k++) s += J[a * width + k]! * J[b * width + k]!;
      ntk[a * n + b] = s;
      ntk[b * n + a] = s;
    }
  const eigenvalues = symmetricEigenvalues(ntk, n).sort();
  const low = eigenvalues[0]!;
  const high = eigenvalues[n - 1]!;
  // NaN first: `NaN > 0` is false, so without this a NaN Θ would fall through to the exact -Infinity.
  if (eigenvalues.some(Number.isNaN)) return { value: NaN, eigenvalues };
  const value = low > 0 && high > 0 ? -Math.log(high / low) : -Infinity;
  return { value, eigenvalues };
}
