/**
 * Which NB201 cells a run scores: an explicit list, a seeded uniform sample, or all of them.
 * The sample reuses the seeded without-replacement selection of the image batches
 * (src/datasets/batch.ts), so a (size, seed) pair names the same cells on every machine.
 */
import { selectIndices } from '../datasets/batch.ts';
import { NB201_NUM_CELLS } from '../spaces/nb201.ts';
import { DataError } from '../util/errors.ts';

export type CellSelection = { kind: 'list'; cells: number[] } | { kind: 'sample'; size: number; seed: number } | { kind: 'all' };

export function selectNB201Cells(sel: CellSelection): number[] {
  switch (sel.kind) {
    case 'all':
      return Array.from({ length: NB201_NUM_CELLS }, (_, i) => i);
    case 'sample':
      if (sel.size >= NB201_NUM_CELLS) return Array.from({ length: NB201_NUM_CELLS }, (_, i) => i);
      return selectIndices(NB201_NUM_CELLS, sel.size, sel.seed);
    case 'list':
      for (const i of sel.cells) {
        if (!Number.isInteger(i) || i < 0 || i >= NB201_NUM_CELLS) {
          throw new DataError(`NB201 cell index ${i} is out of range 0..${NB201_NUM_CELLS - 1}`);
        }
      }
      return sel.cells;
  }
}

export function describeSelection(sel: CellSelection): string {
  switch (sel.kind) {
    case 'all':
      return `all ${NB201_NUM_CELLS} cells`;
    case 'sample':
      return `${Math.min(sel.size, NB201_NUM_CELLS)} cells sampled uniformly (seed ${sel.seed})`;
    case 'list':
      return `${sel.cells.length} listed cells`;
  }
}
