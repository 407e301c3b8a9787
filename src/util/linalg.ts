/**
 * Small dense linear algebra in float64 (tfjs has no float64 tensors). NASWOT's score is
 * log|det K| of a batch x batch matrix (128 x 128), which float32 would round badly, so the
 * determinant is taken here on plain JS numbers.
 */

/**
 * log |det A| of a square matrix given row-major, by LU decomposition with partial pivoting
 * (what numpy.linalg.slogdet does through LAPACK getrf). Returns -Infinity for a singular matrix,
 * as slogdet does. The input is not modified.
 */
export function logAbsDet(a: Float64Array | number[], n: number): number {
  if (a.length !== n * n) throw new Error(`logAbsDet: expected ${n * n} entries for ${n}x${n}, got ${a.length}`);
  const m = Float64Array.from(a);
  let logDet = 0;
  for (let k = 0; k < n; k++) {
    // Partial pivoting: the largest magnitude in column k at or below the diagonal.
    let p = k;
    let best = Math.abs(m[k * n + k]!);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(m[i * n + k]!);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    if (best === 0) return -Infinity;
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = m[k * n + j]!;
        m[k * n + j] = m[p * n + j]!;
        m[p * n + j] = t;
      }
    }
    const pivot = m[k * n + k]!;
    logDet += Math.log(Math.abs(pivot));
    for (let i = k + 1; i < n; i++) {
      const f = m[i * n + k]! / pivot;
      if (f === 0) continue;
      for (let j = k + 1; j < n; j++) m[i * n + j] = m[i * n + j]! - f * m[k * n + j]!;
    }
  }
  return logDet;
}
