import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dataFile } from '../helpers/data.ts';
import { hashModule, hashSpec, specFromStrings, specLabels, validateSpec } from '../../src/spaces/nb101.ts';
import { FastModuleHasher, md5Into } from '../../src/spaces/nb101-fast-hash.ts';
import { enumerateNB101, type EnumeratedCell } from '../../src/spaces/nb101-enumerate.ts';

function masks(matrix: number[][]): number[] {
  return matrix.map((row) => row.reduce((m, x, w) => m | (x << w), 0));
}

describe('md5Into', () => {
  it('equals node:crypto MD5 for every length across the padding boundaries', () => {
    const buf = new Uint8Array(400);
    const out = new Uint8Array(16);
    for (let len = 0; len <= 300; len++) {
      for (let i = 0; i < len; i++) buf[i] = (i * 31 + len) & 0xff;
      const ref = createHash('md5').update(buf.subarray(0, len)).digest('hex');
      md5Into(buf, len, out, 0);
      expect(Buffer.from(out).toString('hex'), `length ${len}`).toBe(ref);
    }
  });
});

describe('FastModuleHasher', () => {
  it('agrees with hashModule (and the official hashes) on the 1,000 cells of nb101-cells-1k.csv', () => {
    const lines = readFileSync(dataFile('nb101', 'nb101-cells-1k.csv'), 'utf8').trim().split('\n').slice(1);
    const hasher = new FastModuleHasher();
    for (const line of lines) {
      const [hash, , adjacency, ops] = line.split(',');
      const spec = validateSpec(specFromStrings(adjacency, ops, '|'));
      expect(hasher.hash(spec.matrix.length, masks(spec.matrix), specLabels(spec.ops))).toBe(hash);
    }
  });
});

describe('enumerateNB101', () => {
  // The whole space (7 vertices) takes about a minute here: bench/nb101-enumerate.ts measures it.
  const cells: EnumeratedCell[] = [];
  const summary = enumerateNB101((c) => cells.push(c), { maxVertices: 5 });

  it('emits each hash once, each cell valid, its hash the official hash of its spec', () => {
    expect(summary.cells).toBe(cells.length);
    expect(new Set(cells.map((c) => c.hash)).size).toBe(cells.length);
    for (const c of cells) {
      expect(validateSpec(c)).toEqual({ matrix: c.matrix, ops: c.ops }); // full DAGs: pruning changes nothing
      expect(hashModule(c.matrix, specLabels(c.ops))).toBe(c.hash);
    }
  });

  it('counts 1, 7, 91, 2532 unique cells up to 2..5 vertices', () => {
    // 2 vertices: input -> output. 3: two full DAGs x 3 ops, none isomorphic. 4 and 5 are
    // checked against a brute-force isomorphism dedupe below.
    expect(summary.cellsUpTo).toEqual({ 2: 1, 3: 7, 4: 91, 5: 2532 });
  });

  it('dedupes exactly up to isomorphism: brute force over vertex permutations gives the same counts', () => {
    // Independent of the hash: every labelled full DAG up to 5 vertices, reduced to a canonical
    // text (the smallest matrix+ops text over the vertex permutations that fix input and output
    // and keep the matrix upper triangular: isomorphic cells have the same set of such images).
    const OPS = ['conv3x3-bn-relu', 'conv1x1-bn-relu', 'maxpool3x3'];
    const permutations = (items: number[]): number[][] =>
      items.length === 0 ? [[]] : items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((p) => [x, ...p]));
    const canonical = (matrix: number[][], ops: string[], perms: number[][]): string => {
      const n = ops.length;
      let best = '';
      for (const inner of perms) {
        const p = [0, ...inner, n - 1]; // new vertex i is old vertex p[i]
        let ok = true;
        let text = '';
        for (let i = 0; i < n && ok; i++) {
          for (let j = 0; j < n; j++) {
            const e = matrix[p[i]][p[j]];
            if (e && j <= i) ok = false;
            text += e;
          }
        }
        if (!ok) continue;
        text += p.map((v) => ops[v]).join(',');
        if (best === '' || text < best) best = text;
      }
      return best;
    };
    const forms = new Set<string>();
    const countsUpTo: Record<number, number> = {};
    for (let n = 2; n <= 5; n++) {
      const pairs: Array<[number, number]> = [];
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push([i, j]);
      const perms = permutations(Array.from({ length: n - 2 }, (_, i) => i + 1));
      for (let bits = 0; bits < 2 ** pairs.length; bits++) {
        const matrix = Array.from({ length: n }, () => new Array<number>(n).fill(0));
        pairs.forEach(([i, j], k) => (matrix[i][j] = (bits >> k) & 1));
        for (let code = 0; code < 3 ** (n - 2); code++) {
          const ops = ['input', ...Array.from({ length: n - 2 }, (_, v) => OPS[Math.floor(code / 3 ** v) % 3]), 'output'];
          let pruned;
          try {
            pruned = validateSpec({ matrix, ops });
          } catch {
            continue; // disconnected
          }
          if (pruned.ops.length !== n) continue; // counted with its pruned size
          forms.add(`${n}:${canonical(matrix, ops, perms)}`);
        }
      }
      countsUpTo[n] = forms.size;
    }
    expect(countsUpTo).toEqual(summary.cellsUpTo);
  });

  it('finds every cell of nb101-cells-1k.csv with at most 5 vertices', () => {
    const hashes = new Set(cells.map((c) => c.hash));
    const lines = readFileSync(dataFile('nb101', 'nb101-cells-1k.csv'), 'utf8').trim().split('\n').slice(1);
    const small = lines.map((l) => l.split(',')).filter((c) => Number(c[1]) <= 5);
    expect(small.length).toBeGreaterThan(0);
    for (const c of small) {
      expect(hashSpec(specFromStrings(c[2], c[3], '|'))).toBe(c[0]);
      expect(hashes.has(c[0])).toBe(true);
    }
  });
});
