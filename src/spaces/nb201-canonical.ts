/**
 * Canonical form of an NB201 cell: a string key shared by exactly the cells that compute the same
 * function, so reports can be restricted to one representative per class.
 *
 * What "the same function" means here (the rule, exactly as implemented):
 *
 * 1. Dead parts are removed. A `none` edge outputs zero, so it contributes nothing. A node whose
 *    every incoming edge contributes nothing holds zero; an edge leaving such a node contributes
 *    nothing either (skip and pool of zero are zero; see the caveat below for convolutions). Only
 *    what the output node sums matters, so edges and nodes with no path to the output are ignored.
 *    In particular every cell whose output receives nothing (e.g. all three output edges `none`)
 *    gets the key `zero`.
 * 2. `skip_connect` is the identity, so it is not an operation: a node fed by skip from node i
 *    sums node i's terms directly. Sums are flattened: node j's value is a multiset of terms, each
 *    term either the cell input `x` or one op instance (a `nor_conv_1x1`, `nor_conv_3x3` or
 *    `avg_pool_3x3` edge) applied to the multiset-sum of its source node.
 * 3. Two cells are equivalent iff their op-instance graphs are isomorphic: there is a one-to-one
 *    map between their live op instances preserving each instance's op and its input multiset,
 *    and mapping the output multiset to the output multiset. This identifies cells that differ
 *    in the order of summed inputs (including swapping the two middle nodes when they are
 *    interchangeable) and in where a skip sits, but it keeps apart cells where one op instance
 *    feeds two places from cells where two separate instances do (they have different parameters
 *    and compute different function families, even though their expression trees print alike).
 *    Multiplicity counts: x + x (two skip paths) differs from x.
 *
 * Caveat (also NB201's own convention, `Structure.check_valid` / `to_unique_str`): a convolution
 * applied to an all-zero node is treated as zero. In the network it yields ReLU(0) -> conv -> BN,
 * i.e. BN's bias beta (zero at initialization, a learned constant after training). No algebraic
 * identities beyond these are used (e.g. pool of pool is not simplified).
 *
 * Counts over all 15,625 cells (asserted in test/spaces/nb201-canonical.test.ts):
 * - this rule (`canonicalNB201`): 5,425 classes.
 * - the zero-cost-proxy benchmark suite's 9,445 "non-isomorphic" cells are reproduced exactly by
 *   rule 1 alone (`prunedNB201Key`): dead edges set to `none`, nothing else identified. It is
 *   weaker than this rule in two ways: it does not treat skip as the identity, so "skip then
 *   conv" and "conv directly" stay apart, and it does not identify the two middle nodes when they
 *   are interchangeable (the order of summed inputs). Adding only the middle-node swap to it gives
 *   8,765. We found the number, not the suite's code: the rule is inferred from the exact match.
 * - NB201's own `Structure.to_unique_str(consider_zero=True)` (AutoDL-Projects genotypes.py),
 *   ported and counted by us, gives 6,466, the count of "non-isomorphic" NB201 cells used e.g. by
 *   walkerning/aw_nas. It prints each node as a sorted expression with skip = identity and
 *   none = '#'. It ignores sharing (so it merges more than this rule there), and it recognises a
 *   zero node only when its text is exactly '#': node 2 or 3 with all inputs zero prints '#+#',
 *   so convs leaving it are not dropped and '#' terms stay in sums (so it merges less there).
 */
import type { NB201Cell } from './nb201.ts';
import { NB201_EDGES, NB201_NUM_NODES, formatNB201, nb201Cell } from './nb201.ts';

/** An op instance: one live conv/pool edge. `input` lists term ids (-1 = x, k = instance k). */
interface OpInstance {
  op: string;
  input: number[];
}

/** Key of cells whose output is identically zero. */
export const NB201_ZERO_KEY = 'zero';

/**
 * Builds the op-instance graph: terms[j] = multiset of term ids summed at node j, where -1 is the
 * cell input x and k >= 0 is instances[k]. Returns the output's terms and all instances.
 */
function instanceGraph(cell: NB201Cell): { output: number[]; instances: OpInstance[] } {
  const instances: OpInstance[] = [];
  const terms: number[][] = [[-1]];
  for (let to = 1; to < NB201_NUM_NODES; to++) {
    const sum: number[] = [];
    NB201_EDGES.forEach((edge, k) => {
      if (edge.to !== to) return;
      const op = cell.ops[k]!;
      const source = terms[edge.from]!;
      if (op === 'none' || source.length === 0) return; // zero contribution (see caveat above)
      if (op === 'skip_connect') {
        sum.push(...source);
      } else {
        instances.push({ op, input: [...source].sort((a, b) => a - b) });
        sum.push(instances.length - 1);
      }
    });
    terms.push(sum);
  }
  return { output: terms[NB201_NUM_NODES - 1]!, instances };
}

/**
 * Canonical key of a cell under the rule in this file's header. The key is a readable text: live
 * instances listed as `op(inputs)` with inputs by position in the list (`x` = cell input), then
 * `out=` and the output's terms, e.g. `nor_conv_3x3(x);avg_pool_3x3(0)|out=x+1`.
 */
export function canonicalNB201(cell: NB201Cell): string {
  const { output, instances } = instanceGraph(cell);
  if (output.length === 0) return NB201_ZERO_KEY;

  // Keep only instances the output depends on (others are dead, rule 1).
  const live = new Set<number>();
  const visit = (t: number): void => {
    if (t < 0 || live.has(t)) return;
    live.add(t);
    instances[t]!.input.forEach(visit);
  };
  output.forEach(visit);

  // An isomorphism-invariant label per instance: its expression tree text. Instances with
  // different labels can never correspond, so only ties need trying in every order.
  const label = new Map<number, string>();
  const labelOf = (t: number): string => {
    if (t < 0) return 'x';
    const known = label.get(t);
    if (known !== undefined) return known;
    const inst = instances[t]!;
    const text = `${inst.op}(${inst.input.map(labelOf).sort().join('+')})`;
    label.set(t, text);
    return text;
  };
  const ids = [...live].sort((a, b) => (labelOf(a) < labelOf(b) ? -1 : labelOf(a) > labelOf(b) ? 1 : a - b));

  // Group equal labels; the key is the smallest encoding over every order within groups. Any
  // isomorphism maps each group onto the same group of the other cell, so two cells are
  // isomorphic iff their smallest encodings agree. Groups are tiny (at most a few instances).
  const groups: number[][] = [];
  for (const id of ids) {
    const last = groups[groups.length - 1];
    if (last && labelOf(last[0]!) === labelOf(id)) last.push(id);
    else groups.push([id]);
  }
  let best: string | undefined;
  for (const order of orderings(groups)) {
    const pos = new Map<number, number>(order.map((id, p) => [id, p]));
    const name = (t: number): string => (t < 0 ? 'x' : String(pos.get(t)!));
    const sumText = (ts: readonly number[]): string => ts.map(name).sort().join('+');
    const body = order.map((id) => `${instances[id]!.op}(${sumText(instances[id]!.input)})`).join(';');
    const key = `${body}|out=${sumText(output)}`;
    if (best === undefined || key < best) best = key;
  }
  return best!;
}

/** Every concatenation of the groups with each group in every order (groups are tiny). */
function* orderings(groups: readonly number[][]): Generator<number[]> {
  if (groups.length === 0) {
    yield [];
    return;
  }
  const [first, ...rest] = groups;
  for (const head of permutations(first!)) {
    for (const tail of orderings(rest)) yield [...head, ...tail];
  }
}

function* permutations(items: readonly number[]): Generator<number[]> {
  if (items.length <= 1) {
    yield [...items];
    return;
  }
  for (let i = 0; i < items.length; i++) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const p of permutations(rest)) yield [items[i]!, ...p];
  }
}

/**
 * The dead-parts-only key (rule 1 alone): the arch string with every dead edge replaced by `none`.
 * An edge is live iff its op is not `none`, its source is reachable from the input along non-`none`
 * edges, and its target reaches the output along non-`none` edges. 9,445 classes over NB201, the
 * zero-cost-proxy benchmark suite's "non-isomorphic" subset.
 */
export function prunedNB201Key(cell: NB201Cell): string {
  const n = NB201_NUM_NODES;
  const fromInput = Array.from({ length: n }, (_, j) => j === 0);
  const toOutput = Array.from({ length: n }, (_, j) => j === n - 1);
  // NB201_EDGES is ordered by target node, so one forward pass settles reachability from the
  // input; one backward pass settles reaching the output.
  NB201_EDGES.forEach((e, k) => {
    if (cell.ops[k] !== 'none' && fromInput[e.from]) fromInput[e.to] = true;
  });
  for (let k = NB201_EDGES.length - 1; k >= 0; k--) {
    const e = NB201_EDGES[k]!;
    if (cell.ops[k] !== 'none' && toOutput[e.to]) toOutput[e.from] = true;
  }
  const ops = cell.ops.map((op, k) => {
    const e = NB201_EDGES[k]!;
    return op !== 'none' && fromInput[e.from] && toOutput[e.to] ? op : 'none';
  });
  return formatNB201(nb201Cell(ops));
}

/**
 * Groups cells (given in index order, cells[i] = cell of index i) by a key (default: the
 * canonical key; pass `prunedNB201Key` for the suite's 9,445 subset) and returns, per class, its
 * lowest index: the representatives a "unique cells only" report keeps, sorted.
 */
export function uniqueRepresentatives(
  cells: readonly NB201Cell[],
  keyOf: (cell: NB201Cell) => string = canonicalNB201,
): number[] {
  const seen = new Map<string, number>();
  cells.forEach((cell, index) => {
    const key = keyOf(cell);
    if (!seen.has(key)) seen.set(key, index);
  });
  return [...seen.values()].sort((a, b) => a - b);
}

/** For every index, the lowest index with the same canonical key (its class representative). */
export function representativeOf(
  cells: readonly NB201Cell[],
  keyOf: (cell: NB201Cell) => string = canonicalNB201,
): Int32Array {
  const seen = new Map<string, number>();
  const out = new Int32Array(cells.length);
  cells.forEach((cell, index) => {
    const key = keyOf(cell);
    const rep = seen.get(key);
    if (rep === undefined) seen.set(key, index);
    out[index] = rep ?? index;
  });
  return out;
}
