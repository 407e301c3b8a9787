import { describe, expect, it } from 'vitest';
import { parseNB201, type NB201Cell } from '../../src/spaces/nb201.ts';
import { allNB201Cells, indexOfArchString } from '../../src/spaces/nb201-index.ts';
import {
  NB201_ZERO_KEY,
  canonicalNB201,
  prunedNB201Key,
  representativeOf,
  uniqueRepresentatives,
} from '../../src/spaces/nb201-canonical.ts';

const key = (arch: string): string => canonicalNB201(parseNB201(arch));

describe('canonicalNB201 on hand-worked cells', () => {
  it('collapses every cell whose output edges are all none', () => {
    const a = '|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1|+|none~0|none~1|none~2|';
    const b = '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|';
    const c = '|avg_pool_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|none~0|none~1|none~2|';
    expect(key(a)).toBe(NB201_ZERO_KEY);
    expect(key(b)).toBe(NB201_ZERO_KEY);
    expect(key(c)).toBe(NB201_ZERO_KEY);
  });

  it('treats a node that receives only zeros as zero (its outgoing edges are dead)', () => {
    // Node 1 gets none from the input, so 1->3 conv sees zero: output = conv3x3(x) only.
    expect(key('|none~0|+|none~0|none~1|+|nor_conv_3x3~0|nor_conv_1x1~1|none~2|'))
      .toBe(key('|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|'));
  });

  it('ignores edges into nodes that do not reach the output', () => {
    // Node 2 feeds the output through none: whatever enters node 2 is dead.
    const base = '|nor_conv_3x3~0|+|OP~0|OP~1|+|skip_connect~0|nor_conv_1x1~1|none~2|';
    const keys = new Set(['none', 'skip_connect', 'nor_conv_3x3', 'avg_pool_3x3'].map((op) => key(base.replaceAll('OP', op))));
    expect(keys.size).toBe(1);
  });

  it('identifies the two middle nodes when they are interchangeable (sum order)', () => {
    const a = '|nor_conv_3x3~0|+|avg_pool_3x3~0|none~1|+|none~0|nor_conv_1x1~1|skip_connect~2|';
    const b = '|avg_pool_3x3~0|+|nor_conv_3x3~0|none~1|+|none~0|skip_connect~1|nor_conv_1x1~2|';
    expect(key(a)).toBe(key(b));
    // ...but not when the ops on the output side are not swapped along with them.
    const c = '|avg_pool_3x3~0|+|nor_conv_3x3~0|none~1|+|none~0|nor_conv_1x1~1|skip_connect~2|';
    expect(key(a)).not.toBe(key(c));
  });

  it('treats skip_connect as the identity', () => {
    // conv3x3 reached through a skip edge vs directly on the input->output edge.
    expect(key('|skip_connect~0|+|none~0|none~1|+|none~0|nor_conv_3x3~1|none~2|'))
      .toBe(key('|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|'));
  });

  it('keeps multiplicity: x + x differs from x', () => {
    expect(key('|skip_connect~0|+|none~0|none~1|+|skip_connect~0|skip_connect~1|none~2|'))
      .not.toBe(key('|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|'));
  });

  it('keeps a shared op instance apart from two separate ones', () => {
    // Both outputs print as avg_pool(conv(x)) + nor_conv_1x1(conv(x)), but in `shared` one conv
    // feeds both (node 2 = skip of node 1), in `separate` two convs with their own weights do.
    const shared = '|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|avg_pool_3x3~1|nor_conv_1x1~2|';
    const separate = '|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|none~0|avg_pool_3x3~1|nor_conv_1x1~2|';
    expect(key(shared)).not.toBe(key(separate));
  });

  it('distinguishes different ops and different wiring', () => {
    expect(key('|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|'))
      .not.toBe(key('|none~0|+|none~0|none~1|+|nor_conv_1x1~0|none~1|none~2|'));
    // conv(conv(x)) vs conv(x) + conv(x)
    expect(key('|nor_conv_3x3~0|+|none~0|none~1|+|none~0|nor_conv_3x3~1|none~2|'))
      .not.toBe(key('|nor_conv_3x3~0|+|none~0|none~1|+|nor_conv_3x3~0|skip_connect~1|none~2|'));
  });
});

describe('classes over all 15,625 cells', () => {
  const cells: NB201Cell[] = allNB201Cells();

  it('canonicalNB201 gives 5,425 classes; lowest index represents each', () => {
    const reps = uniqueRepresentatives(cells);
    expect(reps).toHaveLength(5425);
    expect(reps[0]).toBe(0);
    const repOf = representativeOf(cells);
    expect(new Set(repOf).size).toBe(5425);
    for (let i = 0; i < cells.length; i++) {
      const r = repOf[i]!;
      expect(r).toBeLessThanOrEqual(i);
      expect(canonicalNB201(cells[r]!)).toBe(canonicalNB201(cells[i]!));
    }
    // The all-none cell's class holds every cell with a dead output; its representative is the
    // lowest such index.
    const zero = indexOfArchString('|none~0|+|none~0|none~1|+|none~0|none~1|none~2|');
    expect(reps).toContain(repOf[zero]);
  });

  it('prunedNB201Key gives the 9,445 "non-isomorphic" cells of the zero-cost benchmark suite', () => {
    expect(uniqueRepresentatives(cells, prunedNB201Key)).toHaveLength(9445);
    // It is finer than canonicalNB201: equal pruned keys imply equal canonical keys.
    const canonOfPruned = new Map<string, string>();
    for (const cell of cells) {
      const p = prunedNB201Key(cell);
      const c = canonicalNB201(cell);
      expect(canonOfPruned.get(p) ?? c).toBe(c);
      canonOfPruned.set(p, c);
    }
  });

  it('prunedNB201Key replaces only dead edges', () => {
    expect(prunedNB201Key(parseNB201('|nor_conv_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|none~0|none~1|skip_connect~2|')))
      .toBe('|nor_conv_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|none~0|none~1|skip_connect~2|');
    expect(prunedNB201Key(parseNB201('|none~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|none~0|skip_connect~1|skip_connect~2|')))
      .toBe('|none~0|+|avg_pool_3x3~0|none~1|+|none~0|none~1|skip_connect~2|');
  });
});
