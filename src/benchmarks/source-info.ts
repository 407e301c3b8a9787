/**
 * Provenance of an imported source: its path, format, size, SHA-256 and MD5, and a fingerprint
 * (size and modification time of the file, or of every file of a directory), recorded in the
 * store so that a report can say exactly which file its ground truth came from, and so that the
 * data discovery can tell an unchanged file (nothing to import) from a new or replaced one
 * without hashing gigabytes on every run.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { createProgress, type Progress } from '../util/progress.ts';
import type { SourceInfo } from './records.ts';

/** Sources larger than this show a progress bar while hashed (on a TTY only; CI logs stay quiet). */
const PROGRESS_BYTES = 256 * 2 ** 20;

export interface SourceDigests {
  sha256: string;
  md5: string;
  bytes: number;
}

async function hashInto(hashes: ReturnType<typeof createHash>[], file: string, progress?: Progress): Promise<number> {
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 22 })) {
    for (const h of hashes) h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    progress?.tick((chunk as Buffer).length / 2 ** 20);
  }
  return bytes;
}

function filesOf(src: string): string[] {
  return statSync(src).isDirectory()
    ? readdirSync(src)
        .sort()
        .map((name) => path.join(src, name))
        .filter((p) => statSync(p).isFile())
    : [src];
}

/** SHA-256 and MD5 of a file, or of a directory's files concatenated in name order, in one streamed pass. */
export async function sourceDigests(src: string): Promise<SourceDigests> {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  let bytes = 0;
  const files = filesOf(src);
  const total = files.reduce((n, f) => n + statSync(f).size, 0);
  const progress = total > PROGRESS_BYTES ? createProgress(`checksum ${path.basename(src)} (MiB)`, Math.ceil(total / 2 ** 20), { summary: false }) : undefined;
  try {
    for (const f of files) bytes += await hashInto([sha, md5], f, progress);
  } finally {
    progress?.done();
  }
  return { sha256: sha.digest('hex'), md5: md5.digest('hex'), bytes };
}

/** Size and mtime of the file, or of each file of the directory: changes when the data does. */
export function sourceFingerprint(src: string): string {
  const parts = filesOf(src).map((f) => {
    const st = statSync(f);
    return `${path.basename(f)}:${st.size}:${Math.round(st.mtimeMs)}`;
  });
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
}

export async function describeSource(src: string, format: string, digests?: SourceDigests): Promise<SourceInfo> {
  const d = digests ?? (await sourceDigests(src));
  return { path: path.resolve(src), format, sha256: d.sha256, md5: d.md5, bytes: d.bytes, fingerprint: sourceFingerprint(src) };
}
