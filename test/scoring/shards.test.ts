import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { reproduceNB201, type Options } from '../../experiments/reproduce-nb201.ts';
import { checkTables, readCheckSide } from '../../src/report/check.ts';
import { mergeShardCaches } from '../../src/results/merge-caches.ts';
import { parseShard, shardOf } from '../../src/scoring/shard.ts';
import { DataError } from '../../src/util/errors.ts';
import { DATA_DIR, dataFile } from '../helpers/data.ts';

// Real scoring with a worker process on 8 cells at batch 8, six times: a generous net (speed is
// `make bench`'s business).
const TIMEOUT_MS = 400_000;

describe('--shard I/N and nasrepro merge', () => {
  it('partitions deterministically: every cell in exactly one shard, balanced', () => {
    const cells = Array.from({ length: 11 }, (_, i) => i * 7);
    const parts = [1, 2, 3, 4].map((i) => shardOf(cells, parseShard(`${i}/4`)));
    expect(parts.map((p) => p.length)).toEqual([3, 3, 3, 2]);
    expect(parts.flat().sort((a, b) => a - b)).toEqual(cells);
    expect(shardOf(cells, parseShard('2/4'))).toEqual(parts[1]);
    for (const bad of ['0/4', '5/4', '1/0', 'one/4', '1-4']) expect(() => parseShard(bad)).toThrow(DataError);
  });

  it('a 4-shard run, merged, gives the table of the single-process run; overlapping or inconsistent shards are refused', async () => {
    dataFile('cifar10', 'cifar-10-batches-bin', 'data_batch_1.bin');
    const tmp = mkdtempSync(path.join(tmpdir(), 'nasrepro-shards-'));
    const base = (out: string, cacheDir: string, shard?: string): Options => ({
      data: DATA_DIR,
      storeDir: path.join(tmp, 'store'),
      sample: '0',
      sampleSeed: '0',
      cells: '0,11,284,1000,2000,5000,9000,15000',
      batch: '8',
      initSeeds: '0',
      backend: 'wasm',
      workers: '1',
      only: 'naswot',
      out,
      cacheDir,
      zeroCostCells: '0',
      graspCells: '0',
      ...(shard ? { shard } : {}),
    });
    const single = path.join(tmp, 'single');
    await reproduceNB201(base(single, path.join(tmp, 'cache-single')));

    const cache = path.join(tmp, 'cache');
    const sharded = path.join(tmp, 'sharded');
    for (const i of [1, 2, 3, 4]) {
      const page = await reproduceNB201(base(sharded, cache, `${i}/4`));
      expect(page).toContain(`shard-${i}-of-4 scored its cells`);
    }
    const shardDirs = [1, 2, 3, 4].map((i) => path.join(cache, `shard-${i}-of-4`));
    // each shard scored its own 2 cells into its own file
    for (const d of shardDirs) {
      const [file] = readdirSync(path.join(d, 'nb201', 'naswot')).filter((f) => f.endsWith('.jsonl'));
      expect(readFileSync(path.join(d, 'nb201', 'naswot', file!), 'utf8').trim().split('\n')).toHaveLength(3);
    }

    // refused: a shard given under two names (overlap), a shard run with another seed (inconsistent)
    const copy = path.join(tmp, 'copy-of-shard-1');
    cpSync(shardDirs[0]!, copy, { recursive: true });
    expect(() => mergeShardCaches([shardDirs[0]!, copy], path.join(tmp, 'refused'))).toThrow(/cell 0 is in two shards \(also in .*shard-1-of-4.*\.jsonl\).*overlapping/);
    const other = path.join(tmp, 'other-seed');
    cpSync(shardDirs[1]!, other, { recursive: true });
    const dir = path.join(other, 'nb201', 'naswot');
    const f = path.join(dir, readdirSync(dir).find((x) => x.endsWith('.jsonl'))!);
    const lines = readFileSync(f, 'utf8').split('\n');
    writeFileSync(f, [lines[0]!.replace('"seed":0', '"seed":1'), ...lines.slice(1)].join('\n'));
    // one line naming both files and the differing field
    expect(() => mergeShardCaches([shardDirs[0]!, other], path.join(tmp, 'refused'))).toThrow(/(shard-1-of-4|other-seed).*inconsistent shards for nb201\/naswot: seed (0 vs 1|1 vs 0) \(other file: .*(other-seed|shard-1-of-4)/);

    const merged = mergeShardCaches(shardDirs, cache);
    expect(merged.cells).toBe(8);
    expect(mergeShardCaches(shardDirs, cache).files.every((x) => x.added === 0)).toBe(true); // merging twice is a no-op

    const page = await reproduceNB201(base(sharded, cache));
    expect(page).toContain('0 computed this run');
    const result = checkTables(readCheckSide(sharded), readCheckSide(single), 0);
    expect(result.lines.filter((l) => l.verdict !== 'ok')).toEqual([]);
    expect(result.lines.filter((l) => l.ours !== null && Number.isFinite(l.ours)).length).toBeGreaterThan(0);
    expect(readFileSync(path.join(sharded, 'naswot', 'scores-cifar10.csv'), 'utf8')).toBe(readFileSync(path.join(single, 'naswot', 'scores-cifar10.csv'), 'utf8'));
  }, TIMEOUT_MS);
});
