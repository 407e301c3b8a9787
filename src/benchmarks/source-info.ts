/**
 * Provenance of an imported source: its path, format and a sha256 checksum, recorded in the store
 * so a report can say exactly which file its ground truth came from.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SourceInfo } from './records.ts';

async function hashInto(hash: ReturnType<typeof createHash>, file: string): Promise<number> {
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 22 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return bytes;
}

/** sha256 of a file, or of a directory's files concatenated in name order (streamed). */
export async function describeSource(src: string, format: string): Promise<SourceInfo> {
  const hash = createHash('sha256');
  let bytes = 0;
  if (statSync(src).isDirectory()) {
    for (const name of readdirSync(src).sort()) {
      const p = path.join(src, name);
      if (statSync(p).isFile()) bytes += await hashInto(hash, p);
    }
  } else {
    bytes = await hashInto(hash, src);
  }
  return { path: path.resolve(src), format, sha256: hash.digest('hex'), bytes };
}
