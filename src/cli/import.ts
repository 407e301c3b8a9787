import type { Command } from 'commander';
import { importNB201 } from '../benchmarks/import-nb201.ts';
import { importNB101 } from '../benchmarks/import-nb101.ts';
import { assertWritable } from '../util/atomic-file.ts';

/** `nasrepro import nb201|nb101 SRC --out STORE`. */
export function registerImport(program: Command): void {
  const cmd = program.command('import').description('convert official benchmark files into the canonical HDF5 store');
  cmd
    .command('nb201')
    .description(
      'import NB201: an official .pth (v1_0/v1_1, legacy or zip serialization), a NATS-tss "-simple" directory, or a CSV table',
    )
    .argument('<src>', 'the .pth file, the NATS-tss directory or the CSV')
    .option('--out <file>', 'the store to write (replaced atomically)', 'data/nb201.h5')
    .option('--skip-checksum', "import even if the file's MD5 does not end with the digits its official name carries")
    .action(async (src: string, opts: { out: string; skipChecksum?: boolean }) => {
      assertWritable(opts.out);
      const s = await importNB201(src, opts.out, { skipChecksum: opts.skipChecksum });
      process.stdout.write(
        `${opts.out}: ${s.records} records (${s.format}, origin ${s.origin}), ${s.cellsWithValues} cells with values, ${s.seconds.toFixed(1)} s\n`,
      );
    });
  cmd
    .command('nb101')
    .description('import NB101: official nasbench_only108/full .tfrecord (CRC-checked) or the CSV tables')
    .argument('<src...>', 'one or more tfrecord / CSV files, merged into one store')
    .option('--out <file>', 'the store to write (replaced atomically)', 'data/nb101.h5')
    .option('--skip-checksum', 'import an official tfrecord even if its SHA-256 is not the published one')
    .action(async (srcs: string[], opts: { out: string; skipChecksum?: boolean }) => {
      assertWritable(opts.out);
      const s = await importNB101(srcs, opts.out, { skipChecksum: opts.skipChecksum });
      process.stdout.write(`${opts.out}: ${s.cells} cells (${s.cellsWithMatrix} with matrices) from ${srcs.length} source(s), ${s.seconds.toFixed(1)} s\n`);
    });
}
