/**
 * `nasrepro`: the command-line entry. Each command lives in its own module under src/cli/ and
 * registers itself on the program; this file only wires them together and turns DataErrors
 * (bad input a user can fix) into a one-line message and exit code 2 instead of a stack trace.
 */
import { Command } from 'commander';
import { DataError } from '../util/errors.ts';
import { registerImport } from './import.ts';
import { registerNB101 } from './nb101.ts';
import { registerQuery } from './query.ts';
import { registerScore } from './score.ts';
import { registerStoreInfo } from './store-info.ts';

const program = new Command()
  .name('nasrepro')
  .description('Reproduce training-free and BatchNorm-based NAS results on NAS-Bench-201 and NAS-Bench-101')
  .showHelpAfterError();

registerImport(program);
registerNB101(program);
registerQuery(program);
registerScore(program);
registerStoreInfo(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof DataError) {
    process.stderr.write(`nasrepro: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
}
