import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isConvOp, NB201_OPS, type NB201Op } from '../../src/models/nb201-cell.ts';
import { bnNasScore, edgeIndex, liveGammas, opGammaScores, snapshotGammas } from '../../src/proxies/bn-nas.ts';
import { nb101BnNasScoreOf, nb101GammaTable } from '../../src/proxies/bn-nas-nb101.ts';
import { DataError } from '../../src/util/errors.ts';
import { buildNB201Supernet, type NB201Supernet, type SupernetOptions } from '../../src/supernet/nb201-supernet.ts';
import { cellFromArchString } from '../models/arch-string.ts';

const owned: NB201Supernet[] = [];
function supernet(opts: Partial<SupernetOptions> = {}): NB201Supernet {
  const s = buildNB201Supernet({ C: 3, N: 1, numClasses: 10, seed: 1, ...opts });
  owned.push(s);
  return s;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => {
  while (owned.length > 0) owned.pop()!.dispose();
});

const CELL = cellFromArchString('|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|');

describe('BN-NAS indicator', () => {
  it('at initialisation (all gammas 1) scores each conv op 1 and skip/pool/none 0 in the original space', () => {
    const s = supernet({ N: 2 });
    const table = opGammaScores(liveGammas(s.params));
    expect(table.cells).toEqual([0, 1, 3, 4, 6, 7]); // 3 stages x 2 cells; 2 and 5 are reduction blocks
    for (let c = 0; c < table.cells.length; c++)
      for (let e = 0; e < 6; e++)
        NB201_OPS.forEach((op, o) => {
          expect(table.scores[c * 30 + e * 5 + o]).toBe(isConvOp(op) ? 1 : 0);
          expect(table.hasBn[c * 30 + e * 5 + o]).toBe(isConvOp(op) ? 1 : 0);
        });
    // 3 conv edges x 6 cells
    expect(bnNasScore(table, CELL)).toBe(18);
  });

  it('sums mean |gamma| of each edge\'s op over every cell', () => {
    const s = supernet();
    // Give every cell op's gamma a distinct known vector: value (cell + 1) * (edge + 1) * (op + 1) / 10, with signs.
    const expected = new Map<string, number>();
    for (const p of s.params) {
      if (p.kind !== 'bn-gamma' || !p.label) continue;
      const e = edgeIndex(p.label);
      const base = ((p.label.cell + 1) * (e + 1) * (NB201_OPS.indexOf(p.label.op) + 1)) / 10;
      const v = Array.from({ length: p.variable.size }, (_, i) => (i % 2 === 0 ? base : -2 * base));
      p.variable.assign(tf.tensor1d(v));
      expected.set(`${p.label.cell}|${e}|${p.label.op}`, v.reduce((a, x) => a + Math.abs(x), 0) / v.length);
    }
    const table = opGammaScores(liveGammas(s.params));
    let want = 0;
    for (const cell of table.cells) CELL.forEach((op: NB201Op, e) => (want += expected.get(`${cell}|${e}|${op}`) ?? 0));
    expect(want).toBeGreaterThan(0);
    expect(bnNasScore(table, CELL)).toBeCloseTo(want, 5);
    // only the conv edges contribute: skip / pool / none have no BN here
    const convOnly = cellFromArchString('|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|none~0|none~1|nor_conv_3x3~2|');
    expect(bnNasScore(table, convOnly)).toBeCloseTo(want, 5);
    expect(bnNasScore(table, cellFromArchString('|skip_connect~0|+|avg_pool_3x3~0|none~1|+|skip_connect~0|skip_connect~1|avg_pool_3x3~2|'))).toBe(0);
  });

  it('gives every op but none a score in the fair space (a BN after skip and pool too)', () => {
    const s = supernet({ fair: true });
    const table = opGammaScores(liveGammas(s.params));
    NB201_OPS.forEach((op, o) => {
      for (let i = 0; i < table.cells.length * 6; i++) expect(table.scores[i * 5 + o]).toBe(op === 'none' ? 0 : 1);
    });
    expect(bnNasScore(table, CELL)).toBe(3 * 5); // 5 non-none edges x 3 cells
  });

  it('reads training snapshots like live parameters', () => {
    const s = supernet();
    const values = new Map(s.params.filter((p) => p.kind === 'bn-gamma' && p.label).map((p) => [p.name, { values: Float32Array.from(p.variable.dataSync()).map((x) => x * 3) }]));
    const labels = s.params.map(({ name, kind, label }) => ({ name, kind, edge: label }));
    expect(bnNasScore(opGammaScores(snapshotGammas(labels, values)), CELL)).toBeCloseTo(3 * 9, 9);
  });

  it('refuses a snapshot missing a gamma, naming the parameter and the file (no silent 0)', () => {
    const s = supernet();
    const gammas = s.params.filter((p) => p.kind === 'bn-gamma' && p.label);
    const values = new Map(gammas.map((p) => [p.name, { values: p.variable.dataSync() }]));
    const dropped = gammas[3]!.name;
    values.delete(dropped);
    const labels = s.params.map(({ name, kind, label }) => ({ name, kind, edge: label }));
    const call = () => snapshotGammas(labels, values, 'run/snapshot-000100.bin');
    expect(call).toThrow(DataError);
    expect(call).toThrow(`run/snapshot-000100.bin: the snapshot has no value for BN gamma '${dropped}'`);
  });

  it('NB101: a candidate conv with no gamma in the table is an error, a max-pool scores 0', () => {
    const table = nb101GammaTable([{ name: 'g', kind: 'bn-gamma', slot: { module: 0, position: 1, op: 'conv3x3-bn-relu' }, values: [2, -2, 4] }], [{ inChannels: 3, outChannels: 3 }]);
    expect(nb101BnNasScoreOf(table, [{ key: '0:1:conv3x3-bn-relu', channels: 2 }, { key: '0:2:maxpool3x3', channels: 3 }])).toBe(2);
    expect(() => nb101BnNasScoreOf(table, [{ key: '0:2:conv1x1-bn-relu', channels: 3 }])).toThrow(/no BN gamma for op 0:2:conv1x1-bn-relu/);
  });

  it('refuses a supernet without affine BN in its cells', () => {
    const s = supernet({ bn: 'no-affine' });
    expect(() => opGammaScores(liveGammas(s.params))).toThrow(/needs affine BatchNorm/);
  });
});
