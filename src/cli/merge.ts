/**
 * `nasrepro merge SHARD_CACHE... [--into CACHE]`: combines the caches of `--shard I/N` runs
 * (src/results/merge-caches.ts); refuses overlapping or inconsistent shards naming both files.
 */
import type { Command } from 'commander';
import { mergeShardCaches } from '../results/merge-caches.ts';
import { DEFAULT_CACHE_DIR } from '../results/score-cache.ts';

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description('combine shard score caches (from --shard I/N runs) into one cache')
    .argument('<shards...>', 'shard cache directories (e.g. results/cache/shard-1-of-4 ...)')
    .option('--into <dir>', 'the cache to merge into', DEFAULT_CACHE_DIR)
    .action((shards: string[], o: { into: string }) => {
      const r = mergeShardCaches(shards, o.into);
      for (const f of r.files) process.stdout.write(`${f.file}: ${f.added} cells added, ${f.cells} in all\n`);
      process.stdout.write(`merged ${r.cells} cells from ${shards.length} shards into ${o.into}\n`);
    });
}
