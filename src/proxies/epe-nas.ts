/**
 * epe_nas (EPE-NAS, Lopes et al., ICANN 2021): J = ∂(Σ of all outputs)/∂x for one labelled batch,
 * one flattened row per sample; per class c of the batch's labels, C_c = corrcoef of that class's
 * rows and s_c = Σ over the entries of C_c of log(|C_c| + 1e-5). With at most 100 classes,
 * score = Σ_c |s_c|; with more, s_c is divided by the class's row count and
 * score = Σ_c Σ_c' |s_c − s_c'| / (number of classes seen).
 *
 * References: VascoLopes/EPE-NAS search.py (`eval_score_perclass`); automl/NASLib
 * naslib/predictors/pruners/measures/epe_nas.py (the NBSZ numbers), which this follows:
 * - the Jacobian is jacob_cov's (the same gradient request, so scoring both costs one backward):
 *   train mode, the zero-cost reference's variant, batch 64, rows flattened NHWC (a permutation of
 *   the reference's NCHW columns, which a correlation does not see);
 * - "the number of classes" is the network's output count (`y.shape[-1]`), not the classes present;
 * - a class with a single sample: numpy's corrcoef of one row is the scalar 1 (s_c = log(1 + 1e-5))
 *   with ≤ 100 classes; with more, `len()` of that scalar raises inside the reference's try and the
 *   class is skipped, so it is skipped here;
 * - a constant row makes its correlations NaN and the score NaN, as numpy's (recorded, not ranked).
 */
import { corrcoef } from '../util/eigen.ts';
import type { ProxyDefinition, ProxySettings } from './types.ts';

/** EPE-NAS's eval_score_perclass on a Jacobian of n rows of d values and the rows' labels. */
export function epeNasScore(jacobian: ArrayLike<number>, labels: ArrayLike<number>, n: number, d: number, numClasses: number): number {
  const k = 1e-5;
  const rowsOf = new Map<number, number[]>();
  for (let i = 0; i < n; i++) rowsOf.set(labels[i]!, [...(rowsOf.get(labels[i]!) ?? []), i]);
  const perClass: number[] = [];
  for (const rows of rowsOf.values()) {
    if (numClasses > 100 && rows.length < 2) continue;
    const x = new Float64Array(rows.length * d);
    rows.forEach((r, j) => {
      for (let t = 0; t < d; t++) x[j * d + t] = jacobian[r * d + t]!;
    });
    const c = corrcoef(x, rows.length, d);
    let s = 0;
    for (const v of c) s += Math.log(Math.abs(v) + k);
    perClass.push(numClasses > 100 ? s / rows.length : s);
  }
  let score = 0;
  if (numClasses <= 100) {
    for (const s of perClass) score += Math.abs(s);
  } else {
    for (const a of perClass) for (const b of perClass) score += Math.abs(a - b);
    score /= perClass.length;
  }
  return score;
}

export const epeNas: ProxyDefinition<ProxySettings> = {
  name: 'epe_nas',
  description: 'epe_nas: Σ over classes of |Σ log(|corrcoef of input Jacobians| + 1e-5)| (EPE-NAS, Lopes et al. 2021)',
  reference: 'automl/NASLib naslib/predictors/pruners/measures/epe_nas.py (from VascoLopes/EPE-NAS search.py)',
  version: 1,
  spaces: ['nb201', 'nb101'],
  network: 'zero-cost',
  needs: { images: 'batch', labels: true, gradients: 'first' },
  defaults: { batchSize: 64 },
  async score(ctx) {
    // the same request as jacob_cov: one backward for both
    const { input } = await ctx.grads({ loss: 'sum-logits', input: true });
    const batch = ctx.batches[0]!;
    return epeNasScore(input!, batch.labels, batch.n, input!.length / batch.n, ctx.numClasses);
  },
};
