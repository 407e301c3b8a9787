/**
 * Ranks with ties given their average rank (the "fractional" or "mid" rank), 1-based, as
 * scipy.stats.rankdata(method='average') and Spearman's rho with ties use.
 */
export function averageRanks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => (v[a] < v[b] ? -1 : v[a] > v[b] ? 1 : 0));
  const ranks = new Float64Array(n);
  let start = 0;
  while (start < n) {
    let end = start + 1;
    while (end < n && v[order[end]] === v[order[start]]) end++;
    // Positions start..end-1 (0-based) share ranks start+1..end: their mean is (start+1+end)/2.
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}
