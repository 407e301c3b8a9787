/**
 * Reads the NATS-Bench topology-space "simple" directory (NATS-tss-v1_0-3ffb9-simple/):
 * `meta.pickle.pbz2` ({meta_archs, total_archs, arch2infos: None, evaluated_indexes}) and one
 * `NNNNNN.pickle.pbz2` per cell, each a bz2-compressed pickle (protocol 4) of
 * OrderedDict{'12': ArchResults state dict, '200': ArchResults state dict}.
 * Each cell file is small (~330 KB decoded), so it is decoded whole; records are emitted in index
 * order. A directory holding only some cell files (like the shared sample) yields those cells.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { DataError } from '../util/errors.ts';
import { parseNB201 } from '../spaces/nb201.ts';
import { bunzip2 } from '../io/bz2.ts';
import { loadPickle } from '../io/pickle.ts';
import { asDict, asNumber, pyTypeName, type PyValue } from '../io/pickle-values.ts';
import { archResultsToMetrics } from './nb201-arch-results.ts';
import type { MetricValue, NB201Record } from './records.ts';

export interface NATSTssSummary {
  origin: 'nats-tss-v1_0';
  format: 'nats-tss';
  /** Length of meta_archs (15,625). */
  archCount: number;
  recordCount: number;
  metaArchs: string[];
  /** Cell files found, in index order. */
  files: string[];
}

const CELL_FILE = /^(\d{6})\.pickle\.pbz2$/;

function readPbz2(file: string): PyValue {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    throw new DataError(`cannot read (${(e as Error).message})`, { file }, { cause: e });
  }
  // Offsets in pickle errors are positions in the decompressed pickle.
  return loadPickle(bunzip2(data, file), { file: `${file} (decompressed)` });
}

export async function readNATSTss(dir: string, onRecord: (r: NB201Record) => void): Promise<NATSTssSummary> {
  const metaFile = path.join(dir, 'meta.pickle.pbz2');
  if (!existsSync(metaFile)) throw new DataError('missing meta.pickle.pbz2 (not a NATS-tss "-simple" directory)', { file: dir });
  const meta = asDict(readPbz2(metaFile));
  const archs = meta?.get('meta_archs');
  if (!Array.isArray(archs)) throw new DataError(`meta_archs is a ${pyTypeName(archs)}, expected a list`, { file: metaFile });
  archs.forEach((a, i) => {
    if (typeof a !== 'string') throw new DataError(`meta_archs[${i}] is a ${pyTypeName(a)}`, { file: metaFile });
    try {
      parseNB201(a);
    } catch (e) {
      throw new DataError(`meta_archs[${i}] is not a valid NB201 arch string: ${(e as Error).message}`, { file: metaFile }, { cause: e });
    }
  });
  const metaArchs = archs as string[];
  const total = asNumber(meta!.get('total_archs'));
  if (total !== undefined && total !== metaArchs.length) {
    throw new DataError(`total_archs is ${total} but meta_archs has ${metaArchs.length}`, { file: metaFile });
  }

  const files = readdirSync(dir)
    .filter((f) => CELL_FILE.test(f))
    .sort();
  let recordCount = 0;
  for (const name of files) {
    const file = path.join(dir, name);
    const index = Number(CELL_FILE.exec(name)![1]);
    if (index >= metaArchs.length) throw new DataError(`cell index ${index} is beyond meta_archs (${metaArchs.length})`, { file });
    const hps = asDict(readPbz2(file));
    if (hps === undefined) throw new DataError(`expected a dict {'12': ..., '200': ...}`, { file });
    const metrics: MetricValue[] = [];
    let arch: string | undefined;
    for (const hp of ['12', '200']) {
      const ar = hps.get(hp);
      if (ar === undefined || ar === null) continue;
      const r = archResultsToMetrics(ar, `['${hp}']`, { file });
      if (r.archIndex !== undefined && r.archIndex !== index) throw new DataError(`['${hp}'].arch_index is ${r.archIndex}, the file name says ${index}`, { file });
      if (arch !== undefined && arch !== r.arch) throw new DataError(`'12' and '200' disagree on arch_str`, { file });
      arch = r.arch;
      metrics.push(...r.metrics);
    }
    if (arch === undefined) throw new DataError(`has neither '12' nor '200' results`, { file });
    if (arch !== metaArchs[index]) throw new DataError(`arch_str ${arch} differs from meta_archs[${index}] ${metaArchs[index]}`, { file });
    recordCount++;
    onRecord({ index, arch, metrics });
  }
  return { origin: 'nats-tss-v1_0', format: 'nats-tss', archCount: metaArchs.length, recordCount, metaArchs, files };
}
