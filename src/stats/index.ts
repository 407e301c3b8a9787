/** Correlations, intervals and top-k agreement between proxy scores and benchmark accuracies. */
export { type CorrelationResult, finitePairs } from './pairs.ts';
export { kendallTauB } from './kendall.ts';
export { spearman } from './spearman.ts';
export { pearson } from './pearson.ts';
export { averageRanks } from './ranks.ts';
export { correlate, correlateOrReason, isCorrelationMetric, CORRELATION_METRICS, type CorrelationMetric, type MetricResult } from './correlate.ts';
export { bootstrapCI, BOOTSTRAP_DEFAULTS, type BootstrapOptions, type BootstrapInterval, type PairedStatistic } from './bootstrap.ts';
export { topKOverlap, bestRankingAtK, resolveK, type TopK, type TopKResult, type BestRankingResult } from './top-k.ts';
export { meanStd, type MeanStd } from './summary.ts';
export { createPrng, type Prng } from './prng.ts';
export { quantileSorted } from './quantile.ts';
