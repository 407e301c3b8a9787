import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { computeVertexChannels, nb101Cost, planNB101Module } from '../../src/models/nb101-cost.ts';
import { specFromStrings, validateSpec, type ModelSpec } from '../../src/spaces/nb101.ts';
import { dataFile } from '../helpers/data.ts';

interface Row {
  hash: string;
  spec: ModelSpec;
  params: number;
}

function readCells(): Row[] {
  const lines = readFileSync(dataFile('nb101', 'nb101-cells-1k.csv'), 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`column ${name} missing`);
    return i;
  };
  const [hashCol, adjCol, opsCol, paramsCol] = ['hash', 'adjacency_rowmajor', 'ops', 'trainable_parameters'].map(col);
  return lines.slice(1).map((line) => {
    const f = line.split(',');
    return { hash: f[hashCol!]!, spec: specFromStrings(f[adjCol!]!, f[opsCol!]!, '|'), params: Number(f[paramsCol!]) };
  });
}

describe('computeVertexChannels', () => {
  it('splits the output channels over the vertices feeding the output, extra channels first', () => {
    // input -> 1 -> 2 -> output, input -> 3 -> output, 1 -> 3, 2 -> output: vertices 2 and 3 feed
    // the output (128 / 2 each); vertex 1 feeds 2 and 3.
    const m = [
      [0, 1, 0, 1, 0],
      [0, 0, 1, 1, 0],
      [0, 0, 0, 0, 1],
      [0, 0, 0, 0, 1],
      [0, 0, 0, 0, 0],
    ];
    expect(computeVertexChannels(64, 128, m)).toEqual([64, 64, 64, 64, 128]);
    expect(computeVertexChannels(64, 127, m)).toEqual([64, 64, 64, 63, 127]);
    // Three vertices feeding the output: 128 = 43 + 43 + 42.
    const three = [
      [0, 1, 1, 1, 0],
      [0, 0, 0, 0, 1],
      [0, 0, 0, 0, 1],
      [0, 0, 0, 0, 1],
      [0, 0, 0, 0, 0],
    ];
    expect(computeVertexChannels(128, 128, three)).toEqual([128, 43, 43, 42, 128]);
  });

  it('plans truncation only where a predecessor has one extra channel', () => {
    const spec = validateSpec({
      matrix: [
        [0, 1, 1, 1, 0],
        [0, 0, 0, 1, 1],
        [0, 0, 0, 0, 1],
        [0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0],
      ],
      ops: ['input', 'conv3x3-bn-relu', 'maxpool3x3', 'conv1x1-bn-relu', 'output'],
    });
    const plan = planNB101Module(spec, 128, 128);
    expect(plan.vertexChannels).toEqual([128, 43, 43, 42, 128]);
    expect(plan.interior.map((v) => v.from)).toEqual([[], [], [1]]);
  });
});

describe('nb101Cost', () => {
  it('equals trainable_parameters for all 1,000 cells of the shared table (stem 128)', () => {
    const rows = readCells();
    expect(rows.length).toBe(1000);
    const mismatches = rows.filter((r) => nb101Cost(r.spec).params !== r.params);
    expect(mismatches.map((r) => `${r.hash}: ours ${nb101Cost(r.spec).params}, file ${r.params}`)).toEqual([]);
  });

  it('counts the smallest cell (input -> output only) by hand', () => {
    const spec = { matrix: [[0, 1], [0, 0]], ops: ['input', 'output'] };
    const S = 8;
    // stem 3x3 conv + BN; each module is one projection conv1x1 + BN; dense.
    let expected = 27 * S + 2 * S;
    const shapes: [number, number][] = [[S, S], [S, S], [S, S], [S, 2 * S], [2 * S, 2 * S], [2 * S, 2 * S], [2 * S, 4 * S], [4 * S, 4 * S], [4 * S, 4 * S]];
    for (const [i, o] of shapes) expected += i * o + 2 * o;
    expected += 4 * S * 10 + 10;
    expect(nb101Cost(spec, { stemChannels: S }).params).toBe(expected);
  });

  it('prunes before counting (a dangling vertex adds nothing)', () => {
    const base = {
      matrix: [
        [0, 1, 0],
        [0, 0, 1],
        [0, 0, 0],
      ],
      ops: ['input', 'conv3x3-bn-relu', 'output'],
    };
    const dangling = {
      matrix: [
        [0, 1, 1, 0],
        [0, 0, 0, 1],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
      ],
      ops: ['input', 'conv3x3-bn-relu', 'conv3x3-bn-relu', 'output'],
    };
    // Vertex 2 has no out-edge: pruned away, leaving `base`.
    expect(nb101Cost(dangling)).toEqual(nb101Cost(base));
  });
});
