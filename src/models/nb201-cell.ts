/**
 * The NB201 cell as the network builder and the cost model take it: six op names in the
 * arch-string edge order (a plain tuple, so a worker can pass it as JSON). Parsing arch strings and
 * other encodings is src/spaces/nb201.ts's job.
 */

import { NB201_EDGES, NB201_OPS, isNB201Op, type NB201Op } from '../spaces/nb201.ts';

// The op names and the edge order are the space's (src/spaces/nb201.ts); re-exported so the
// models' callers need one import. NB201_EDGES is also the order in which the reference InferCell
// builds and runs its layers (`cells.k.layers.0..5`).
export { NB201_EDGES, NB201_OPS, isNB201Op, type NB201Op };

/** Six op names, one per edge of NB201_EDGES. */
export type NB201Cell = readonly [NB201Op, NB201Op, NB201Op, NB201Op, NB201Op, NB201Op];

/** Checks a cell given as an untyped array (e.g. from JSON) and returns it typed. */
export function asNB201Cell(ops: readonly string[]): NB201Cell {
  if (ops.length !== NB201_EDGES.length) {
    throw new RangeError(`an NB201 cell has ${NB201_EDGES.length} edges, got ${ops.length} ops`);
  }
  for (const op of ops) {
    if (!isNB201Op(op)) throw new RangeError(`unknown NB201 op '${op}' (known: ${NB201_OPS.join(', ')})`);
  }
  return ops as unknown as NB201Cell;
}

/** True for the ops that hold a ReLU -> conv -> BN. */
export function isConvOp(op: NB201Op): op is 'nor_conv_1x1' | 'nor_conv_3x3' {
  return op === 'nor_conv_1x1' || op === 'nor_conv_3x3';
}

export function convKernelSize(op: 'nor_conv_1x1' | 'nor_conv_3x3'): 1 | 3 {
  return op === 'nor_conv_1x1' ? 1 : 3;
}
