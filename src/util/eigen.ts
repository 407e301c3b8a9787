/**
 * Float64 linear algebra for jacob_cov (tfjs has no float64): numpy's corrcoef over rows and the
 * eigenvalues of a symmetric matrix (cyclic Jacobi rotations).
 */

/**
 * np.corrcoef(X) for X of n rows (variables) by d columns (observations), row-major: the n x n
 * matrix cov_ij / sqrt(cov_ii cov_jj) (the ddof cancels), entries clipped to [-1, 1] as numpy
 * does. A constant row gives NaN in its row and column (numpy: 0/0 with a warning).
 */
export function corrcoef(x: ArrayLike<number>, n: number, d: number): Float64Array {
  if (x.length !== n * d) throw new RangeError(`corrcoef: expected ${n}x${d} values, got ${x.length}`);
  const centred = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let k = 0; k < d; k++) mean += x[i * d + k]!;
    mean /= d;
    for (let k = 0; k < d; k++) centred[i * d + k] = x[i * d + k]! - mean;
  }
  const cov = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += centred[i * d + k]! * centred[j * d + k]!;
      cov[i * n + j] = s;
      cov[j * n + i] = s;
    }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const r = cov[i * n + j]! / Math.sqrt(cov[i * n + i]! * cov[j * n + j]!);
      out[i * n + j] = Number.isNaN(r) ? r : Math.min(1, Math.max(-1, r));
    }
  return out;
}

/**
 * Eigenvalues (ascending) of a symmetric n x n matrix, row-major, by cyclic Jacobi rotations until
 * the off-diagonal mass is below 1e-14 of the total (at most 100 sweeps). Non-finite input gives
 * NaN eigenvalues.
 */
export function symmetricEigenvalues(a: ArrayLike<number>, n: number): Float64Array {
  if (a.length !== n * n) throw new RangeError(`symmetricEigenvalues: expected ${n}x${n} values, got ${a.length}`);
  const m = Float64Array.from(a);
  for (const v of m) if (!Number.isFinite(v)) return new Float64Array(n).fill(NaN);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < i; j++) {
      if (Math.abs(m[i * n + j]! - m[j * n + i]!) > 1e-9 * (Math.abs(m[i * n + j]!) + Math.abs(m[j * n + i]!) + 1e-300)) {
        throw new RangeError('symmetricEigenvalues: matrix is not symmetric');
      }
    }
  let total = 0;
  for (const v of m) total += v * v;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) off += m[i * n + j]! ** 2;
    if (off <= 1e-28 * total || off === 0) break;
    for (let p = 0; p < n - 1; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (apq === 0) continue;
        const app = m[p * n + p]!;
        const aqq = m[q * n + q]!;
        // rotation angle zeroing (p, q): tan(2θ) = 2 apq / (aqq - app), stable form
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          // columns p and q
          const akp = m[k * n + p]!;
          const akq = m[k * n + q]!;
          m[k * n + p] = c * akp - s * akq;
          m[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          // rows p and q
          const apk = m[p * n + k]!;
          const aqk = m[q * n + k]!;
          m[p * n + k] = c * apk - s * aqk;
          m[q * n + k] = s * apk + c * aqk;
        }
      }
  }
  const ev = new Float64Array(n);
  for (let i = 0; i < n; i++) ev[i] = m[i * n + i]!;
  return ev.sort();
}
