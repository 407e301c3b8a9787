/**
 * The gradient pass grad_norm, snip, fisher and grasp share (SamsungLabs/zero-cost-nas,
 * `find_measures`): one batch, the mean cross-entropy, the network in train mode; ∂L/∂W for the
 * conv and linear weights, and Σ over positions of a·∂L/∂a on every conv and linear output
 * (fisher). Every proxy of the group asks for exactly this request, so the context computes it
 * once per cell (the reference also scores every measure on the same initialised network and
 * batch, so sharing changes no number).
 */
import type { GradRequest } from './types.ts';

export const ZERO_COST_PASS: GradRequest = Object.freeze({ loss: 'cross-entropy', weights: true, layerOutputs: true });

/** Fan-in per output channel of a conv [kh, kw, in, out] or linear [in, out] weight. */
export function fanInPerOutput(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length - 1; i++) n *= shape[i]!;
  return n;
}
