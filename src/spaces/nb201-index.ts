/**
 * The official index of an NB201 cell: its row in `meta_archs` (0..15624), the key every NB201 /
 * NATS-Bench file uses.
 *
 * How NB201 produced that order (D-X-Y/AutoDL-Projects, exps/NAS-Bench-201/main.py,
 * `generate_meta_info`):
 *   1. `CellStructure.gen_all(ops, 4)` lists all cells in nested-loop order: the op of edge 0->1 in
 *      the outermost loop, then 0->2, 1->2, 0->3, 1->3, 2->3 innermost, each loop over the ops in
 *      search-space order (none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3). So a
 *      cell's position in that list is its 6 op ids read as a base-5 number, edge 0->1 the most
 *      significant digit (its "ordinal" here).
 *   2. `random.seed(88); random.shuffle(archs)` (CPython 3), replayed by `PythonRandom`.
 * The result is checked against all 15,625 rows of the shared accuracy table in the tests, and
 * against the three positions the original script asserts (0, 9, 123).
 */
import { DataError } from '../util/errors.ts';
import { NB201_NUM_CELLS, NB201_NUM_EDGES, NB201_OPS, type NB201Cell, type NB201Op, formatNB201, nb201Cell, parseNB201 } from './nb201.ts';
import { PythonRandom } from './nb201-python-random.ts';

/** The seed `generate_meta_info` passes to `random.seed` ("please do not change this line"). */
export const NB201_META_SEED = 88;

/** The cell's position in `gen_all`'s unshuffled list (base-5 digits, edge 0->1 first). */
export function nb201Ordinal(cell: NB201Cell): number {
  let n = 0;
  for (const op of cell.ops) n = n * NB201_OPS.length + NB201_OPS.indexOf(op);
  return n;
}

export function cellFromOrdinal(ordinal: number): NB201Cell {
  if (!Number.isInteger(ordinal) || ordinal < 0 || ordinal >= NB201_NUM_CELLS) {
    throw new RangeError(`NB201 ordinal ${ordinal} is not in 0..${NB201_NUM_CELLS - 1}`);
  }
  const ops = new Array<NB201Op>(NB201_NUM_EDGES);
  let n = ordinal;
  for (let k = NB201_NUM_EDGES - 1; k >= 0; k--) {
    ops[k] = NB201_OPS[n % NB201_OPS.length]!;
    n = Math.floor(n / NB201_OPS.length);
  }
  return nb201Cell(ops);
}

interface IndexTables {
  /** ordinalOfIndex[index] = ordinal. */
  ordinalOfIndex: Int32Array;
  /** indexOfOrdinal[ordinal] = index. */
  indexOfOrdinal: Int32Array;
}

let tables: IndexTables | undefined;

/** Replays the official shuffle once (a few ms) and keeps both directions. */
function indexTables(): IndexTables {
  if (tables) return tables;
  const order = Array.from({ length: NB201_NUM_CELLS }, (_, i) => i);
  new PythonRandom(NB201_META_SEED).shuffle(order);
  const ordinalOfIndex = Int32Array.from(order);
  const indexOfOrdinal = new Int32Array(NB201_NUM_CELLS);
  ordinalOfIndex.forEach((ordinal, index) => {
    indexOfOrdinal[ordinal] = index;
  });
  tables = { ordinalOfIndex, indexOfOrdinal };
  return tables;
}

function checkIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= NB201_NUM_CELLS) {
    throw new DataError(`NB201 index ${index} is not an integer in 0..${NB201_NUM_CELLS - 1}`);
  }
}

/** The cell at row `index` of `meta_archs`. */
export function cellFromIndex(index: number): NB201Cell {
  checkIndex(index);
  return cellFromOrdinal(indexTables().ordinalOfIndex[index]!);
}

/** Row of `meta_archs` holding this cell. */
export function indexOfCell(cell: NB201Cell): number {
  return indexTables().indexOfOrdinal[nb201Ordinal(cell)]!;
}

/** `meta_archs[index]`, the official arch string. */
export function archStringFromIndex(index: number): string {
  return formatNB201(cellFromIndex(index));
}

/** Row of `meta_archs` holding this arch string (strictly parsed; DataError if malformed). */
export function indexOfArchString(arch: string): number {
  return indexOfCell(parseNB201(arch));
}

/** All 15,625 cells in official index order (cells[i] is meta_archs[i]). */
export function allNB201Cells(): NB201Cell[] {
  const { ordinalOfIndex } = indexTables();
  return Array.from(ordinalOfIndex, (ordinal) => cellFromOrdinal(ordinal));
}
