/**
 * The whole NB101 space as a store: every unique cell (423,624) with its pruned matrix, ops and
 * official hash, no metrics. Joined with any table keyed by hash (like the 20k hash/accuracy
 * rows), it turns hash-only ground truth into cells a network can be built from.
 */
import { enumerateNB101 } from '../spaces/nb101-enumerate.ts';
import type { ModelSpec } from '../spaces/nb101.ts';
import { BenchmarkStore } from './store.ts';
import { NB101_OP_CODES } from './store-layout.ts';
import { StoreBuilder } from './store-writer.ts';

export async function writeNB101SpaceStore(out: string): Promise<{ cells: number; seconds: number }> {
  const started = performance.now();
  const builder = new StoreBuilder('nb101', 1 << 19);
  enumerateNB101((c) => builder.setNB101Cell(builder.row(c.hash), c.matrix, c.ops));
  await builder.write(out, [{ origin: 'enumeration', path: 'src/spaces/nb101-enumerate.ts', format: 'enumeration', sha256: '', bytes: 0 }]);
  return { cells: builder.size, seconds: (performance.now() - started) / 1000 };
}

const OP_NAMES = new Map(Object.entries(NB101_OP_CODES).map(([name, code]) => [code, name]));

/** The spec of a store row, or undefined for a hash-only row. */
export function nb101SpecOf(store: BenchmarkStore, row: number): ModelSpec | undefined {
  const cell = store.nb101Cell(row);
  if (!cell) return undefined;
  return { matrix: cell.matrix, ops: cell.ops.map((c) => OP_NAMES.get(c)!) };
}
