/**
 * `nasrepro merge SHARD... --into CACHE`: combines shard score caches (each a cache directory as
 * `--shard I/N` writes it, <cache-dir>/shard-I-of-N/) into one cache, file by file: every
 * (space, proxy, config, batch, seed, backend) file of the shards goes into the same-named file
 * of CACHE, whose header is that identity, so a later run without --shard finds every score.
 *
 * Refused, with a DataError naming both files (exit 2, nothing written):
 * - overlap: one cell in two shards' files of the same identity (shards are disjoint by
 *   construction; an overlap means two runs of different partitions, or a shard given twice);
 * - inconsistency: shards that scored the same proxy under different identities (another
 *   config, image batch, seed or backend): one of them was run with other settings, and merging
 *   would leave a cache no single run matches. The message lists the differing fields.
 * A cell CACHE already holds is fine when the record is the same score (merging twice is a no-op)
 * and refused when it differs.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { DataError } from '../util/errors.ts';
import { openScoreCache, type CachedScore, type ScoreCacheKey } from './score-cache.ts';

interface ShardFile {
  root: string;
  file: string;
  key: ScoreCacheKey;
  /** The identity as compared: JSON of config hash, batch, seed, backend. */
  identity: string;
  header: Record<string, unknown>;
}

function cacheFiles(root: string): string[] {
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new DataError('not a score cache directory', { file: root });
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      // <root>/<space>/<proxy>/<file>.jsonl; a nested shard-* directory is another cache, not this one's
      if (e.isDirectory() && depth < 2 && !(depth === 0 && e.name.startsWith('shard-'))) walk(p, depth + 1);
      else if (e.isFile() && depth === 2 && e.name.endsWith('.jsonl')) out.push(p);
    }
  };
  walk(root, 0);
  return out;
}

function readShardFile(root: string, file: string): ShardFile {
  const first = readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(first) as Record<string, unknown>;
  } catch {
    throw new DataError('not a score cache: the first line is not a JSON header', { file, row: 1 });
  }
  const key: ScoreCacheKey = { space: String(h.space), proxy: String(h.proxy), config: h.config as object, batch: String(h.batch), seed: Number(h.seed), backend: String(h.backend) };
  return { root, file, key, identity: JSON.stringify([h.configHash, h.batch, h.seed, h.backend]), header: h };
}

function differences(a: ShardFile, b: ShardFile): string {
  const fields = ['configHash', 'batch', 'seed', 'backend'] as const;
  const names: Record<string, string> = { configHash: 'config', batch: 'image batch', seed: 'seed', backend: 'backend' };
  return fields
    .filter((f) => JSON.stringify(a.header[f]) !== JSON.stringify(b.header[f]))
    .map((f) => `${names[f]} ${JSON.stringify(a.header[f])} vs ${JSON.stringify(b.header[f])}`)
    .join(', ');
}

function sameRecord(a: CachedScore, b: CachedScore): boolean {
  return a.status === b.status && Object.is(a.score, b.score) && JSON.stringify(a.parts ?? null) === JSON.stringify(b.parts ?? null);
}

export interface MergeResult {
  files: { file: string; cells: number; added: number }[];
  cells: number;
}

export function mergeShardCaches(shards: readonly string[], into: string): MergeResult {
  if (shards.length === 0) throw new DataError('no shard caches given');
  const roots = shards.map((s) => path.resolve(s));
  const dup = roots.find((r, i) => roots.indexOf(r) !== i);
  if (dup) throw new DataError('the same shard cache is given twice', { file: dup });
  const files = roots.flatMap((root) => cacheFiles(root).map((f) => readShardFile(root, f)));
  if (files.length === 0) throw new DataError(`no score cache files in ${shards.join(', ')}`);

  // Consistency: per (space, proxy), every shard holding it holds the same identities.
  const byProxy = new Map<string, ShardFile[]>();
  for (const f of files) byProxy.set(`${f.key.space}/${f.key.proxy}`, [...(byProxy.get(`${f.key.space}/${f.key.proxy}`) ?? []), f]);
  for (const [proxy, group] of byProxy) {
    const roots = [...new Set(group.map((f) => f.root))];
    for (const f of group) {
      for (const other of roots) {
        if (other === f.root) continue;
        const theirs = group.filter((g) => g.root === other);
        if (!theirs.some((g) => g.identity === f.identity)) {
          throw new DataError(`inconsistent shards for ${proxy}: ${differences(f, theirs[0]!)} (other file: ${theirs[0]!.file}); were they run with the same settings?`, { file: f.file });
        }
      }
    }
  }

  // Overlap, then write: per identity, every shard's cells into the merged cache.
  const byIdentity = new Map<string, ShardFile[]>();
  for (const f of files) {
    const id = `${f.key.space}/${f.key.proxy}/${f.identity}`;
    byIdentity.set(id, [...(byIdentity.get(id) ?? []), f]);
  }
  const plan: { key: ScoreCacheKey; records: CachedScore[] }[] = [];
  for (const group of byIdentity.values()) {
    const owner = new Map<string, ShardFile>();
    const records: CachedScore[] = [];
    for (const f of group) {
      const cache = openScoreCache(f.root, f.key);
      try {
        for (const r of cache.entries()) {
          const first = owner.get(r.cell);
          if (first) throw new DataError(`cell ${r.cell} is in two shards (also in ${first.file}): overlapping shards, not a partition of one run`, { file: f.file });
          owner.set(r.cell, f);
          records.push(r);
        }
      } finally {
        cache.close();
      }
    }
    plan.push({ key: group[0]!.key, records });
  }
  // Check against what the target already holds before writing anything.
  for (const p of plan) {
    const target = openScoreCache(into, p.key);
    try {
      for (const r of p.records) {
        const have = target.get(r.cell);
        if (have && !sameRecord(have, r)) throw new DataError(`cell ${r.cell} is already in the merged cache with another score (${have.status} ${have.score} vs ${r.status} ${r.score})`, { file: target.file });
      }
    } finally {
      target.close();
    }
  }
  const result: MergeResult = { files: [], cells: 0 };
  for (const p of plan) {
    const target = openScoreCache(into, p.key);
    let added = 0;
    try {
      for (const r of p.records) {
        if (target.has(r.cell)) continue;
        const { cell, ...input } = r;
        target.put(cell, input);
        added++;
      }
      result.files.push({ file: target.file, cells: target.size, added });
      result.cells += p.records.length;
    } finally {
      target.close();
    }
  }
  return result;
}
