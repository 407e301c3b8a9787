/**
 * `nasrepro`: the command-line entry. Each command lives in its own module under src/cli/ and
 * registers itself on the program; this file only wires them together and reports every failure
 * as one line (src/util/report-error.ts: exit 2 for bad input, 1 otherwise; NASREPRO_DEBUG=1 for
 * the stack trace) instead of a stack trace.
 */
import { Command } from 'commander';
import { exitOnError, installErrorHandlers } from '../util/report-error.ts';
import { registerCheck } from './check.ts';
import { registerFetch } from './fetch.ts';
import { registerImport } from './import.ts';
import { registerMerge } from './merge.ts';
import { registerNB101 } from './nb101.ts';
import { registerQuery } from './query.ts';
import { registerScore } from './score.ts';
import { registerStoreInfo } from './store-info.ts';

installErrorHandlers('nasrepro');

const program = new Command()
  .name('nasrepro')
  .description('Reproduce training-free and BatchNorm-based NAS results on NAS-Bench-201 and NAS-Bench-101')
  .showHelpAfterError();

registerCheck(program);
registerFetch(program);
registerImport(program);
registerMerge(program);
registerNB101(program);
registerQuery(program);
registerScore(program);
registerStoreInfo(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  exitOnError('nasrepro', e);
}
