import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dataFile } from '../helpers/data.ts';
import { DataError } from '../../src/util/errors.ts';
import {
  InvalidSpecError,
  formatAdjacency,
  hashModule,
  hashSpec,
  isValidSpec,
  parseAdjacency,
  pruneSpec,
  specFromStrings,
  validateSpec,
  type ModelSpec,
  type SpecRule,
} from '../../src/spaces/nb101.ts';

const C3 = 'conv3x3-bn-relu';
const C1 = 'conv1x1-bn-relu';
const MP = 'maxpool3x3';

/** The Inception-like cell of the official API docstring. */
const INCEPTION: ModelSpec = {
  matrix: [
    [0, 1, 1, 1, 0, 1, 0],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 1, 0, 0],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 0],
  ],
  ops: ['input', C1, C3, C3, C3, MP, 'output'],
};

function ruleOf(fn: () => unknown): SpecRule | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof InvalidSpecError) return e.rule;
    throw e;
  }
  return undefined;
}

describe('NB101 module hash', () => {
  it('reproduces every hash of nb101-cells-1k.csv from its matrix and ops', () => {
    const file = dataFile('nb101', 'nb101-cells-1k.csv');
    const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
    const cols = header.split(',');
    const iHash = cols.indexOf('hash');
    const iAdj = cols.indexOf('adjacency_rowmajor');
    const iOps = cols.indexOf('ops');
    expect([iHash, iAdj, iOps].every((i) => i >= 0)).toBe(true);
    expect(lines).toHaveLength(1000);
    const mismatches: string[] = [];
    for (const line of lines) {
      const c = line.split(',');
      const h = hashSpec(specFromStrings(c[iAdj], c[iOps], '|'));
      if (h !== c[iHash]) mismatches.push(`${c[iHash]} -> ${h}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('is invariant to relabelling the inner vertices (an isomorphic cell hashes the same)', () => {
    // Swap vertices 1 and 2 (both feed only the output), keeping the matrix upper triangular.
    const swapped: ModelSpec = {
      matrix: INCEPTION.matrix,
      ops: ['input', C3, C1, C3, C3, MP, 'output'],
    };
    expect(hashSpec(swapped)).toBe(hashSpec(INCEPTION));
    // Changing one op does change it.
    const other: ModelSpec = { matrix: INCEPTION.matrix, ops: ['input', C1, C3, C3, C3, C1, 'output'] };
    expect(hashSpec(other)).not.toBe(hashSpec(INCEPTION));
  });

  it('hashes the pruned graph: a dangling vertex does not change the hash', () => {
    const small: ModelSpec = { matrix: [[0, 1, 0], [0, 0, 1], [0, 0, 0]], ops: ['input', C3, 'output'] };
    // Vertex 2 hangs off the input without reaching the output; its op is never checked.
    const dangling: ModelSpec = {
      matrix: [
        [0, 1, 1, 0],
        [0, 0, 0, 1],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
      ],
      ops: ['input', C3, 'not-an-op', 'output'],
    };
    expect(hashSpec(dangling)).toBe(hashSpec(small));
  });

  it('computes hashModule from labels directly', () => {
    const m = [[0, 1], [0, 0]];
    expect(hashModule(m, [-1, -2])).toMatch(/^[0-9a-f]{32}$/);
    expect(hashModule(m, [-1, -2])).not.toBe(hashModule(m, [-2, -1]));
  });
});

describe('NB101 pruning', () => {
  it('removes vertices not on an input->output path, keeping order', () => {
    const spec: ModelSpec = {
      matrix: [
        [0, 1, 0, 1, 0],
        [0, 0, 0, 0, 1],
        [0, 0, 0, 0, 1], // not reachable from input
        [0, 0, 0, 0, 0], // does not reach output
        [0, 0, 0, 0, 0],
      ],
      ops: ['input', C1, C3, MP, 'output'],
    };
    expect(pruneSpec(spec)).toEqual({ matrix: [[0, 1, 0], [0, 0, 1], [0, 0, 0]], ops: ['input', C1, 'output'] });
  });

  it('returns null when input and output are disconnected', () => {
    expect(pruneSpec({ matrix: [[0, 1, 0], [0, 0, 0], [0, 0, 0]], ops: ['input', C3, 'output'] })).toBeNull();
  });
});

describe('NB101 validity rules', () => {
  it('accepts the official example and reports it unchanged by pruning', () => {
    expect(isValidSpec(INCEPTION)).toBe(true);
    expect(validateSpec(INCEPTION)).toEqual(INCEPTION);
  });

  it('names the rule each bad spec breaks', () => {
    const ops3 = ['input', C3, 'output'];
    expect(ruleOf(() => validateSpec({ matrix: [[0, 1], [0, 0], [0, 0]], ops: ops3 }))).toBe('not-square');
    expect(ruleOf(() => validateSpec({ matrix: [[0, 1], [0, 0]], ops: ops3 }))).toBe('ops-length');
    expect(ruleOf(() => validateSpec({ matrix: [[0, 2, 0], [0, 0, 1], [0, 0, 0]], ops: ops3 }))).toBe('not-binary');
    // A cycle needs an edge below the diagonal.
    expect(ruleOf(() => validateSpec({ matrix: [[0, 1, 0], [0, 0, 1], [0, 1, 0]], ops: ops3 }))).toBe('not-upper-triangular');
    expect(ruleOf(() => validateSpec({ matrix: [[1, 1, 0], [0, 0, 1], [0, 0, 0]], ops: ops3 }))).toBe('not-upper-triangular');
    expect(ruleOf(() => validateSpec({ matrix: [[0, 0, 0], [0, 0, 1], [0, 0, 0]], ops: ops3 }))).toBe('disconnected');
    expect(ruleOf(() => validateSpec({ matrix: [[0, 1, 0], [0, 0, 1], [0, 0, 0]], ops: ['conv', C3, 'output'] }))).toBe('first-op');
    expect(ruleOf(() => validateSpec({ matrix: [[0, 1, 0], [0, 0, 1], [0, 0, 0]], ops: ['input', C3, 'out'] }))).toBe('last-op');
    expect(ruleOf(() => validateSpec({ matrix: [[0, 1, 0], [0, 0, 1], [0, 0, 0]], ops: ['input', 'conv5x5', 'output'] }))).toBe('unknown-op');
  });

  it('rejects more than 9 edges after pruning', () => {
    // 6 vertices, every upper edge: 15 edges.
    const n = 6;
    const matrix = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (j > i ? 1 : 0)));
    const spec = { matrix, ops: ['input', C3, C3, C1, MP, 'output'] };
    expect(ruleOf(() => validateSpec(spec))).toBe('too-many-edges');
    expect(() => hashSpec(spec)).toThrow(/at most 9/);
  });

  it('rejects more than 7 vertices after pruning, but not before', () => {
    const chain = (n: number) => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (j === i + 1 ? 1 : 0)));
    const ops8 = ['input', C3, C3, C3, C3, C3, C3, 'output'];
    expect(ruleOf(() => validateSpec({ matrix: chain(8), ops: ops8 }))).toBe('too-many-vertices');
    // Cut vertex 6 off the path: the chain 0..5 -> 7 is a valid 7-vertex cell after pruning.
    const m = chain(8);
    m[5][6] = 0;
    m[6][7] = 0;
    m[5][7] = 1;
    expect(validateSpec({ matrix: m, ops: ops8 }).ops).toHaveLength(7);
  });

  it('throws DataError subclasses that carry where', () => {
    try {
      validateSpec({ matrix: [[0, 0], [0, 0]], ops: ['input', 'output'] }, { file: 'x.csv', row: 7 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DataError);
      expect((e as DataError).message).toMatch(/^x\.csv, row 7: invalid NB101 cell \(disconnected\)/);
    }
  });
});

describe('NB101 adjacency strings', () => {
  it('round-trips row-major 0/1 strings', () => {
    const s = formatAdjacency(INCEPTION.matrix);
    expect(s).toHaveLength(49);
    expect(s.slice(0, 7)).toBe('0111010');
    expect(parseAdjacency(s)).toEqual(INCEPTION.matrix);
  });

  it('rejects non-square lengths and other characters', () => {
    expect(ruleOf(() => parseAdjacency('01001'))).toBe('bad-adjacency-string');
    expect(ruleOf(() => parseAdjacency(''))).toBe('bad-adjacency-string');
    expect(ruleOf(() => parseAdjacency('0120'))).toBe('bad-adjacency-string');
  });
});
