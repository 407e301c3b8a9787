/**
 * Combining proxies with a learned model (NAS-Bench-Suite-Zero, Table 9): a gradient-boosted tree
 * model maps a cell's proxy scores (and optionally its encoding) to its accuracy; it is trained on
 * a few cells and its Spearman ρ measured on disjoint test cells, over many random splits.
 *
 * The model is XGBoost itself (the `ml-xgboost` package: XGBoost compiled to WebAssembly), the
 * library NBSZ's code uses, with these choices (NBSZ's config does not fix them in the paper):
 * gbtree, squared error, max_depth 3, eta 0.1, 100 rounds, subsample 1, min_child_weight 1; fixed
 * across runs. Features are each proxy's rank among the pool's cells scaled to [0, 1] (trees are
 * invariant to monotone transforms, and ranks keep proxies spanning decades on one scale); a
 * non-finite score gets -1 (below every rank), so the tree can route it apart instead of the cell
 * being dropped. The encoding: NB201 one-hot op per edge (6 x 5); NB101 the upper-triangular
 * adjacency (padded to 7 vertices) and a one-hot op per vertex.
 */
import { createRequire } from 'node:module';
import { averageRanks } from './ranks.ts';
import { spearman } from './spearman.ts';
import { createPrng } from './prng.ts';
import { meanStd } from './summary.ts';

interface Booster {
  train(x: number[][], y: number[]): void;
  predict(x: number[][]): number[];
  free(): void;
}
type BoosterClass = new (options: Record<string, unknown>) => Booster;

let boosterClass: Promise<BoosterClass> | undefined;
function loadXGBoost(): Promise<BoosterClass> {
  // ml-xgboost's CommonJS entry resolves to a promise of the class once its wasm is instantiated.
  // Its emscripten loader first tries fetch() on a file path, which Node refuses, prints two
  // warnings and falls back to reading the file: those two lines are dropped while it loads.
  if (!boosterClass) {
    const warn = console.warn;
    const quiet = (...args: unknown[]): void => {
      const text = String(args[0]);
      if (!text.startsWith('wasm streaming compile failed') && !text.startsWith('falling back to ArrayBuffer')) warn(...args);
    };
    console.warn = quiet;
    boosterClass = (createRequire(import.meta.url)('ml-xgboost') as Promise<BoosterClass>).finally(() => {
      if (console.warn === quiet) console.warn = warn;
    });
  }
  return boosterClass;
}

export const XGBOOST_PARAMS = { booster: 'gbtree', objective: 'reg:linear', max_depth: 3, eta: 0.1, subsample: 1, min_child_weight: 1, silent: 1, iterations: 100 } as const;

/** Proxy scores as rank features in [0, 1]; non-finite scores -> -1. */
export function rankFeatures(columns: readonly Float64Array[]): number[][] {
  const n = columns[0]?.length ?? 0;
  const cols = columns.map((c) => {
    const finiteIdx = [...c.keys()].filter((i) => Number.isFinite(c[i]!));
    const r = averageRanks(Float64Array.from(finiteIdx, (i) => c[i]!));
    const out = new Float64Array(n).fill(-1);
    finiteIdx.forEach((i, j) => (out[i] = finiteIdx.length > 1 ? (r[j]! - 1) / (finiteIdx.length - 1) : 0.5));
    return out;
  });
  return Array.from({ length: n }, (_, i) => cols.map((c) => c[i]!));
}

export interface CombinationResult {
  /** Spearman ρ on the test cells, per split. */
  values: number[];
  mean: number;
  std: number;
  train: number;
  test: number;
}

/**
 * Trains on `train` random cells and tests on `test` disjoint ones, `splits` times (seeded).
 * Cells whose accuracy is not finite are left out of the pool first.
 */
export async function combineProxies(features: readonly number[][], accuracy: Float64Array, o: { train: number; test: number; splits: number; seed: number }): Promise<CombinationResult> {
  const pool = [...accuracy.keys()].filter((i) => Number.isFinite(accuracy[i]!));
  if (o.train + o.test > pool.length) throw new RangeError(`proxy combination: ${o.train} train + ${o.test} test cells, but only ${pool.length} cells have ground truth`);
  if (o.train < 2 || o.test < 2) throw new RangeError('proxy combination needs at least 2 train and 2 test cells');
  const XGBoost = await loadXGBoost();
  const rng = createPrng(o.seed);
  const values: number[] = [];
  for (let s = 0; s < o.splits; s++) {
    const idx = [...pool];
    for (let i = 0; i < o.train + o.test; i++) {
      const j = i + rng.nextInt(idx.length - i);
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    const tr = idx.slice(0, o.train);
    const te = idx.slice(o.train, o.train + o.test);
    const booster = new XGBoost({ ...XGBOOST_PARAMS });
    try {
      booster.train(tr.map((i) => [...features[i]!]), tr.map((i) => accuracy[i]!));
      const pred = booster.predict(te.map((i) => [...features[i]!]));
      values.push(spearman(Float64Array.from(pred), Float64Array.from(te, (i) => accuracy[i]!)).value);
    } finally {
      booster.free();
    }
  }
  const finite = values.filter(Number.isFinite);
  const { mean, std } = finite.length > 0 ? meanStd(finite) : { mean: NaN, std: NaN };
  return { values, mean, std, train: o.train, test: o.test };
}
