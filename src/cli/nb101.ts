import type { Command } from 'commander';
import { writeNB101SpaceStore } from '../benchmarks/nb101-space-store.ts';

/** `nasrepro nb101 enumerate --out data/nb101-space.h5`. */
export function registerNB101(program: Command): void {
  const cmd = program.command('nb101').description('NB101 space tools');
  cmd
    .command('enumerate')
    .description('enumerate every unique NB101 cell (pruned, hashed with the official hash) into a store (~1.5 min)')
    .option('--out <file>', 'the store to write', 'data/nb101-space.h5')
    .action(async (opts: { out: string }) => {
      const s = await writeNB101SpaceStore(opts.out);
      process.stdout.write(`${opts.out}: ${s.cells} unique cells in ${s.seconds.toFixed(1)} s\n`);
    });
}
