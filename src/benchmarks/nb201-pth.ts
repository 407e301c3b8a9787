/**
 * Streams the official NB201 .pth files (NAS-Bench-201-v1_0-e61699.pth, -v1_1-096897.pth) into
 * NB201Records, one architecture at a time, in bounded memory (see src/io/pickle.ts).
 *
 * The file is `torch.save` of {meta_archs: [15,625 arch strings], arch2infos: {index: {'less':
 * ArchResults state dict (12 epochs), 'full': ... (200 epochs)}}, evaluated_indexes: set}, in one
 * of torch's two serializations:
 *   - legacy: five pickles in a row (magic number 0x1950a86a20f9469cfc6c, protocol version 1001,
 *     sys info, the object, the list of storage keys) followed by the raw storages, each an int64
 *     element count and the elements;
 *   - zip (`PK\x03\x04`): entries `<archive>/data.pkl` (the object pickle) and
 *     `<archive>/data/<key>` (storages). torch stores entries uncompressed, so data.pkl is read in
 *     place from the file; a deflated data.pkl (re-zipped by hand) is inflated if it is small.
 * Tensors (e.g. a net_state_dict) are not read, only checked to have their storage bytes.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import path from 'node:path';
import { DataError } from '../util/errors.ts';
import { parseNB201 } from '../spaces/nb201.ts';
import { ByteSource } from '../io/byte-source.ts';
import { PickleVM, type PickleStats, type RecordHook } from '../io/pickle.ts';
import { TORCH_DTYPE_BYTES, torchPersistentLoad } from '../io/pickle-globals.ts';
import { PyDict, PySet, StorageRef, asDict, pyTypeName, type PyValue } from '../io/pickle-values.ts';
import { listZipEntries, entryDataOffset } from '../io/zip-entries.ts';
import { archResultsToMetrics } from './nb201-arch-results.ts';
import type { MetricValue, NB201Record } from './records.ts';

export interface NB201PthSummary {
  origin: string;
  format: 'pth-legacy' | 'pth-zip';
  /** Length of meta_archs (15,625 for the official files). */
  archCount: number;
  /** Records handed to the callback (architectures with results). */
  recordCount: number;
  metaArchs: string[];
  /** Size of evaluated_indexes. */
  evaluatedCount: number;
  /** Tensors met (e.g. in net_state_dict), not read. */
  storageCount: number;
  pickle: PickleStats;
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL_VERSION = 1001;
/** Largest deflated data.pkl we inflate into memory; torch itself never deflates it. */
const MAX_INFLATE_BYTES = 256 << 20;

/** The release a .pth is, from its official file name. */
export function nb201PthOriginFromName(file: string): string {
  const base = path.basename(file);
  if (base.includes('v1_0-e61699')) return 'nb201-v1_0';
  if (base.includes('v1_1-096897')) return 'nb201-v1_1';
  return 'nb201-pth';
}

export async function readNB201Pth(file: string, onRecord: (r: NB201Record) => void): Promise<NB201PthSummary> {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(4);
    const n = readSync(fd, head, 0, 4, 0);
    if (n === 0) throw new DataError('empty file (not a torch .pth)', { file, offset: 0 });
    if (n === 4 && head.readUInt32BE(0) === 0x504b0304) return await readZip(file, fd, size, onRecord);
    if (head[0] === 0x80) return readLegacy(file, fd, size, onRecord);
    throw new DataError('not a torch .pth file (neither a zip archive nor a legacy pickle)', { file, offset: 0 });
  } finally {
    closeSync(fd);
  }
}

// -------------------------------------------------------------------------------------------------

function readLegacy(file: string, fd: number, size: number, onRecord: (r: NB201Record) => void): NB201PthSummary {
  const src = ByteSource.fromFd(fd, 0, size, { file });
  const magicAt = src.position;
  const magic = new PickleVM(src).load();
  if (magic !== LEGACY_MAGIC && !(typeof magic === 'bigint' && magic === LEGACY_MAGIC)) {
    throw new DataError('not a torch legacy file: wrong magic number', { file, offset: magicAt });
  }
  const protoAt = src.position;
  const proto = new PickleVM(src).load();
  if (proto !== LEGACY_PROTOCOL_VERSION) {
    throw new DataError(`unsupported torch protocol version ${String(proto)} (expected ${LEGACY_PROTOCOL_VERSION})`, { file, offset: protoAt });
  }
  const sysAt = src.position;
  const sys = new PickleVM(src).load();
  if (sys instanceof PyDict && sys.get('little_endian') === false) {
    throw new DataError('big-endian torch file: not supported', { file, offset: sysAt });
  }
  const reader = new NB201ObjectReader(file, onRecord);
  const objectVm = new PickleVM(src, reader.pickleOptions());
  const root = objectVm.load();
  const keysAt = src.position;
  const keys = new PickleVM(src).load();
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
    throw new DataError(`storage key list is a ${pyTypeName(keys)}, expected a list of str`, { file, offset: keysAt });
  }
  // The raw storages follow, in key order: int64 element count, then the elements.
  let at = src.position;
  for (const key of keys as string[]) {
    const s = reader.storages.get(key);
    if (s === undefined) throw new DataError(`storage '${key}' is listed but no tensor uses it`, { file, offset: keysAt });
    const hdr = Buffer.alloc(8);
    if (readSync(fd, hdr, 0, 8, at) < 8) throw new DataError(`ends early at byte ${size} (storage '${key}')`, { file, offset: size });
    const numel = Number(hdr.readBigInt64LE(0));
    if (numel !== s.numel) throw new DataError(`storage '${key}' holds ${numel} elements, its tensors say ${s.numel}`, { file, offset: at });
    at += 8 + numel * (TORCH_DTYPE_BYTES[s.dtype] ?? 1);
    if (at > size) throw new DataError(`ends early at byte ${size} (storage '${key}' needs bytes up to ${at})`, { file, offset: size });
  }
  for (const key of reader.storages.keys()) {
    if (!(keys as string[]).includes(key)) throw new DataError(`tensor storage '${key}' is missing from the storage list`, { file, offset: keysAt });
  }
  return reader.finish(root, 'pth-legacy', objectVm.stats);
}

async function readZip(file: string, fd: number, size: number, onRecord: (r: NB201Record) => void): Promise<NB201PthSummary> {
  let entries;
  try {
    entries = await listZipEntries(file);
  } catch (e) {
    // A truncated archive loses its central directory, which sits at the end.
    throw new DataError(`${(e as Error).message.replace(/^.*?: /, '')} (truncated?)`, { file, offset: size }, { cause: e });
  }
  const pkl = entries.find((e) => e.name === 'data.pkl' || e.name.endsWith('/data.pkl'));
  if (pkl === undefined) {
    throw new DataError(`zip archive has no <archive>/data.pkl entry (entries: ${entries.slice(0, 5).map((e) => e.name).join(', ') || 'none'})`, { file });
  }
  const prefix = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length);
  const start = entryDataOffset(fd, pkl, file);
  let src: ByteSource;
  if (pkl.compressionMethod === 0) {
    if (start + pkl.compressedSize > size) {
      throw new DataError(`ends early at byte ${size} (data.pkl needs bytes up to ${start + pkl.compressedSize})`, { file, offset: size });
    }
    src = ByteSource.fromFd(fd, start, start + pkl.compressedSize, { file });
  } else if (pkl.compressionMethod === 8 && pkl.uncompressedSize <= MAX_INFLATE_BYTES) {
    const raw = Buffer.alloc(pkl.compressedSize);
    readSync(fd, raw, 0, raw.length, start);
    let inflated: Buffer;
    try {
      inflated = inflateRawSync(raw);
    } catch (e) {
      throw new DataError(`data.pkl: corrupt deflate data (${(e as Error).message})`, { file, offset: start }, { cause: e });
    }
    // Offsets in errors are then positions inside the inflated data.pkl.
    src = ByteSource.fromBuffer(inflated, { file: `${file}:${pkl.name}` });
  } else {
    throw new DataError(
      `data.pkl is stored with compression method ${pkl.compressionMethod} (${pkl.uncompressedSize} bytes); torch writes it uncompressed: re-save the file with torch.save`,
      { file, offset: pkl.localHeaderOffset },
    );
  }
  const reader = new NB201ObjectReader(file, onRecord);
  const vm = new PickleVM(src, reader.pickleOptions());
  const root = vm.load();
  const byName = new Map(entries.map((e) => [e.name, e]));
  for (const s of reader.storages.values()) {
    const e = byName.get(`${prefix}data/${s.key}`);
    if (e === undefined) throw new DataError(`tensor storage entry ${prefix}data/${s.key} is missing`, { file });
    const need = s.numel * (TORCH_DTYPE_BYTES[s.dtype] ?? 1);
    if (e.uncompressedSize < need) throw new DataError(`storage ${e.name} has ${e.uncompressedSize} bytes, its tensors need ${need}`, { file, offset: e.localHeaderOffset });
  }
  return reader.finish(root, 'pth-zip', vm.stats);
}

// -------------------------------------------------------------------------------------------------

/** The record hook for the object pickle and the checks on what it yields. */
class NB201ObjectReader {
  readonly storages = new Map<string, StorageRef>();
  private metaArchs: string[] | undefined;
  private readonly emitted = new Map<number, string>();
  private recordCount = 0;

  constructor(
    private readonly file: string,
    private readonly onRecord: (r: NB201Record) => void,
  ) {}

  pickleOptions() {
    const hook: RecordHook = {
      isCollection: (key, depth, frame) => {
        if (key !== 'arch2infos' || depth !== 1) return false;
        // meta_archs precedes arch2infos in the official dict: check it before any record.
        const i = frame.indexOf('meta_archs');
        if (i >= 0 && i % 2 === 0) this.setMetaArchs(frame[i + 1]);
        return true;
      },
      onRecord: (key, value, offset) => this.record(key, value, offset),
    };
    return {
      recordHook: hook,
      persistentLoad: (pid: PyValue) => {
        const s = torchPersistentLoad(pid) as StorageRef;
        this.storages.set(s.key, s);
        return s;
      },
    };
  }

  private setMetaArchs(v: PyValue | undefined): void {
    if (!Array.isArray(v)) throw new DataError(`meta_archs is a ${pyTypeName(v)}, expected a list of arch strings`, { file: this.file });
    v.forEach((a, i) => {
      if (typeof a !== 'string') throw new DataError(`meta_archs[${i}] is a ${pyTypeName(a)}, expected an arch string`, { file: this.file });
      try {
        parseNB201(a);
      } catch (e) {
        throw new DataError(`meta_archs[${i}] is not a valid NB201 arch string: ${(e as Error).message}`, { file: this.file }, { cause: e });
      }
    });
    this.metaArchs = v as string[];
  }

  private record(key: PyValue, value: PyValue, offset: number): void {
    const where = { file: this.file, offset };
    if (typeof key !== 'number' || !Number.isInteger(key) || key < 0) {
      throw new DataError(`arch2infos key is ${pyTypeName(key)} ${String(key)}, expected an architecture index`, where);
    }
    const hps = asDict(value);
    if (hps === undefined) throw new DataError(`arch2infos[${key}] is a ${pyTypeName(value)}, expected {'less': ..., 'full': ...}`, where);
    let arch: string | undefined;
    const metrics: MetricValue[] = [];
    for (const hp of ['less', 'full']) {
      const ar = hps.get(hp);
      if (ar === undefined || ar === null) continue;
      const r = archResultsToMetrics(ar, `arch2infos[${key}]['${hp}']`, where);
      if (r.archIndex !== undefined && r.archIndex !== key) {
        throw new DataError(`arch2infos[${key}]['${hp}'].arch_index is ${r.archIndex}`, where);
      }
      if (arch !== undefined && r.arch !== arch) throw new DataError(`arch2infos[${key}]: 'less' and 'full' disagree on arch_str`, where);
      arch = r.arch;
      metrics.push(...r.metrics);
    }
    if (arch === undefined) throw new DataError(`arch2infos[${key}] has neither 'less' nor 'full'`, where);
    if (this.metaArchs !== undefined) {
      if (key >= this.metaArchs.length) throw new DataError(`arch2infos key ${key} is beyond meta_archs (${this.metaArchs.length})`, where);
      if (this.metaArchs[key] !== arch) {
        throw new DataError(`arch2infos[${key}].arch_str ${arch} differs from meta_archs[${key}] ${this.metaArchs[key]}`, where);
      }
    }
    this.emitted.set(key, arch);
    this.recordCount++;
    this.onRecord({ index: key, arch, metrics });
  }

  finish(root: PyValue, format: 'pth-legacy' | 'pth-zip', stats: PickleStats): NB201PthSummary {
    const file = this.file;
    if (!(root instanceof PyDict)) throw new DataError(`top-level object is a ${pyTypeName(root)}, expected a dict`, { file });
    for (const k of ['meta_archs', 'arch2infos']) {
      if (!root.has(k)) throw new DataError(`top-level dict has no '${k}' (not an NB201 benchmark file)`, { file });
    }
    if (this.metaArchs === undefined) {
      this.setMetaArchs(root.get('meta_archs'));
      for (const [i, a] of this.emitted) {
        if (this.metaArchs![i] !== a) throw new DataError(`arch2infos[${i}].arch_str ${a} differs from meta_archs[${i}]`, { file });
      }
    }
    const collection = root.get('arch2infos');
    if (!(collection instanceof PyDict)) throw new DataError(`arch2infos is a ${pyTypeName(collection)}`, { file });
    const evaluated = root.get('evaluated_indexes');
    const evaluatedCount = evaluated instanceof PySet ? evaluated.items.length : Array.isArray(evaluated) ? evaluated.length : 0;
    return {
      origin: nb201PthOriginFromName(file),
      format,
      archCount: this.metaArchs!.length,
      recordCount: this.recordCount,
      metaArchs: this.metaArchs!,
      evaluatedCount,
      storageCount: this.storages.size,
      pickle: stats,
    };
  }
}
