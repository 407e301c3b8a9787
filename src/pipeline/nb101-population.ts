/**
 * The NB101 cells an experiment can correlate, and their ground truth, for the correlation
 * runner (correlation-runner.ts) and the supernet experiments.
 *
 * Candidates: rows with a finite 108-epoch CIFAR-10 validation accuracy and a known matrix. The
 * shared data has two kinds of NB101 rows: the official tfrecord's (origin 'nb101': matrix and
 * ops included) and the CSV tables' (origin 'nb101-csv': often a hash only). A hash-only row
 * gets its matrix from the enumerated space store (`nasrepro nb101 enumerate`) when it exists.
 *
 * Ground truth, per cell: the tfrecord's value where the store has it, else the CSV's (both are
 * one training run at 108 epochs; the shared data has no test accuracy, which the papers used).
 * The label names both origins and their files, and every row says "validation, not test".
 */
import type { BenchmarkStore } from '../benchmarks/store.ts';
import { nb101SpecOf } from '../benchmarks/nb101-space-store.ts';
import { selectIndices } from '../datasets/batch.ts';
import type { ScoreTask } from '../scoring/score-job.ts';
import type { ModelSpec } from '../spaces/nb101.ts';
import type { CellPopulation } from './context.ts';
import { originWithFiles, type GroundTruth } from './ground-truth.ts';

/** Origins of NB101 108-epoch validation accuracy, preferred first. */
export const NB101_TRUTH_ORIGINS = ['nb101', 'nb101-csv'] as const;
const VALID_108 = { dataset: 'cifar10', split: 'valid', epochs: 108 } as const;

export interface NB101Candidate {
  hash: string;
  spec: ModelSpec;
  /** Row in the benchmark store. */
  row: number;
  accuracy: number;
  origin: string;
}

function truthColumns(store: BenchmarkStore): { origin: string; values: Float64Array }[] {
  return NB101_TRUTH_ORIGINS.filter((o) => store.columns.some((c) => c.origin === o && c.split === 'valid' && c.epochs === 108)).map((origin) => ({
    origin,
    values: store.column({ ...VALID_108, origin }),
  }));
}

/** Cells with a finite 108-epoch validation accuracy and a known matrix; counts the join. */
export function nb101Candidates(store: BenchmarkStore, space?: BenchmarkStore): { cells: NB101Candidate[]; joined: number; withoutMatrix: number } {
  const columns = truthColumns(store);
  const cells: NB101Candidate[] = [];
  let joined = 0;
  let withoutMatrix = 0;
  for (let row = 0; row < store.size; row++) {
    const col = columns.find((c) => Number.isFinite(c.values[row]!));
    if (!col) continue;
    const hash = store.keys[row]!;
    let spec = nb101SpecOf(store, row);
    if (!spec && space) {
      const r = space.rowOf(hash);
      spec = r === undefined ? undefined : nb101SpecOf(space, r);
      if (spec) joined++;
    }
    if (!spec) {
      withoutMatrix++;
      continue;
    }
    cells.push({ hash, spec, row, accuracy: col.values[row]!, origin: col.origin });
  }
  return { cells, joined, withoutMatrix };
}

/**
 * A seeded uniform sample of `size` candidates in sample order (so every prefix is a uniform
 * sample too, which is what lets a slow proxy score a prefix), or all of them in store order.
 */
export function sampleNB101(all: readonly NB101Candidate[], size: number | undefined, seed: number): NB101Candidate[] {
  return size === undefined || size >= all.length ? [...all] : selectIndices(all.length, size, seed).map((i) => all[i]!);
}

/** The runner's population of NB101 cells (keys are module hashes; truth rows are store rows). */
export function nb101Population(store: BenchmarkStore, cells: readonly NB101Candidate[], totalCandidates: number, sample: { size?: number; seed: number }): CellPopulation {
  const tasks: ScoreTask[] = cells.map((c) => ({ key: c.hash, nb101: c.spec }));
  const sampled = cells.length < totalCandidates;
  return {
    tasks,
    description: sampled
      ? `${cells.length} of the ${totalCandidates} NB101 cells with ground truth and a matrix, sampled uniformly (seed ${sample.seed})`
      : `all ${cells.length} NB101 cells with ground truth and a matrix`,
    id: sampled ? `nb101:sample(${cells.length},seed=${sample.seed})` : `nb101:all(${cells.length})`,
    // 423,624 is the space; the population is complete when it holds every cell with ground truth.
    complete: !sampled,
    truthRow: (t) => store.rowOf(t.key),
  };
}

/** The merged 108-epoch validation accuracy (tfrecord first, then CSV), as the runner's ground truth. */
export function nb101ValidationTruth(store: BenchmarkStore): GroundTruth | { label: string; missing: string } {
  const columns = truthColumns(store);
  const label = 'cifar10 valid 108ep, one training run';
  if (columns.length === 0) return { label, missing: 'no NB101 108-epoch validation accuracy in the store (DATA/nb101/ needs the official .tfrecord or the CSV tables)' };
  const values = new Float64Array(store.size).fill(NaN);
  for (let row = 0; row < store.size; row++) {
    const col = columns.find((c) => Number.isFinite(c.values[row]!));
    if (col) values[row] = col.values[row]!;
  }
  const origins = columns.map((c) => originWithFiles(store, c.origin)).join(' / ');
  return { label: `${label} (${origins})`, values, origin: columns.map((c) => c.origin).join('+') };
}
