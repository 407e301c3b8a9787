/**
 * `nasrepro import nb201 SRC --out STORE`: detects the source format, streams its records into a
 * StoreBuilder whose rows are the 15,625 official indices, and writes the store atomically.
 *
 * Every record's arch string is checked against the official index it claims (the meta_archs
 * order is fixed and reproduced in src/spaces/nb201-index.ts), so a source whose rows are
 * shifted or whose strings are corrupt is refused instead of silently attaching accuracies to the
 * wrong cells.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { DataError } from '../util/errors.ts';
import { readFileHead } from '../util/file-head.ts';
import { NB201_NUM_CELLS } from '../spaces/nb201.ts';
import { archStringFromIndex, indexOfArchString } from '../spaces/nb201-index.ts';
import type { NB201Record } from './records.ts';
import { readNB201Csv } from './nb201-csv.ts';
import { nb201PthOriginFromName, readNB201Pth } from './nb201-pth.ts';
import { readNATSTss } from './nats-tss.ts';
import { describeSource } from './source-info.ts';
import { htmlPageError, looksLikeHtml, verifySource, type VerifyOptions } from './verify-source.ts';
import { looksLikeCsvHeader } from './import-nb101.ts';
import { StoreBuilder, type StoreSource } from './store-writer.ts';

export type NB201SourceFormat = 'pth' | 'nats-tss' | 'csv';

/** Decides the format from the file's first bytes (or the directory's contents), not its name. */
export function detectNB201Source(src: string): NB201SourceFormat {
  if (!existsSync(src)) throw new DataError('no such file or directory', { file: src });
  if (statSync(src).isDirectory()) {
    if (existsSync(path.join(src, 'meta.pickle.pbz2'))) return 'nats-tss';
    throw new DataError('directory is not a NATS-tss "-simple" directory (no meta.pickle.pbz2)', { file: src });
  }
  const head = readFileHead(src);
  const n = head.length;
  if (looksLikeHtml(head)) throw htmlPageError(src);
  if (n >= 4 && head.readUInt32BE(0) === 0x504b0304) return 'pth'; // zip serialization
  if (n >= 2 && head[0] === 0x80) return 'pth'; // legacy serialization: starts with a pickle
  if (looksLikeCsvHeader(head)) return 'csv';
  throw new DataError('unrecognised NB201 source: not a torch .pth (zip or legacy), a NATS-tss directory, or a CSV', {
    file: src,
  });
}

export interface NB201ImportSummary {
  format: string;
  origin: string;
  records: number;
  /** Rows whose values came from this source (the others stay missing). */
  cellsWithValues: number;
  seconds: number;
}

/**
 * Imports one source. The file is checked first (verify-source.ts: a saved web page, an MD5 that
 * does not end with the digits the official name carries), in the same pass that computes the
 * digests the store records.
 */
export async function importNB201(src: string, out: string, opts: VerifyOptions = {}): Promise<NB201ImportSummary> {
  const started = performance.now();
  const format = detectNB201Source(src);
  const digests = await verifySource(src, opts);
  const builder = new StoreBuilder('nb201', NB201_NUM_CELLS);
  for (let i = 0; i < NB201_NUM_CELLS; i++) builder.setRow(i, archStringFromIndex(i));

  const seen = new Uint8Array(NB201_NUM_CELLS);
  let records = 0;
  const add = (origin: string) => (r: NB201Record) => {
    const where = { file: src, ...(format === 'csv' ? { row: records + 2 } : {}) };
    let index = r.index;
    if (index < 0) {
      try {
        index = indexOfArchString(r.arch);
      } catch (e) {
        throw new DataError((e as Error).message, where, { cause: e });
      }
    } else if (index >= NB201_NUM_CELLS) {
      throw new DataError(`index ${index} is out of range 0..${NB201_NUM_CELLS - 1}`, where);
    } else if (archStringFromIndex(index) !== r.arch) {
      throw new DataError(
        `index ${index} is ${archStringFromIndex(index)} in the official order, but the source says ${r.arch}`,
        where,
      );
    }
    seen[index] = 1;
    records++;
    for (const m of r.metrics) builder.addMetric(index, m.origin ?? origin, m, src);
  };

  let origin: string;
  let formatName: string;
  if (format === 'csv') {
    origin = 'csv';
    formatName = 'csv';
    readNB201Csv(src, add(origin));
  } else if (format === 'pth') {
    const summary = await readNB201Pth(src, add(nb201PthOriginFromName(src)));
    origin = summary.origin;
    formatName = summary.format;
  } else {
    const summary = await readNATSTss(src, add('nats-tss-v1_0'));
    origin = summary.origin;
    formatName = 'nats-tss';
  }

  const info = await describeSource(src, formatName, digests);
  const sources: StoreSource[] = [{ ...info, origin }];
  await builder.write(out, sources);
  return {
    format: formatName,
    origin,
    records,
    cellsWithValues: seen.reduce((s, x) => s + x, 0),
    seconds: (performance.now() - started) / 1000,
  };
}
