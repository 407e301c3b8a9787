/**
 * The NAS-Bench-101 cell space: a cell is a ModelSpec (an upper-triangular 0/1 adjacency matrix
 * over at most 7 vertices plus one op per vertex). This module validates specs, prunes them the way
 * the original `model_spec.py` does, and computes the official module hash (`graph_util.hash_module`)
 * so that a cell built here finds its row in the official files.
 *
 * Validity follows the original in two stages, because that is what decides which hashes exist:
 *   1. shape rules checked on the spec as given (the original ModelSpec constructor): square matrix,
 *      one op per vertex, strictly upper triangular; we also require entries to be 0 or 1, which
 *      the original assumed but never checked;
 *   2. domain rules checked on the PRUNED spec (the original `NASBench._check_spec`): input and
 *      output connected, <= 7 vertices, <= 9 edges, first op 'input', last 'output', the others
 *      among the three NB101 ops. So an unreachable vertex may carry any op and an 8-vertex matrix is
 *      fine if pruning brings it down to 7, exactly as in the original API.
 */
import { createHash } from 'node:crypto';
import { DataError, type DataErrorWhere } from '../util/errors.ts';

export const NB101_INPUT = 'input';
export const NB101_OUTPUT = 'output';
/** The three ops in the original `config['available_ops']` order: their index is the hash label. */
export const NB101_OPS = ['conv3x3-bn-relu', 'conv1x1-bn-relu', 'maxpool3x3'] as const;
export type NB101Op = (typeof NB101_OPS)[number];
export const NB101_MAX_VERTICES = 7;
export const NB101_MAX_EDGES = 9;
/** Labels the hash gives input and output (ops get their index in NB101_OPS). */
export const NB101_INPUT_LABEL = -1;
export const NB101_OUTPUT_LABEL = -2;

/** A cell as the official API takes it: matrix[i][j] = 1 for an edge i -> j. */
export interface ModelSpec {
  matrix: number[][];
  ops: string[];
}

/** Which rule a spec broke; lets callers (and tests) tell the cases apart without parsing text. */
export type SpecRule =
  | 'not-square'
  | 'ops-length'
  | 'not-binary'
  | 'not-upper-triangular'
  | 'disconnected'
  | 'too-many-vertices'
  | 'too-many-edges'
  | 'first-op'
  | 'last-op'
  | 'unknown-op'
  | 'bad-adjacency-string';

/** A spec outside the NB101 space. A DataError so that file readers can pass `where` through. */
export class InvalidSpecError extends DataError {
  readonly rule: SpecRule;

  constructor(rule: SpecRule, what: string, where: DataErrorWhere = {}) {
    super(`invalid NB101 cell (${rule}): ${what}`, where);
    this.name = 'InvalidSpecError';
    this.rule = rule;
  }
}

/** Shape rules of the original ModelSpec constructor, plus 0/1 entries. Throws InvalidSpecError. */
export function checkSpecShape(spec: ModelSpec, where: DataErrorWhere = {}): void {
  const { matrix, ops } = spec;
  const n = matrix.length;
  for (let i = 0; i < n; i++) {
    if (!Array.isArray(matrix[i]) || matrix[i].length !== n) {
      throw new InvalidSpecError('not-square', `matrix must be square, row ${i} has ${matrix[i]?.length ?? 'no'} entries for ${n} rows`, where);
    }
  }
  if (ops.length !== n) {
    throw new InvalidSpecError('ops-length', `${ops.length} ops for a ${n}x${n} matrix`, where);
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const e = matrix[i][j];
      if (e !== 0 && e !== 1) {
        throw new InvalidSpecError('not-binary', `matrix[${i}][${j}] = ${String(e)}, must be 0 or 1`, where);
      }
      if (j <= i && e !== 0) {
        throw new InvalidSpecError('not-upper-triangular', `matrix[${i}][${j}] = 1 is on or below the diagonal (an edge must go from a lower to a higher vertex, so no cycles)`, where);
      }
    }
  }
}

/**
 * Removes every vertex not on some input -> output path (the original `_prune`): keep the vertices
 * reachable from vertex 0 AND reaching vertex n-1. Returns null when input and output are not
 * connected (the original marks such a spec invalid). Assumes checkSpecShape passed.
 */
export function pruneSpec(spec: ModelSpec): ModelSpec | null {
  const { matrix, ops } = spec;
  const n = matrix.length;
  if (n < 2) return null;
  const fromInput = new Array<boolean>(n).fill(false);
  fromInput[0] = true;
  // Upper triangular: a forward sweep in vertex order sees every predecessor before its successors.
  for (let v = 0; v < n; v++) {
    if (!fromInput[v]) continue;
    for (let w = v + 1; w < n; w++) if (matrix[v][w]) fromInput[w] = true;
  }
  const toOutput = new Array<boolean>(n).fill(false);
  toOutput[n - 1] = true;
  for (let v = n - 1; v >= 0; v--) {
    if (!toOutput[v]) continue;
    for (let u = 0; u < v; u++) if (matrix[u][v]) toOutput[u] = true;
  }
  const keep: number[] = [];
  for (let v = 0; v < n; v++) if (fromInput[v] && toOutput[v]) keep.push(v);
  // The original's test: fewer than 2 vertices kept means input does not reach output. (When
  // input reaches output, both are kept; when it does not, neither is.)
  if (keep.length < 2) return null;
  return {
    matrix: keep.map((r) => keep.map((c) => matrix[r][c])),
    ops: keep.map((v) => ops[v]),
  };
}

export function countEdges(matrix: number[][]): number {
  let e = 0;
  for (const row of matrix) for (const x of row) e += x;
  return e;
}

/**
 * Checks a spec against every rule of the NB101 space and returns its pruned form (what the
 * official files store and hash). Throws InvalidSpecError naming the broken rule.
 */
export function validateSpec(spec: ModelSpec, where: DataErrorWhere = {}): ModelSpec {
  checkSpecShape(spec, where);
  const pruned = pruneSpec(spec);
  if (pruned === null) {
    throw new InvalidSpecError('disconnected', 'no path from the input vertex to the output vertex', where);
  }
  const n = pruned.ops.length;
  if (n > NB101_MAX_VERTICES) {
    throw new InvalidSpecError('too-many-vertices', `${n} vertices after pruning, at most ${NB101_MAX_VERTICES}`, where);
  }
  const edges = countEdges(pruned.matrix);
  if (edges > NB101_MAX_EDGES) {
    throw new InvalidSpecError('too-many-edges', `${edges} edges after pruning, at most ${NB101_MAX_EDGES}`, where);
  }
  if (pruned.ops[0] !== NB101_INPUT) {
    throw new InvalidSpecError('first-op', `first op is '${pruned.ops[0]}', must be '${NB101_INPUT}'`, where);
  }
  if (pruned.ops[n - 1] !== NB101_OUTPUT) {
    throw new InvalidSpecError('last-op', `last op is '${pruned.ops[n - 1]}', must be '${NB101_OUTPUT}'`, where);
  }
  for (let v = 1; v < n - 1; v++) {
    if (!(NB101_OPS as readonly string[]).includes(pruned.ops[v])) {
      throw new InvalidSpecError('unknown-op', `op '${pruned.ops[v]}' (pruned vertex ${v}) is not one of ${NB101_OPS.join(', ')}`, where);
    }
  }
  return pruned;
}

export function isValidSpec(spec: ModelSpec): boolean {
  try {
    validateSpec(spec);
    return true;
  } catch (e) {
    if (e instanceof InvalidSpecError) return false;
    throw e;
  }
}

function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/**
 * The original `graph_util.hash_module`: a Weisfeiler-Lehman refinement with MD5. The hashed text
 * must match Python byte for byte, so the formats below mirror what Python's `str()` prints:
 *   - initial vertex hash: md5 of str((out_degree, in_degree, label)), e.g. '(2, 0, -1)';
 *   - each of n rounds: md5 of sorted in-neighbour hashes joined + '|' + sorted out-neighbour
 *     hashes joined + '|' + own hash;
 *   - fingerprint: md5 of str(sorted(hashes)), a Python list of str: "['ab..', 'cd..']".
 * Sorting hex digests with the default JS sort matches Python's (both order by code unit).
 */
export function hashModule(matrix: number[][], labels: number[]): string {
  const n = matrix.length;
  let hashes: string[] = [];
  for (let v = 0; v < n; v++) {
    let out = 0;
    let inn = 0;
    for (let w = 0; w < n; w++) {
      out += matrix[v][w];
      inn += matrix[w][v];
    }
    hashes.push(md5Hex(`(${out}, ${inn}, ${labels[v]})`));
  }
  for (let round = 0; round < n; round++) {
    const next: string[] = [];
    for (let v = 0; v < n; v++) {
      const ins: string[] = [];
      const outs: string[] = [];
      for (let w = 0; w < n; w++) {
        if (matrix[w][v]) ins.push(hashes[w]);
        if (matrix[v][w]) outs.push(hashes[w]);
      }
      ins.sort();
      outs.sort();
      next.push(md5Hex(`${ins.join('')}|${outs.join('')}|${hashes[v]}`));
    }
    hashes = next;
  }
  const sorted = [...hashes].sort();
  return md5Hex(`[${sorted.map((h) => `'${h}'`).join(', ')}]`);
}

/** Hash labels of a pruned spec's ops: input -1, output -2, the others their NB101_OPS index. */
export function specLabels(ops: string[]): number[] {
  return ops.map((op, v) => {
    if (v === 0) return NB101_INPUT_LABEL;
    if (v === ops.length - 1) return NB101_OUTPUT_LABEL;
    return (NB101_OPS as readonly string[]).indexOf(op);
  });
}

/** The official module hash of a spec (validated and pruned first, as the official API does). */
export function hashSpec(spec: ModelSpec, where: DataErrorWhere = {}): string {
  const pruned = validateSpec(spec, where);
  return hashModule(pruned.matrix, specLabels(pruned.ops));
}

/**
 * Parses the row-major '0'/'1' adjacency string of the official tfrecord and the CSV tables
 * (n*n characters). Shape only: rule checks are validateSpec's job.
 */
export function parseAdjacency(text: string, where: DataErrorWhere = {}): number[][] {
  const n = Math.round(Math.sqrt(text.length));
  if (text.length === 0 || n * n !== text.length) {
    throw new InvalidSpecError('bad-adjacency-string', `adjacency string has ${text.length} characters, not a square number`, where);
  }
  const matrix: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    for (let j = 0; j < n; j++) {
      const c = text[i * n + j];
      if (c !== '0' && c !== '1') {
        throw new InvalidSpecError('bad-adjacency-string', `adjacency character ${i * n + j} is '${c}', must be '0' or '1'`, where);
      }
      row.push(c === '1' ? 1 : 0);
    }
    matrix.push(row);
  }
  return matrix;
}

export function formatAdjacency(matrix: number[][]): string {
  return matrix.map((row) => row.join('')).join('');
}

/** Builds a spec from the file encodings: adjacency string and ops joined by `separator`. */
export function specFromStrings(adjacency: string, ops: string, separator: string, where: DataErrorWhere = {}): ModelSpec {
  return { matrix: parseAdjacency(adjacency, where), ops: ops.split(separator) };
}
