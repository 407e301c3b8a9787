/**
 * Supernet training checkpoints: one file with everything a killed run needs to continue exactly
 * where it stopped, written atomically (src/util/atomic-file.ts), so a kill during the write
 * leaves the previous checkpoint intact rather than half of a new one.
 *
 * Contents: the run's identity (supernet options, training config, images: what must match for a
 * resume to be the same run), the number of completed steps, the sampling state (counter-based,
 * train-sampling.ts), every parameter, every BN running statistic, the optimiser's momentum
 * buffers, the per-step log (seconds, loss) and the snapshots the run took (train.ts).
 *
 * Layout (little-endian):
 *   8 bytes  magic "NRSNCKP1"
 *   4 bytes  uint32 header length H
 *   H bytes  header, UTF-8 JSON: { format, version, identity, step, sampling, log,
 *            snapshots: [{ step, trainSeconds }], tensors: [{ group, name, shape, offset, length }],
 *            dataSha256 }   (offset/length in float32 elements from the data start)
 *   pad to a multiple of 4 bytes, then the float32 data.
 * The data's SHA-256 is checked on load: an atomic write rules out truncation, the hash also
 * catches a file damaged later. float32 is what the tensors hold, so nothing is rounded.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-file.ts';
import { DataError } from '../util/errors.ts';
import type { SamplingState } from './train-sampling.ts';

export const CHECKPOINT_FORMAT = 'nasrepro-supernet-checkpoint';
export const CHECKPOINT_VERSION = 1;
const MAGIC = Buffer.from('NRSNCKP1', 'ascii');

export interface TensorRecord {
  shape: number[];
  values: Float32Array;
}

export type TensorGroup = Map<string, TensorRecord>;

export interface TrainSnapshot {
  /** Steps completed when the snapshot was taken (0 = at initialisation). */
  step: number;
  /** Training time up to then: the sum of the step times (forward, backward, update). */
  trainSeconds: number;
  values: TensorGroup;
}

export interface TrainLog {
  /** Wall time of each completed step, seconds. */
  stepSeconds: number[];
  /** Training loss of each completed step. */
  losses: number[];
}

export interface SupernetCheckpoint {
  /** JSON data naming the run; a resume must present the same identity. */
  identity: unknown;
  /** Steps completed. */
  step: number;
  sampling: SamplingState;
  params: TensorGroup;
  buffers: TensorGroup;
  momentum: TensorGroup;
  log: TrainLog;
  snapshots: TrainSnapshot[];
}

interface TensorEntry {
  group: string;
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

interface Header {
  format: string;
  version: number;
  identity: unknown;
  step: number;
  sampling: SamplingState;
  log: TrainLog;
  snapshots: Array<{ step: number; trainSeconds: number }>;
  tensors: TensorEntry[];
  dataSha256: string;
}

/** JSON with object keys sorted at every level, so equal identities serialise equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Short hash of an identity, for file names (12 hex digits of SHA-256 of its canonical JSON). */
export function identityHash(identity: unknown): string {
  return createHash('sha256').update(canonicalJson(identity)).digest('hex').slice(0, 12);
}

function groups(ckpt: SupernetCheckpoint): Array<[string, TensorGroup]> {
  return [
    ['params', ckpt.params],
    ['buffers', ckpt.buffers],
    ['momentum', ckpt.momentum],
    ...ckpt.snapshots.map((s, i): [string, TensorGroup] => [`snapshot.${i}`, s.values]),
  ];
}

export function encodeCheckpoint(ckpt: SupernetCheckpoint): Buffer {
  const tensors: TensorEntry[] = [];
  const chunks: Float32Array[] = [];
  let total = 0;
  for (const [group, map] of groups(ckpt)) {
    for (const [name, t] of map) {
      const expected = t.shape.reduce((a, b) => a * b, 1);
      if (expected !== t.values.length) throw new RangeError(`${group}/${name}: shape [${t.shape.join(', ')}] needs ${expected} values, got ${t.values.length}`);
      tensors.push({ group, name, shape: [...t.shape], offset: total, length: t.values.length });
      chunks.push(t.values);
      total += t.values.length;
    }
  }
  const data = new Float32Array(total);
  chunks.forEach((c, i) => data.set(c, tensors[i]!.offset));
  const dataBytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const header: Header = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    identity: ckpt.identity,
    step: ckpt.step,
    sampling: ckpt.sampling,
    log: ckpt.log,
    snapshots: ckpt.snapshots.map((s) => ({ step: s.step, trainSeconds: s.trainSeconds })),
    tensors,
    dataSha256: createHash('sha256').update(dataBytes).digest('hex'),
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headerBytes.length);
  const used = MAGIC.length + 4 + headerBytes.length;
  const pad = Buffer.alloc((4 - (used % 4)) % 4);
  return Buffer.concat([MAGIC, length, headerBytes, pad, dataBytes]);
}

export function decodeCheckpoint(bytes: Buffer, file = 'checkpoint'): SupernetCheckpoint {
  if (bytes.length < MAGIC.length + 4 || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new DataError(`not a supernet checkpoint (expected magic "${MAGIC.toString('ascii')}")`, { file, offset: 0 });
  }
  const headerLength = bytes.readUInt32LE(MAGIC.length);
  const headerStart = MAGIC.length + 4;
  if (headerStart + headerLength > bytes.length) {
    throw new DataError(`header length ${headerLength} runs past the end of the file (${bytes.length} bytes)`, { file, offset: MAGIC.length });
  }
  let header: Header;
  try {
    header = JSON.parse(bytes.subarray(headerStart, headerStart + headerLength).toString('utf8')) as Header;
  } catch (err) {
    throw new DataError(`checkpoint header is not valid JSON: ${(err as Error).message}`, { file, offset: headerStart }, { cause: err });
  }
  if (header.format !== CHECKPOINT_FORMAT || header.version !== CHECKPOINT_VERSION) {
    throw new DataError(`unsupported checkpoint format ${header.format} version ${header.version} (this code reads ${CHECKPOINT_FORMAT} version ${CHECKPOINT_VERSION})`, { file, offset: headerStart });
  }
  const used = headerStart + headerLength;
  const dataStart = used + ((4 - (used % 4)) % 4);
  const dataBytes = bytes.subarray(dataStart);
  const sha = createHash('sha256').update(dataBytes).digest('hex');
  if (sha !== header.dataSha256) {
    throw new DataError(`checkpoint data is damaged: SHA-256 ${sha.slice(0, 16)}… does not match the header's ${String(header.dataSha256).slice(0, 16)}…`, { file, offset: dataStart });
  }
  // Copy into an aligned buffer: a Buffer from readFileSync may not start on a 4-byte boundary.
  const data = new Float32Array(dataBytes.length / 4);
  new Uint8Array(data.buffer).set(dataBytes);
  const byGroup = new Map<string, TensorGroup>();
  for (const t of header.tensors) {
    if (t.offset < 0 || t.offset + t.length > data.length) {
      throw new DataError(`tensor ${t.group}/${t.name} (elements ${t.offset}..${t.offset + t.length}) lies outside the data (${data.length} elements)`, { file, offset: dataStart + t.offset * 4 });
    }
    let g = byGroup.get(t.group);
    if (!g) byGroup.set(t.group, (g = new Map()));
    g.set(t.name, { shape: t.shape, values: data.slice(t.offset, t.offset + t.length) });
  }
  return {
    identity: header.identity,
    step: header.step,
    sampling: header.sampling,
    params: byGroup.get('params') ?? new Map(),
    buffers: byGroup.get('buffers') ?? new Map(),
    momentum: byGroup.get('momentum') ?? new Map(),
    log: header.log,
    snapshots: header.snapshots.map((s, i) => ({ ...s, values: byGroup.get(`snapshot.${i}`) ?? new Map() })),
  };
}

export function writeCheckpoint(file: string, ckpt: SupernetCheckpoint): void {
  writeFileAtomic(file, encodeCheckpoint(ckpt));
}

export function readCheckpoint(file: string): SupernetCheckpoint {
  return decodeCheckpoint(readFileSync(file), file);
}
