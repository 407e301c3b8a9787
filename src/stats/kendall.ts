/**
 * Kendall's tau-b with ties in both variables, in O(n log n) (Knight 1966, "A computer method for
 * calculating Kendall's tau with ungrouped data", JASA 61:436-439).
 *
 *   tau_b = (n0 - n1 - n2 + n3 - 2·S) / sqrt((n0 - n1)(n0 - n2))
 *
 * with n0 = n(n-1)/2 pairs, n1 = pairs tied in x, n2 = pairs tied in y, n3 = pairs tied in both,
 * and S = discordant pairs. Knight's trick: after sorting by (x, y), a discordant pair is exactly
 * an inversion of the y sequence (pairs tied in x are in y order, so they never count), and the
 * inversions are the swaps a merge sort makes. The numerator is C - D, the concordant minus the
 * discordant pairs, so this equals the brute-force definition exactly: every count is an integer
 * far below 2^53 (n = 423,624 NB101 cells gives n0 ≈ 9·10^10).
 *
 * A constant column makes the denominator 0: the result is NaN with a reason (see pairs.ts).
 */
import { constantColumnReason, finitePairs, type CorrelationResult } from './pairs.ts';

export function kendallTauB(x: ArrayLike<number>, y: ArrayLike<number>): CorrelationResult {
  const p = finitePairs(x, y, 'kendall tau-b');
  const n = p.x.length;
  const reason = constantColumnReason(p.x, p.y);
  if (reason !== undefined) return { value: NaN, n, dropped: p.dropped, reason };

  const px = p.x;
  const py = p.y;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  // Values are finite, so the differences are never NaN; distinct doubles never subtract to 0.
  order.sort((a, b) => px[a] - px[b] || py[a] - py[b]);

  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) ys[i] = py[order[i]];

  // n1: pairs tied in x; n3: pairs tied in x and y (runs of equal y inside a run of equal x).
  let n1 = 0;
  let n3 = 0;
  let xRun = 1;
  let xyRun = 1;
  for (let i = 1; i < n; i++) {
    const sameX = px[order[i]] === px[order[i - 1]];
    if (sameX) {
      xRun++;
      if (ys[i] === ys[i - 1]) {
        xyRun++;
      } else {
        n3 += pairsIn(xyRun);
        xyRun = 1;
      }
    } else {
      n1 += pairsIn(xRun);
      n3 += pairsIn(xyRun);
      xRun = 1;
      xyRun = 1;
    }
  }
  n1 += pairsIn(xRun);
  n3 += pairsIn(xyRun);

  const discordant = sortCountingInversions(ys);

  // ys is now sorted: n2 counts pairs inside runs of equal y.
  let n2 = 0;
  let yRun = 1;
  for (let i = 1; i < n; i++) {
    if (ys[i] === ys[i - 1]) {
      yRun++;
    } else {
      n2 += pairsIn(yRun);
      yRun = 1;
    }
  }
  n2 += pairsIn(yRun);

  const n0 = pairsIn(n);
  const numerator = n0 - n1 - n2 + n3 - 2 * discordant;
  const value = numerator / Math.sqrt((n0 - n1) * (n0 - n2));
  return { value, n, dropped: p.dropped };
}

function pairsIn(run: number): number {
  return (run * (run - 1)) / 2;
}

/**
 * Bottom-up merge sort of `a` in place (ascending), returning the number of inversions: pairs
 * i < j with a[i] > a[j]. Equal values are taken from the left run first, so ties are never
 * counted as inversions.
 */
export function sortCountingInversions(a: Float64Array): number {
  const n = a.length;
  let src: Float64Array = a;
  let dst: Float64Array = new Float64Array(n);
  let inversions = 0;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        if (src[j] < src[i]) {
          dst[k++] = src[j++];
          inversions += mid - i;
        } else {
          dst[k++] = src[i++];
        }
      }
      while (i < mid) dst[k++] = src[i++];
      while (j < hi) dst[k++] = src[j++];
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src !== a) a.set(src);
  return inversions;
}
