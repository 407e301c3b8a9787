/**
 * Which cells a run scores: an explicit list, a seeded uniform sample, or all of them (NB201 by
 * index; NB101 by official hash, from a store or the enumerated space).
 * The sample reuses the seeded without-replacement selection of the image batches
 * (src/datasets/batch.ts), so a (size, seed) pair names the same cells on every machine.
 */
import { nb101SpecOf } from '../benchmarks/nb101-space-store.ts';
import { BenchmarkStore } from '../benchmarks/store.ts';
import { selectIndices } from '../datasets/batch.ts';
import type { ModelSpec } from '../spaces/nb101.ts';
import { enumerateNB101 } from '../spaces/nb101-enumerate.ts';
import { NB201_NUM_CELLS } from '../spaces/nb201.ts';
import { DataError } from '../util/errors.ts';
import type { ScoreTask } from './score-job.ts';

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

/**
 * Where NB101 cells come from: an NB101 store (rows with matrices; hash-only rows get theirs from
 * the enumerated space when it is given), or the enumerated space alone (`nasrepro nb101
 * enumerate`'s store, or, with neither, the space enumerated in this process, ~35 s).
 */
export interface NB101CellSource {
  /** Names the source in reports (the store file, or "the enumerated space"). */
  label: string;
  /** Official module hashes, in the source's row order (samples index into it). */
  hashes: string[];
  specs: ModelSpec[];
  /** Rows of the store left out because neither it nor the space gives their matrix. */
  withoutSpec: number;
}

export type NB101Selection = { kind: 'hashes'; hashes: string[] } | { kind: 'sample'; size: number; seed: number } | { kind: 'all' };

export async function nb101CellSource(opts: { store?: string; spaceStore?: string }): Promise<NB101CellSource> {
  const space = opts.spaceStore ? await BenchmarkStore.open(opts.spaceStore) : undefined;
  if (opts.store) {
    const store = await BenchmarkStore.open(opts.store);
    if (store.benchmark !== 'nb101') throw new DataError(`not an NB101 store (it holds ${store.benchmark})`, { file: store.file });
    const hashes: string[] = [];
    const specs: ModelSpec[] = [];
    let withoutSpec = 0;
    store.keys.forEach((hash, row) => {
      let spec = nb101SpecOf(store, row);
      if (!spec && space) {
        const r = space.rowOf(hash);
        spec = r === undefined ? undefined : nb101SpecOf(space, r);
      }
      if (!spec) withoutSpec++;
      else {
        hashes.push(hash);
        specs.push(spec);
      }
    });
    return { label: store.file, hashes, specs, withoutSpec };
  }
  if (space) {
    if (space.benchmark !== 'nb101') throw new DataError(`not an NB101 store (it holds ${space.benchmark})`, { file: space.file });
    return { label: space.file, hashes: space.keys.slice(), specs: space.keys.map((_, r) => nb101SpecOf(space, r)!), withoutSpec: 0 };
  }
  const hashes: string[] = [];
  const specs: ModelSpec[] = [];
  enumerateNB101((c) => {
    hashes.push(c.hash);
    specs.push({ matrix: c.matrix, ops: c.ops });
  });
  return { label: 'the enumerated NB101 space', hashes, specs, withoutSpec: 0 };
}

/** NB101 score tasks (hash + spec) for a selection from a source. */
export function selectNB101Cells(sel: NB101Selection, source: NB101CellSource): ScoreTask[] {
  const task = (i: number): ScoreTask => ({ key: source.hashes[i]!, nb101: source.specs[i]! });
  switch (sel.kind) {
    case 'all':
      return source.hashes.map((_, i) => task(i));
    case 'sample':
      if (sel.size >= source.hashes.length) return source.hashes.map((_, i) => task(i));
      return selectIndices(source.hashes.length, sel.size, sel.seed).map(task);
    case 'hashes': {
      const rowOf = new Map(source.hashes.map((h, i) => [h, i]));
      return sel.hashes.map((h) => {
        const i = rowOf.get(h);
        if (i === undefined) throw new DataError(`NB101 hash ${h} is not in ${source.label}${source.withoutSpec > 0 ? ` (or its matrix is missing there: ${source.withoutSpec} rows are hash-only; pass --space-store)` : ''}`);
        return task(i);
      });
    }
  }
}
