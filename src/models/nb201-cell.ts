/**
 * The NB201 cell as the network builder and the cost model take it: six op names in the
 * arch-string edge order. Parsing arch strings and other encodings is src/spaces/nb201.ts's job;
 * this file only fixes the order and validates names, so the models depend on nothing else.
 */

/** The five NB201 ops, spelled as in the official arch strings. */
export const NB201_OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'] as const;
export type NB201Op = (typeof NB201_OPS)[number];

/**
 * The six edges in arch-string order: `|a~0|+|b~0|c~1|+|d~0|e~1|f~2|` lists edges into node 1,
 * then node 2, then node 3, each by source node. This is also the order in which the reference
 * InferCell builds and runs its layers (`cells.k.layers.0..5`).
 */
export const NB201_EDGES: readonly { from: number; to: number }[] = [
  { from: 0, to: 1 },
  { from: 0, to: 2 },
  { from: 1, to: 2 },
  { from: 0, to: 3 },
  { from: 1, to: 3 },
  { from: 2, to: 3 },
];

/** Six op names, one per edge of NB201_EDGES. */
export type NB201Cell = readonly [NB201Op, NB201Op, NB201Op, NB201Op, NB201Op, NB201Op];

export function isNB201Op(name: string): name is NB201Op {
  return (NB201_OPS as readonly string[]).includes(name);
}

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
