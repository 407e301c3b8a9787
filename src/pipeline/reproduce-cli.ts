/**
 * The command-line shell shared by the `make reproduce-*` runners and the experiments' own entry
 * points: their common options and the reporting of every failure as one line
 * (src/util/report-error.ts: bad input exits 2 naming the file, anything else 1).
 */
import { Command, type OptionValues } from 'commander';
import { DEFAULT_CACHE_DIR } from '../results/score-cache.ts';
import { exitOnError, installErrorHandlers } from '../util/report-error.ts';

/** Options every reproduction takes; `benchmark` names its store and results folder. */
export function reproduceCommand(benchmark: 'nb201' | 'nb101', description: string): Command {
  return new Command()
    .name(`reproduce-${benchmark}`)
    .description(description)
    .option('--data <dir>', 'data directory (benchmark files and images)', process.env.DATA ?? 'data')
    .option('--store-dir <dir>', 'where the stores are kept / created', 'data')
    .option('--store <file>', `use this store as is instead of <store-dir>/${benchmark}.h5 (DATA's benchmark files are then not searched)`)
    .option('--skip-checksum', "import benchmark files even if their checksum does not match their official name's")
    .option('--sample-seed <s>', 'seed of the cell sample', '0')
    .option('--batch <n>', "override the proxies' batch sizes (quick checks only)")
    .option('--workers <n>', 'worker processes (default: number of cores)')
    .option('--backend <name>', 'tensorflow, wasm, cpu or webgpu (default: best available)')
    .option('--out <dir>', 'results directory', `results/${benchmark}`)
    .option('--cache-dir <dir>', 'score cache', DEFAULT_CACHE_DIR)
    .option('--shard <I/N>', 'score only shard I of N of the cell-scoring experiments into <cache-dir>/shard-I-of-N (tables: merge, then rerun without it)');
}

/** Parses the arguments, runs, prints the results page; any failure is one line and a non-zero exit. */
export async function runReproduction<O extends OptionValues>(program: Command, run: (options: O) => Promise<string>): Promise<void> {
  installErrorHandlers(program.name());
  program.parse();
  try {
    process.stdout.write(`${await run(program.opts<O>())}\n`);
  } catch (e) {
    exitOnError(program.name(), e);
  }
}
