/**
 * What every experiment gets from the runner (`make reproduce-nb201`): where the data, the store,
 * the cache and the results are, which cells to score, and the engine settings.
 */
import type { BenchmarkStore } from '../benchmarks/store.ts';
import type { BackendName } from '../engine/backend.ts';
import type { PublishedTable } from '../report/published.ts';
import type { CellSelection } from '../scoring/cell-selection.ts';

export interface ExperimentContext {
  dataDir: string;
  store: BenchmarkStore;
  published: PublishedTable;
  selection: CellSelection;
  cacheDir: string;
  outDir: string;
  backend?: BackendName;
  workers?: number;
  /** Seeds of the image batch and of the weights (one run; the papers report one run too). */
  batchSeed: number;
  initSeed: number;
  /** Overrides every proxy's reference batch size (quick runs and tests only; reports say so). */
  batchSize?: number;
}

/** What an experiment hands back for the summary page. */
export interface ExperimentOutput {
  name: string;
  /** Markdown sections (tables and the settings they came from). */
  markdown: string;
  /** Files written, relative to the results directory. */
  files: string[];
}
