/**
 * Enumerates the whole NB101 space the way the original `generate_graphs.py` built it: for each
 * vertex count V = 2..7, every upper-triangular adjacency bitmask, kept when every vertex lies on an
 * input -> output path ("full DAG": only the output lacks out-edges, only the input lacks in-edges)
 * and it has at most 9 edges; then every labelling of the V-2 inner vertices with the 3 ops; each
 * labelled graph is hashed with the official module hash and the first graph of each hash is kept.
 * With the defaults this yields the 423,624 cells of the benchmark.
 *
 * Full DAGs are already pruned, so the representative of each hash is a spec the official files
 * could hold (and since bit order follows the original's gen_is_edge_fn, it is the same
 * representative the original kept).
 */
import { NB101_INPUT, NB101_INPUT_LABEL, NB101_MAX_EDGES, NB101_MAX_VERTICES, NB101_OPS, NB101_OUTPUT, NB101_OUTPUT_LABEL } from './nb101.ts';
import { FastModuleHasher, popcount } from './nb101-fast-hash.ts';

export interface EnumeratedCell {
  hash: string;
  matrix: number[][];
  ops: string[];
}

export interface EnumerateOptions {
  maxVertices?: number;
  maxEdges?: number;
  /** Number of op labels (the first `numOps` of NB101_OPS). */
  numOps?: number;
}

export interface EnumerateSummary {
  /** Distinct hashes (unique cells). */
  cells: number;
  /** Labelled graphs hashed before deduplication. */
  labelledGraphs: number;
  /** Unique cells found up to each vertex count, e.g. {2: 1, 3: 4, ...}. */
  cellsUpTo: Record<number, number>;
}

/**
 * Calls onCell once per unique cell, in the original's order. Holds a Set of the hashes seen
 * (~423k strings, tens of MB); the cells themselves are not kept.
 */
export function enumerateNB101(onCell: (cell: EnumeratedCell) => void, options: EnumerateOptions = {}): EnumerateSummary {
  const maxVertices = options.maxVertices ?? NB101_MAX_VERTICES;
  const maxEdges = options.maxEdges ?? NB101_MAX_EDGES;
  const numOps = options.numOps ?? NB101_OPS.length;
  const hasher = new FastModuleHasher(maxVertices);
  const seen = new Set<string>();
  const cellsUpTo: Record<number, number> = {};
  let labelledGraphs = 0;

  for (let n = 2; n <= maxVertices; n++) {
    const pairs = (n * (n - 1)) / 2;
    const outMask = new Array<number>(n).fill(0);
    const labels = new Array<number>(n).fill(0);
    labels[0] = NB101_INPUT_LABEL;
    labels[n - 1] = NB101_OUTPUT_LABEL;
    const inner = n - 2;
    const labellings = numOps ** inner;
    for (let bits = 0; bits < 2 ** pairs; bits++) {
      if (popcount(bits) > maxEdges) continue;
      // Bit x + y(y-1)/2 is the edge x -> y (the original's column-major fill).
      outMask.fill(0);
      let inMask = 0; // which vertices have an in-edge
      for (let y = 1; y < n; y++) {
        const base = (y * (y - 1)) / 2;
        for (let x = 0; x < y; x++) {
          if ((bits >>> (base + x)) & 1) {
            outMask[x] |= 1 << y;
            inMask |= 1 << y;
          }
        }
      }
      let full = true;
      for (let v = 0; v < n - 1 && full; v++) if (outMask[v] === 0) full = false;
      for (let v = 1; v < n && full; v++) if (((inMask >>> v) & 1) === 0) full = false;
      if (!full) continue;

      for (let code = 0; code < labellings; code++) {
        // itertools.product order: the last inner vertex varies fastest.
        let c = code;
        for (let v = n - 2; v >= 1; v--) {
          labels[v] = c % numOps;
          c = Math.floor(c / numOps);
        }
        labelledGraphs++;
        const hash = hasher.hash(n, outMask, labels);
        if (seen.has(hash)) continue;
        seen.add(hash);
        const matrix = Array.from({ length: n }, (_, v) => Array.from({ length: n }, (_, w) => (outMask[v] >>> w) & 1));
        const ops = labels.map((l, v) => (v === 0 ? NB101_INPUT : v === n - 1 ? NB101_OUTPUT : NB101_OPS[l]));
        onCell({ hash, matrix, ops });
      }
    }
    cellsUpTo[n] = seen.size;
  }
  return { cells: seen.size, labelledGraphs, cellsUpTo };
}
