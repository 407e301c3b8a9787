/**
 * The 64-child subspace of NAS-Bench-201 used by the weight-sharing study (Zhang et al., "Deeper
 * Insights into Weight Sharing in NAS", 2020, whose own space also has 64 children).
 *
 * Our choice (the paper's space is not NB201's; every report row says so):
 * - FREE: the three edges into the output node, 0->3, 1->3, 2->3 (NB201_EDGES positions 3, 4, 5),
 *   each over four ops: nor_conv_3x3, nor_conv_1x1, avg_pool_3x3, skip_connect. 'none' is left
 *   out so that no child is disconnected or degenerate (a zero edge changes the cell's topology,
 *   not only its op, and NB201's worst cells are almost all 'none'-heavy: ranking them is easy and
 *   would inflate every tau).
 * - FIXED: the three edges feeding nodes 1 and 2 (0->1, 0->2, 1->2) are nor_conv_3x3, NB201's
 *   strongest op, so the intermediate nodes carry real features and the free edges decide how they
 *   are combined. With these fixed edges the 64 children's CIFAR-10 (cifar10-valid x-valid, 200
 *   epochs) accuracies span about 87.6-91.6 % and are all distinct: a narrow, hard ranking
 *   problem, like the paper's.
 * Child numbering: child c in 0..63 has free ops (d0, d1, d2) = base-4 digits of c, most
 * significant first, indexing SUBSPACE_OPS, on edges 0->3, 1->3, 2->3.
 */
import { NB201_EDGES, type NB201Op } from '../models/nb201-cell.ts';
import { streamFor } from '../models/rng.ts';
import { indexOfCell } from '../spaces/nb201-index.ts';
import type { NB201Cell } from '../models/nb201-cell.ts';
import { NB201_SUPERNET_SPACE, buildNB201Supernet, type NB201Supernet, type SupernetOptions } from './nb201-supernet.ts';
import type { SupernetKind, SupernetSpace } from './supernet-space.ts';

export const SUBSPACE_OPS: readonly NB201Op[] = Object.freeze(['nor_conv_3x3', 'nor_conv_1x1', 'avg_pool_3x3', 'skip_connect']);
/** Positions in NB201_EDGES of the free edges (0->3, 1->3, 2->3). */
export const SUBSPACE_FREE_EDGES: readonly number[] = Object.freeze([3, 4, 5]);
export const SUBSPACE_FIXED_OP: NB201Op = 'nor_conv_3x3';
export const SUBSPACE_SIZE = SUBSPACE_OPS.length ** SUBSPACE_FREE_EDGES.length; // 64

/** The free edges' op indices (into SUBSPACE_OPS) of child c. */
export function childDigits(child: number): number[] {
  if (!Number.isInteger(child) || child < 0 || child >= SUBSPACE_SIZE) throw new RangeError(`subspace child must be an integer in [0, ${SUBSPACE_SIZE}), got ${child}`);
  const k = SUBSPACE_OPS.length;
  return [Math.floor(child / (k * k)) % k, Math.floor(child / k) % k, child % k];
}

/** The NB201 cell of child c (six ops in NB201_EDGES order). */
export function childCell(child: number): NB201Cell {
  const digits = childDigits(child);
  const ops: NB201Op[] = NB201_EDGES.map(() => SUBSPACE_FIXED_OP);
  SUBSPACE_FREE_EDGES.forEach((e, i) => (ops[e] = SUBSPACE_OPS[digits[i]!]!));
  return ops as unknown as NB201Cell;
}

/** The NB201 index (row of the benchmark store) of child c: where its ground truth lives. */
export function childIndex(child: number): number {
  return indexOfCell({ ops: childCell(child) });
}

export function allChildren(): number[] {
  return Array.from({ length: SUBSPACE_SIZE }, (_, i) => i);
}

/** Hamming distance between two children's free-edge op strings (0..3): the similarity grouping's distance. */
export function childHamming(a: number, b: number): number {
  const da = childDigits(a);
  const db = childDigits(b);
  return da.reduce((n, d, i) => n + (d === db[i] ? 0 : 1), 0);
}

/**
 * The trainer's space restricted to `children` (all 64 by default): step t trains a child drawn
 * uniformly from the list, from the counter stream keyed (seed, t) like train-sampling.ts, so a
 * resumed run draws what an uninterrupted one would have. Which parameters are op parameters and
 * which a path uses is the NB201 supernet's rule.
 */
export function subspaceSupernetSpace(children: readonly number[] = allChildren()): SupernetSpace<readonly NB201Op[]> {
  if (children.length === 0) throw new RangeError('a subspace sampler needs at least one child');
  const cells = children.map(childCell);
  return Object.freeze({
    name: `nb201-subspace64[${children.length} children]`,
    samplePath: (seed: number, step: number) => {
      const rng = streamFor(seed, `subspace-path:${step}`);
      return cells[Math.floor(rng.uniform() * cells.length)]!;
    },
    isOpParam: NB201_SUPERNET_SPACE.isOpParam,
    onPath: NB201_SUPERNET_SPACE.onPath,
  });
}

/** Build + restricted space, for trainOrResume. */
export function subspaceSupernetKind(children: readonly number[] = allChildren()): SupernetKind<readonly NB201Op[], NB201Supernet, SupernetOptions> {
  return Object.freeze({ space: subspaceSupernetSpace(children), build: buildNB201Supernet });
}
