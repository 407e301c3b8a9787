/**
 * `--shard I/N`: the part of a run one machine (or one process) scores. Shards are numbered
 * 1..N. Cell k of the list being scored (its position in the run's population order, after any
 * prefix a proxy takes) belongs to shard (k mod N) + 1: deterministic, the same on every machine
 * for the same selection, and balanced to within one cell. Why round-robin rather than a hash of
 * the cell: a proxy that scores a prefix of the population (grasp on the first 30) then still
 * spreads over every shard.
 *
 * Each shard scores into its own cache, <cache-dir>/shard-I-of-N/ (same layout as the main cache),
 * so no two processes ever append to one file; `nasrepro merge` combines them into the main cache,
 * and the tables come from a run without --shard, which then finds every score cached.
 */
import path from 'node:path';
import { DataError } from '../util/errors.ts';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

export function parseShard(v: string | undefined, flag = '--shard'): Shard | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(v);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) throw new DataError(`${flag} must be I/N with 1 <= I <= N (e.g. 2/4), got '${v}'`);
  return { index, count };
}

/** The shard's cells of a list, in list order. */
export function shardOf<T>(items: readonly T[], shard: Shard | undefined): T[] {
  if (!shard) return [...items];
  return items.filter((_, k) => k % shard.count === shard.index - 1);
}

export function shardName(shard: Shard): string {
  return `shard-${shard.index}-of-${shard.count}`;
}

/** Where a shard's scores go: its own cache under the run's cache directory. */
export function shardCacheDir(cacheDir: string, shard: Shard | undefined): string {
  return shard ? path.join(cacheDir, shardName(shard)) : cacheDir;
}
