import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NB201_OPS } from '../../src/models/nb201-cell.ts';
import {
  argmaxCell,
  initialAlpha,
  initialCandidates,
  iterativeZerosSearch,
  opsToRemove,
  runFreeDarts,
} from '../../src/search/freedarts.ts';
import { createZerosScorer, SensitivityError, type ZerosScorer } from '../../src/search/zeros.ts';
import { buildNB201Supernet, type NB201Supernet, type SupernetOptions } from '../../src/supernet/nb201-supernet.ts';

// Tiny supernets (C = 2 or 3, N = 1, 8x8 input) keep these tests light on the shared 2-core machine.
const TINY = { C: 3, N: 1, numClasses: 3, bn: 'none-in-cells', seed: 1 } satisfies SupernetOptions;
const TINY_SEARCH = { C: 3, N: 1, numClasses: 3, inputSize: 8 } as const;
const NONE = NB201_OPS.indexOf('none');

const owned: Array<NB201Supernet | ZerosScorer> = [];
function supernet(opts: Partial<SupernetOptions> = {}): NB201Supernet {
  const sn = buildNB201Supernet({ ...TINY, ...opts });
  owned.push(sn);
  return sn;
}
function scorer(sn: NB201Supernet, rescale = true): ZerosScorer {
  const sc = createZerosScorer(sn, { inputSize: 8, rescale });
  owned.push(sc);
  return sc;
}
function alphaTensor(values: ArrayLike<number>): tf.Tensor2D {
  return tf.tensor2d(Array.from(values), [6, 5]);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(() => {
  while (owned.length > 0) owned.pop()!.dispose();
});

describe('ZEROS', () => {
  it('equals |alpha · dR/dalpha| by central finite differences of R', async () => {
    const sn = supernet();
    const sc = scorer(sn);
    // alpha in [0.5, 1.5]: a step of 1e-2 changes R well above float32 noise.
    const a0 = Float32Array.from({ length: 30 }, (_, i) => 0.5 + ((i * 37) % 30) / 30);
    const active = initialCandidates(true);
    const { logZeros, logAbsR, signR } = await sc.score(alphaTensor(a0), active);
    const R = await sc.objective(alphaTensor(a0), active);
    expect(Math.log(Math.abs(R))).toBeCloseTo(logAbsR, 4);
    expect(Math.sign(R)).toBe(signR);
    const h = 1e-2;
    let checked = 0;
    for (let e = 0; e < 6; e++) {
      for (let o = 0; o < 5; o++) {
        const i = e * 5 + o;
        const plus = Float32Array.from(a0);
        const minus = Float32Array.from(a0);
        plus[i] += h;
        minus[i] -= h;
        const dR = (await sc.objective(alphaTensor(plus), active) - await sc.objective(alphaTensor(minus), active)) / (2 * h);
        const fd = Math.abs(a0[i]! * dR);
        if (o === NONE) {
          // `none` outputs zeros: R does not depend on its alpha at all.
          expect(logZeros[e]![o]).toBe(-Infinity);
          expect(Math.abs(dR)).toBeLessThan(1e-4 * Math.abs(R));
          continue;
        }
        expect(Math.abs(Math.exp(logZeros[e]![o]!) - fd) / fd, `edge ${e} op ${NB201_OPS[o]}`).toBeLessThan(2e-2);
        checked++;
      }
    }
    expect(checked).toBe(24);
  });

  it('rescaled and plain passes agree where float32 suffices', async () => {
    const sn = supernet();
    const alpha = alphaTensor(initialAlpha(3, 'abs-randn', 1e-3));
    const a = await scorer(sn, true).score(alpha, initialCandidates(false));
    const b = await scorer(sn, false).score(alpha, initialCandidates(false));
    for (let e = 0; e < 6; e++) {
      for (let o = 0; o < 5; o++) {
        if (o === NONE) continue;
        expect(a.logZeros[e]![o]!).toBeCloseTo(b.logZeros[e]![o]!, 3);
      }
    }
  });

  it('raises SensitivityError for a non-finite pass instead of returning scores', async () => {
    // NaN weights: the guard, not a NaN comparison, decides.
    const sn = supernet();
    // cells.2 is the middle stage's cell (cells.1 and cells.3 are the reduction blocks at N = 1).
    const conv = sn.params.find((p) => p.name === 'cells.2.layers.0.nor_conv_3x3.op.1.weight')!;
    conv.variable.assign(tf.fill(conv.variable.shape, NaN));
    const sc = scorer(sn);
    const alpha = alphaTensor(initialAlpha(0, 'abs-randn', 1e-3));
    await expect(sc.score(alpha, initialCandidates(false))).rejects.toThrow(SensitivityError);
    await expect(iterativeZerosSearch(sc, alpha, initialCandidates(false), 'per-edge')).rejects.toThrow(/not finite|NaN/);
    try {
      await sc.score(alpha, initialCandidates(false));
      expect.unreachable();
    } catch (e) {
      expect((e as SensitivityError).name).toBe('SensitivityError');
      expect((e as SensitivityError).kind).toBe('non-finite');
    }
  });

  it('raises SensitivityError when float32 overflows without rescaling, and not with it', async () => {
    const sn = supernet({ N: 3 });
    for (const p of sn.params) p.variable.assign(tf.mul(p.variable, 1e3));
    const alpha = alphaTensor(initialAlpha(0, 'ones', 1));
    await expect(scorer(sn, false).score(alpha, initialCandidates(false))).rejects.toThrow(SensitivityError);
    const pass = await scorer(sn, true).score(alpha, initialCandidates(false));
    expect(pass.logAbsR).toBeGreaterThan(88.8); // ln(float32 max) = 88.7
    for (const row of pass.logZeros) for (const [o, v] of row.entries()) if (o !== NONE) expect(Number.isFinite(v)).toBe(true);
  });
});

describe('FreeDARTS search', () => {
  it.each(['per-edge', 'global'] as const)('iterative (%s) ends with exactly one op per edge, never none without allowNone', async (removal) => {
    for (const seed of [0, 1, 2]) {
      for (const alphaInit of ['abs-randn', 'ones'] as const) {
        const r = await runFreeDarts({ ...TINY_SEARCH, seed, alphaInit, removal });
        expect(r.iterative.cell).toHaveLength(6);
        expect(r.iterative.cell).not.toContain('none');
        // 4 candidates per edge: 3 removals per edge, all at once (per-edge) or one per pass (global).
        expect(r.iterative.passes).toBe(removal === 'per-edge' ? 3 : 18);
        const removed = r.iterative.steps.flatMap((s) => s.removed);
        expect(removed).toHaveLength(18);
        for (let e = 0; e < 6; e++) {
          const gone = removed.filter((x) => x.edge === e).map((x) => x.op);
          expect(new Set(gone).size).toBe(3);
          expect(gone).not.toContain(r.iterative.cell[e]);
          expect([...gone, r.iterative.cell[e]].sort()).toEqual(NB201_OPS.filter((op) => op !== 'none').sort());
        }
        if (removal === 'per-edge') for (const s of r.iterative.steps) expect(s.removed).toHaveLength(6);
        else for (const s of r.iterative.steps) expect(s.removed).toHaveLength(1);
      }
    }
  });

  it('removes the least sensitive candidate: per edge, or the global minimum', async () => {
    const scores = Array.from({ length: 6 }, (_, e) => NB201_OPS.map((_, o) => (o === NONE ? -Infinity : e + 10 * o - 20 * (o === 2 && e === 4 ? 1 : 0))));
    const active = initialCandidates(false);
    // Per edge: skip_connect (o = 1, score e + 10) is the smallest candidate everywhere but on edge 4,
    // where nor_conv_1x1 scores 4 + 20 - 20 = 4 < 14.
    expect(opsToRemove(scores, active, 'per-edge')).toEqual(Array.from({ length: 6 }, (_, e) => ({ edge: e, op: e === 4 ? 2 : 1 })));
    // Globally: edge 4's nor_conv_1x1 (4) is below every skip_connect (10 and up).
    expect(opsToRemove(scores, active, 'global')).toEqual([{ edge: 4, op: 2 }]);
    // `none` is never compared unless it is a candidate.
    const withNone = initialCandidates(true);
    expect(opsToRemove(scores, withNone, 'per-edge').every((x) => x.op === NONE)).toBe(true);
  });

  it('with allowNone, none (ZEROS = 0) goes in the first pass and the search takes one pass more', async () => {
    const r = await runFreeDarts({ ...TINY_SEARCH, seed: 4, allowNone: true });
    expect(r.iterative.passes).toBe(4);
    expect(r.iterative.steps[0]!.removed.every((x) => x.op === 'none')).toBe(true);
    expect(r.iterative.cell).not.toContain('none');
  });

  it('one-shot is the per-edge argmax of the first pass', async () => {
    for (const seed of [0, 5]) {
      const r = await runFreeDarts({ ...TINY_SEARCH, seed, alphaInit: 'ones' });
      const first = r.iterative.steps[0]!.logZeros;
      const manual = first.map((row) => {
        let best = 1;
        for (let o = 2; o < 5; o++) if (row[o]! > row[best]!) best = o;
        return NB201_OPS[best];
      });
      expect(r.oneShot.cell).toEqual(manual);
      expect(argmaxCell(first, initialCandidates(false))).toEqual(manual);
      expect(r.oneShot.passes).toBe(1);
      expect(r.oneShot.seconds).toBeLessThanOrEqual(r.iterative.seconds);
      // Deterministic per seed.
      expect((await runFreeDarts({ ...TINY_SEARCH, seed, alphaInit: 'ones' })).iterative.cell).toEqual(r.iterative.cell);
    }
  });

  it('refuses to choose on an edge whose candidates all score 0 (degenerate), instead of picking none', async () => {
    const fake: ZerosScorer = {
      score: async () => ({
        logZeros: Array.from({ length: 6 }, (_, e) => NB201_OPS.map((_, o) => (e === 2 || o === NONE ? -Infinity : o))),
        logAbsR: 0,
        signR: 1,
      }),
      objective: async () => 1,
      dispose: () => undefined,
    };
    const alpha = tf.ones([6, 5]) as tf.Tensor2D;
    for (const allowNone of [false, true]) {
      await expect(iterativeZerosSearch(fake, alpha, initialCandidates(allowNone), 'per-edge')).rejects.toThrow(SensitivityError);
      await expect(iterativeZerosSearch(fake, alpha, initialCandidates(allowNone), 'per-edge')).rejects.toThrow(/edge 2/);
    }
  });

  it('draws alpha from the seed: |1e-3 N(0,1)| by default, reproducible, ones on request', async () => {
    const a = initialAlpha(7, 'abs-randn', 1e-3);
    expect(Array.from(initialAlpha(7, 'abs-randn', 1e-3))).toEqual(Array.from(a));
    expect(Array.from(initialAlpha(8, 'abs-randn', 1e-3))).not.toEqual(Array.from(a));
    expect(a.every((v) => v >= 0 && v < 6e-3)).toBe(true);
    const signed = initialAlpha(7, 'randn', 1e-3);
    expect(Array.from(signed, Math.abs)).toEqual(Array.from(a));
    expect(signed.some((v) => v < 0)).toBe(true);
    expect(initialAlpha(7, 'ones', 1e-3).every((v) => v === 1)).toBe(true);
    expect(() => initialAlpha(7, 'softmax' as never, 1e-3)).toThrow(RangeError);
    await expect(runFreeDarts({ ...TINY_SEARCH, seed: 0, removal: 'random' as never })).rejects.toThrow(RangeError);
  });

  it('leaks no tensors', async () => {
    await runFreeDarts({ ...TINY_SEARCH, seed: 0 });
    const before = tf.memory().numTensors;
    await runFreeDarts({ ...TINY_SEARCH, seed: 1, removal: 'global' });
    expect(tf.memory().numTensors).toBe(before);
  });
});
