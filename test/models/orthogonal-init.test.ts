import { describe, expect, it } from 'vitest';
import { drawParam, type DrawSpec } from '../../src/models/init.ts';

/** The tfjs-layout weight as PyTorch's flattened [out, rest] matrix. */
function asTorchMatrix(spec: DrawSpec, v: Float32Array): { rows: number; cols: number; m: Float64Array } {
  if (spec.shape.length === 4) {
    const [kh, kw, inC, outC] = spec.shape as [number, number, number, number];
    const cols = inC * kh * kw;
    const m = new Float64Array(outC * cols);
    for (let o = 0; o < outC; o++) for (let i = 0; i < inC; i++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) m[o * cols + (i * kh + y) * kw + x] = v[((y * kw + x) * inC + i) * outC + o]!;
    return { rows: outC, cols, m };
  }
  const [inF, outF] = spec.shape as [number, number];
  const m = new Float64Array(outF * inF);
  for (let o = 0; o < outF; o++) for (let i = 0; i < inF; i++) m[o * inF + i] = v[i * outF + o]!;
  return { rows: outF, cols: inF, m };
}

/** Max |(W Wᵀ or Wᵀ W) - g² I| over the smaller Gram matrix. */
function gramError({ rows, cols, m }: { rows: number; cols: number; m: Float64Array }, g2: number): number {
  const byRows = rows <= cols;
  const n = byRows ? rows : cols;
  const len = byRows ? cols : rows;
  const at = (a: number, k: number) => (byRows ? m[a * cols + k]! : m[k * cols + a]!);
  let err = 0;
  for (let a = 0; a < n; a++)
    for (let b = 0; b < n; b++) {
      let dot = 0;
      for (let k = 0; k < len; k++) dot += at(a, k) * at(b, k);
      err = Math.max(err, Math.abs(dot - (a === b ? g2 : 0)));
    }
  return err;
}

describe("'orthogonal-critical' initialisation", () => {
  const conv = (shape: number[]): DrawSpec => ({ kind: 'conv', shape, init: { kind: 'torch-default', fanIn: shape[0]! * shape[1]! * shape[2]! }, initKey: `w${shape.join('x')}` });
  it('gives conv weights with W Wᵀ = 2 I (wide) or Wᵀ W = 2 I (tall), the ReLU critical gain √2', () => {
    for (const shape of [[3, 3, 4, 8], [1, 1, 16, 4], [1, 1, 4, 16], [3, 3, 8, 8]]) {
      const spec = conv(shape);
      const v = drawParam(spec, 3, 'orthogonal-critical');
      expect(gramError(asTorchMatrix(spec, v), 2)).toBeLessThan(1e-5);
      // not the identity or a fixed matrix: another seed differs
      expect(Array.from(drawParam(spec, 4, 'orthogonal-critical'))).not.toEqual(Array.from(v));
    }
  });

  it('gives linear weights with gain 1, zero biases and unchanged BN constants', () => {
    const lin: DrawSpec = { kind: 'linear-weight', shape: [20, 10], init: { kind: 'torch-default', fanIn: 20 }, initKey: 'fc' };
    expect(gramError(asTorchMatrix(lin, drawParam(lin, 0, 'orthogonal-critical')), 1)).toBeLessThan(1e-5);
    const bias: DrawSpec = { kind: 'conv-bias', shape: [5], init: { kind: 'torch-default', fanIn: 9 }, initKey: 'b' };
    expect(Array.from(drawParam(bias, 0, 'orthogonal-critical'))).toEqual([0, 0, 0, 0, 0]);
    const gamma: DrawSpec = { kind: 'bn-gamma', shape: [3], init: { kind: 'constant', value: 1 }, initKey: 'g' };
    expect(Array.from(drawParam(gamma, 0, 'orthogonal-critical'))).toEqual([1, 1, 1]);
  });
});
