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
 * Count over all 15,625 cells with this rule: 6,466 classes (test/spaces/nb201-canonical.test.ts).
 * That equals the "6466 unique" NB201 reports for its own `to_unique_str(consider_zero=True)`
 * rule, which prints each node as a sorted expression (skip = identity, none = zero) and so
 * ignores sharing. The zero-cost-proxy benchmark suite's 9,445 "non-isomorphic" cells come from a
 * weaker rule; see `NB201_NONISOMORPHIC_SUITE_NOTE`.
 */
import type { NB201Cell } from './nb201.ts';
import { NB201_EDGES, NB201_NUM_NODES } from './nb201.ts';

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

  // Group equal labels; the key is the smallest encoding over all orders within groups. Inputs of
  // an instance always come before it in expression depth but may share a label group only with
  // instances of the same depth, so positions are well-defined for any order.
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
 * Groups cells (given in index order, cells[i] = cell of index i) by canonical key and returns,
 * per class, its lowest index: the representatives a "unique cells only" report keeps, sorted.
 */
export function uniqueRepresentatives(cells: readonly NB201Cell[]): number[] {
  const seen = new Map<string, number>();
  cells.forEach((cell, index) => {
    const key = canonicalNB201(cell);
    if (!seen.has(key)) seen.set(key, index);
  });
  return [...seen.values()].sort((a, b) => a - b);
}

/** For every index, the lowest index with the same canonical key (its class representative). */
export function representativeOf(cells: readonly NB201Cell[]): Int32Array {
  const seen = new Map<string, number>();
  const out = new Int32Array(cells.length);
  cells.forEach((cell, index) => {
    const key = canonicalNB201(cell);
    const rep = seen.get(key);
    if (rep === undefined) seen.set(key, index);
    out[index] = rep ?? index;
  });
  return out;
}
