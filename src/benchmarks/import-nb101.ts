/**
 * `nasrepro import nb101 SRC... --out STORE`: official tfrecords and the CSV tables, merged into
 * one store keyed by module hash.
 *
 * Origins: values from an official tfrecord are 'nb101'; values from the CSV tables are
 * 'nb101-csv' (they were exported from the official release, one training run per cell, which
 * run is not recorded, so their seed is 'one-run'). When two sources give the same value slot
 * different numbers the import stops and names both, rather than letting the later file win.
 */
import { existsSync } from 'node:fs';
import { crc32c, maskCrc32c } from '../io/tfrecord.ts';
import { DataError } from '../util/errors.ts';
import { readFileHead } from '../util/file-head.ts';
import type { NB101Record } from './records.ts';
import { readNB101Csv } from './nb101-csv.ts';
import { readNB101Tfrecord } from './nb101-tfrecord.ts';
import { describeSource } from './source-info.ts';
import { htmlPageError, looksLikeHtml, verifySource, type VerifyOptions } from './verify-source.ts';
import { StoreBuilder, type StoreSource } from './store-writer.ts';

export type NB101SourceFormat = 'tfrecord' | 'csv';

export function detectNB101Source(src: string): NB101SourceFormat {
  if (!existsSync(src)) throw new DataError('no such file', { file: src });
  const head = readFileHead(src);
  const n = head.length;
  if (looksLikeHtml(head)) throw htmlPageError(src);
  // A TFRecord starts with a uint64 LE length followed by the masked CRC32C of those 8 bytes.
  if (n >= 12 && maskCrc32c(crc32c(head, 0, 8)) === head.readUInt32LE(8)) return 'tfrecord';
  if (looksLikeCsvHeader(head)) return 'csv';
  throw new DataError('unrecognised NB101 source: neither a TFRecord file nor a CSV table', { file: src });
}

export interface NB101ImportSummary {
  cells: number;
  cellsWithMatrix: number;
  seconds: number;
}

/** Imports and merges the sources; each is checked first (verify-source.ts: the published SHA-256 of the official tfrecords). */
export async function importNB101(srcs: string[], out: string, opts: VerifyOptions = {}): Promise<NB101ImportSummary> {
  const started = performance.now();
  const builder = new StoreBuilder('nb101', 1 << 12);
  const hasMatrix = new Set<number>();
  const sources: StoreSource[] = [];
  for (const src of srcs) {
    const format = detectNB101Source(src);
    const digests = await verifySource(src, opts);
    const origin = format === 'tfrecord' ? 'nb101' : 'nb101-csv';
    const add = (r: NB101Record): void => {
      const row = builder.row(r.hash);
      if (r.matrix && r.ops && !hasMatrix.has(row)) {
        builder.setNB101Cell(row, r.matrix, r.ops);
        hasMatrix.add(row);
      }
      for (const m of r.metrics) builder.addMetric(row, m.origin ?? origin, m, src);
    };
    if (format === 'tfrecord') await readNB101Tfrecord(src, add);
    else await readNB101Csv(src, add);
    sources.push({ ...(await describeSource(src, format, digests)), origin });
  }
  await builder.write(out, sources);
  return { cells: builder.size, cellsWithMatrix: hasMatrix.size, seconds: (performance.now() - started) / 1000 };
}

/** A first line of printable text with a comma: a CSV header. */
export function looksLikeCsvHeader(head: Buffer): boolean {
  const line = head.toString('latin1').split(/\r?\n/)[0]!;
  return line.includes(',') && /^[\x20-\x7e\t]+$/.test(line);
}
