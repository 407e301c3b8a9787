import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/util/errors.ts';
import {
  NASLIB_OPS,
  NB201_OPS,
  archStringToNASLib,
  edgeOp,
  formatNB201,
  fromNASLib,
  naslibToArchString,
  nb201Cell,
  parseNB201,
  toNASLib,
} from '../../src/spaces/nb201.ts';
import {
  allNB201Cells,
  archStringFromIndex,
  cellFromIndex,
  indexOfArchString,
  indexOfCell,
} from '../../src/spaces/nb201-index.ts';
import { PythonRandom } from '../../src/spaces/nb201-python-random.ts';
import { dataFile } from '../helpers/data.ts';

const RESNET = '|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|';

/** index -> arch from the shared table (columns index, arch; arch strings contain no commas). */
function officialArchs(): Map<number, string> {
  const text = readFileSync(dataFile('nb201', 'nb201-accuracies.csv'), 'utf8');
  const [header, ...rows] = text.trim().split('\n');
  expect(header!.split(',').slice(0, 2)).toEqual(['index', 'arch']);
  return new Map(rows.map((row) => {
    const [index, arch] = row.split(',');
    return [Number(index), arch!];
  }));
}

describe('NB201 arch string', () => {
  it('parses edges into the string order and formats back to the same text', () => {
    const cell = parseNB201(RESNET);
    expect(cell.ops).toEqual(['nor_conv_3x3', 'none', 'nor_conv_3x3', 'skip_connect', 'none', 'skip_connect']);
    expect(edgeOp(cell, 1, 2)).toBe('nor_conv_3x3');
    expect(edgeOp(cell, 2, 3)).toBe('skip_connect');
    expect(formatNB201(cell)).toBe(RESNET);
  });

  const bad: [string, string, RegExp][] = [
    ['unknown op', RESNET.replace('nor_conv_3x3~0|+', 'conv_5x5~0|+'), /unknown op "conv_5x5"/],
    ['too few node groups', '|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|', /expected 3 node groups.*found 2/],
    ['too many node groups', `${RESNET}+|none~0|`, /found 4/],
    ['missing edge', '|nor_conv_3x3~0|+|none~0|+|skip_connect~0|none~1|skip_connect~2|', /node 2 must have 2 input edge\(s\), found 1/],
    ['extra edge', '|nor_conv_3x3~0|none~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|', /node 1 must have 1/],
    ['wrong input index', '|nor_conv_3x3~0|+|none~0|nor_conv_3x3~0|+|skip_connect~0|none~1|skip_connect~2|', /edge 2 of node 2 must come from node 1, found input "0"/],
    ['non-numeric input', '|nor_conv_3x3~a|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|', /must come from node 0, found input "a"/],
    ['missing leading bar', RESNET.slice(1), /node 1 group .* must start and end with '\|'/],
    ['missing trailing bar', RESNET.slice(0, -1), /node 3 group .* must start and end with '\|'/],
    ['missing inner bar', '|nor_conv_3x3~0|+|none~0nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|', /node 2 must have 2 input edge\(s\), found 1 .*a missing '\|'/],
    ['two tildes in one edge', '|nor_conv_3x3~0~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|', /not of the form op~input/],
    ['empty', '', /expected 3 node groups/],
  ];
  it.each(bad)('rejects %s with a DataError quoting the string', (_name, arch, why) => {
    let error: unknown;
    try {
      parseNB201(arch);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DataError);
    expect((error as Error).message).toContain(JSON.stringify(arch));
    expect((error as Error).message).toMatch(why);
  });
});

describe('NB201 index (order of the official meta_archs)', () => {
  it('reproduces the positions generate_meta_info asserts', () => {
    expect(archStringFromIndex(0)).toBe('|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|');
    expect(archStringFromIndex(9)).toBe('|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|');
    expect(archStringFromIndex(123)).toBe('|avg_pool_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|');
  });

  it('matches all 15,625 rows of the official table in both directions', () => {
    const official = officialArchs();
    expect(official.size).toBe(15625);
    const cells = allNB201Cells();
    let mismatches = 0;
    for (const [index, arch] of official) {
      if (archStringFromIndex(index) !== arch || indexOfArchString(arch) !== index) mismatches++;
      if (formatNB201(cells[index]!) !== arch) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('rejects indices outside 0..15624', () => {
    expect(() => cellFromIndex(15625)).toThrow(DataError);
    expect(() => cellFromIndex(-1)).toThrow(DataError);
    expect(() => cellFromIndex(1.5)).toThrow(/not an integer in 0..15624/);
  });

  it('CPython random port matches known CPython outputs', () => {
    // random.seed(0); random.random() and random.seed(42); random.random() in CPython 3.
    expect(new PythonRandom(0).random()).toBe(0.8444218515250481);
    expect(new PythonRandom(42).random()).toBe(0.6394267984578837);
    // The MT19937 reference vector: init_by_array({0x123, 0x234, 0x345, 0x456}) first output.
    expect(new PythonRandom([0x123, 0x234, 0x345, 0x456]).uint32()).toBe(1067595299);
  });
});

describe('NASLib 6-tuple', () => {
  it('uses NASLib edge order and op ids', () => {
    // NASLib edge (1,2) = NB201 0->1, (1,3) = 0->2, (1,4) = 0->3, (2,3) = 1->2, (2,4) = 1->3, (3,4) = 2->3.
    expect(archStringToNASLib(RESNET)).toEqual([2, 1, 0, 2, 1, 0]);
    expect(naslibToArchString([2, 1, 0, 2, 1, 0])).toBe(RESNET);
    expect(NASLIB_OPS.indexOf('skip_connect')).toBe(0);
    expect(NASLIB_OPS.indexOf('none')).toBe(1);
    expect(NASLIB_OPS.indexOf('nor_conv_3x3')).toBe(2);
    expect(NASLIB_OPS.indexOf('nor_conv_1x1')).toBe(3);
    expect(NASLIB_OPS.indexOf('avg_pool_3x3')).toBe(4);
    // Edge order differs from the string's: (1,4) is position 2 in NASLib but position 3 (0->3) in the string.
    const cell = fromNASLib([1, 1, 4, 1, 1, 1]);
    expect(formatNB201(cell)).toBe('|none~0|+|none~0|none~1|+|avg_pool_3x3~0|none~1|none~2|');
  });

  it('round-trips every cell both ways', () => {
    const seenTuples = new Set<string>();
    for (const cell of allNB201Cells()) {
      const tuple = toNASLib(cell);
      seenTuples.add(tuple.join(''));
      const back = fromNASLib(tuple);
      expect(back.ops).toEqual(cell.ops);
      expect(archStringToNASLib(naslibToArchString(tuple))).toEqual(tuple);
      expect(indexOfCell(back)).toBe(indexOfCell(cell));
    }
    expect(seenTuples.size).toBe(15625);
  });

  it('rejects bad tuples', () => {
    expect(() => fromNASLib([0, 1, 2, 3, 4])).toThrow(DataError);
    expect(() => fromNASLib([0, 1, 2, 3, 4, 5])).toThrow(/op id 5 at position 5/);
    expect(() => nb201Cell(['none', 'none', 'none', 'none', 'none', 'max_pool'])).toThrow(/unknown NB201 op/);
    expect(NB201_OPS).toHaveLength(5);
  });
});
