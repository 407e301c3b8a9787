/**
 * The central directory of a zip archive (torch's zip serialization) and where each entry's bytes
 * start, so that a STORED entry can be read in place from the file descriptor (torch writes all
 * entries uncompressed, aligned to 64 bytes) instead of being extracted into memory.
 */
import { readSync } from 'node:fs';
import yauzl from 'yauzl';
import { DataError } from '../util/errors.ts';

export interface ZipEntryInfo {
  name: string;
  /** 0 = stored, 8 = deflate. */
  compressionMethod: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

export function listZipEntries(file: string): Promise<ZipEntryInfo[]> {
  return new Promise((resolve, reject) => {
    const fail = (e: unknown): void => {
      const msg = e instanceof Error ? e.message : String(e);
      reject(new DataError(`not a readable zip archive (${msg})`, { file }, { cause: e }));
    };
    yauzl.open(file, { lazyEntries: true, autoClose: true, decodeStrings: true }, (err, zip) => {
      if (err || !zip) return fail(err ?? 'no zip');
      const entries: ZipEntryInfo[] = [];
      zip.on('entry', (e: yauzl.Entry) => {
        entries.push({
          name: e.fileName,
          compressionMethod: e.compressionMethod,
          compressedSize: e.compressedSize,
          uncompressedSize: e.uncompressedSize,
          localHeaderOffset: e.relativeOffsetOfLocalHeader,
        });
        zip.readEntry();
      });
      zip.on('end', () => resolve(entries));
      zip.on('error', fail);
      zip.readEntry();
    });
  });
}

/** Offset of the entry's first data byte: after the 30-byte local header, name and extra field. */
export function entryDataOffset(fd: number, entry: ZipEntryInfo, file: string): number {
  const h = Buffer.alloc(30);
  const n = readSync(fd, h, 0, 30, entry.localHeaderOffset);
  if (n < 30) {
    throw new DataError(`ends early at byte ${entry.localHeaderOffset + n} (local header of ${entry.name})`, {
      file,
      offset: entry.localHeaderOffset + n,
    });
  }
  if (h.readUInt32LE(0) !== 0x04034b50) {
    throw new DataError(`no local file header for zip entry ${entry.name}`, { file, offset: entry.localHeaderOffset });
  }
  return entry.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
}
