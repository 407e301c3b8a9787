/**
 * A streaming reader for tar archives (POSIX ustar, with the GNU long-name and pax extended-header
 * records GNU tar writes), and the extraction of a `.tar.gz` into a directory.
 *
 * Why our own: no tar library is among the project's dependencies, and the archives we unpack
 * (the official CIFAR binary versions) need only this much: regular files and directories, names
 * longer than 100 bytes, sizes in octal or base-256. The gzip layer is Node's zlib.
 *
 * Format (POSIX.1-1988 ustar, IEEE Std 1003.1 "pax" section): 512-byte header blocks, each entry's
 * data padded to a multiple of 512, the archive ends with two zero blocks. Header fields used:
 * name[0..100), mode[100..108), size[124..136), chksum[148..156), typeflag[156], linkname[157..257),
 * magic[257..263), prefix[345..500) (ustar only; GNU tar leaves it for other data). The header
 * checksum (sum of the header's bytes with the checksum field read as spaces) is verified, so a
 * corrupt or foreign file is refused at its first header rather than unpacked as garbage.
 *
 * Safety: entry names are resolved under the destination; absolute names, `..` components,
 * symbolic and hard links and device files are refused (an archive must not write outside the
 * directory it is unpacked into).
 */
import { closeSync, createReadStream, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { DataError } from '../util/errors.ts';

const BLOCK = 512;

export interface TarEntry {
  /** Path inside the archive, '/'-separated, without a trailing '/'. */
  name: string;
  type: 'file' | 'directory';
  size: number;
  mode: number;
}

/** Callbacks of the push parser: an entry starts, its data arrives in chunks, it ends. */
export interface TarHandler {
  entry(e: TarEntry): void;
  data(chunk: Buffer): void;
  endEntry(): void;
}

/** Reads a NUL-terminated (or full-width) text field. */
function field(h: Buffer, start: number, length: number): string {
  const end = h.indexOf(0, start);
  return h.toString('utf8', start, end >= 0 && end < start + length ? end : start + length);
}

/** A numeric field: octal text, or base-256 (high bit of the first byte set, GNU/star). */
function numeric(h: Buffer, start: number, length: number): number {
  if (h[start]! & 0x80) {
    let v = h[start]! & 0x7f;
    for (let i = start + 1; i < start + length; i++) v = v * 256 + h[i]!;
    return v;
  }
  const text = field(h, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return NaN;
  return parseInt(text, 8);
}

/** The pax records "<len> <key>=<value>\n" of an extended header. */
function paxRecords(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const len = Number(data.toString('latin1', pos, space));
    if (!Number.isInteger(len) || len <= 0) break;
    const record = data.toString('utf8', space + 1, pos + len - 1); // without the trailing '\n'
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

/**
 * A push parser: feed it the decompressed bytes in any chunking with `write`, then `end`.
 * `where` names the archive in errors.
 */
export class TarParser {
  private header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  /** Bytes of the current entry's data still to come, then its padding. */
  private remaining = 0;
  private padding = 0;
  private current: 'entry' | 'longname' | 'pax' | 'skip' | null = null;
  private meta: Buffer[] = [];
  private longName?: string;
  private paxPath?: string;
  private zeroBlocks = 0;
  private finished = false;
  private offset = 0;

  constructor(
    private readonly handler: TarHandler,
    private readonly where: string,
  ) {}

  write(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.finished) return; // bytes after the end-of-archive blocks are padding
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - pos);
        const part = chunk.subarray(pos, pos + n);
        if (this.current === 'entry') this.handler.data(part);
        else if (this.current === 'longname' || this.current === 'pax') this.meta.push(Buffer.from(part));
        this.remaining -= n;
        pos += n;
        this.offset += n;
        if (this.remaining === 0) this.finishData();
        continue;
      }
      if (this.padding > 0) {
        const n = Math.min(this.padding, chunk.length - pos);
        this.padding -= n;
        pos += n;
        this.offset += n;
        continue;
      }
      const n = Math.min(BLOCK - this.headerFill, chunk.length - pos);
      chunk.copy(this.header, this.headerFill, pos, pos + n);
      this.headerFill += n;
      pos += n;
      this.offset += n;
      if (this.headerFill === BLOCK) {
        this.headerFill = 0;
        this.onHeader();
      }
    }
  }

  /** The input ended: anything but a complete archive is an error. */
  end(): void {
    if (this.finished) return;
    if (this.remaining > 0 || this.headerFill > 0) {
      throw new DataError(`tar archive ends early at byte ${this.offset} (truncated download?)`, { file: this.where });
    }
    // Some writers omit the final zero blocks; an archive that ends on an entry boundary is complete.
  }

  private onHeader(): void {
    const h = this.header;
    if (h.every((b) => b === 0)) {
      if (++this.zeroBlocks === 2) this.finished = true;
      return;
    }
    this.zeroBlocks = 0;
    const start = this.offset - BLOCK;
    const stored = numeric(h, 148, 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    if (stored !== sum) {
      throw new DataError(`not a tar archive or corrupt: header checksum mismatch at byte ${start}`, { file: this.where });
    }
    const size = numeric(h, 124, 12);
    if (!Number.isFinite(size) || size < 0) throw new DataError(`bad tar entry size at byte ${start}`, { file: this.where });
    const type = String.fromCharCode(h[156]!);
    const magic = h.toString('latin1', 257, 263);
    const prefix = magic === 'ustar\u0000' ? field(h, 345, 155) : '';
    const headerName = prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100);
    this.remaining = size;
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (type === 'L' || type === 'x') {
      this.current = type === 'L' ? 'longname' : 'pax';
      this.meta = [];
    } else if (type === 'g' || type === 'K') {
      this.current = 'skip'; // global pax defaults and long link names: nothing we use
    } else if (type === '0' || type === '\u0000' || type === '7' || type === '5') {
      const name = (this.paxPath ?? this.longName ?? headerName).replace(/\/+$/, '');
      this.longName = undefined;
      this.paxPath = undefined;
      this.current = 'entry';
      this.handler.entry({ name, type: type === '5' ? 'directory' : 'file', size, mode: numeric(h, 100, 8) || 0o644 });
    } else {
      const what = { '1': 'a hard link', '2': 'a symbolic link', '3': 'a device file', '4': 'a device file', '6': 'a FIFO' }[type] ?? `type '${type}'`;
      throw new DataError(`tar entry ${headerName} is ${what}; only files and directories are unpacked`, { file: this.where });
    }
    if (this.remaining === 0) this.finishData();
  }

  private finishData(): void {
    const kind = this.current;
    this.current = null;
    if (kind === 'entry') this.handler.endEntry();
    else if (kind === 'longname') this.longName = Buffer.concat(this.meta).toString('utf8').replace(/\0+$/, '');
    else if (kind === 'pax') this.paxPath = paxRecords(Buffer.concat(this.meta)).get('path');
  }
}

/** `name` resolved under `dest`, or a DataError if it would land outside it. */
export function safeEntryPath(dest: string, name: string, archive: string): string {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (name.startsWith('/') || parts.some((p) => p === '..') || parts.length === 0) {
    throw new DataError(`tar entry '${name}' would be written outside the destination; refusing to unpack`, { file: archive });
  }
  return path.join(dest, ...parts);
}

export interface ExtractSummary {
  files: string[];
  bytes: number;
}

/** Unpacks a gzip-compressed tar archive into `dest` (created). Returns the files written. */
export async function extractTarGz(archive: string, dest: string): Promise<ExtractSummary> {
  mkdirSync(dest, { recursive: true });
  const files: string[] = [];
  let bytes = 0;
  let fd: number | undefined;
  const parser = new TarParser(
    {
      entry(e) {
        const target = safeEntryPath(dest, e.name, archive);
        if (e.type === 'directory') {
          mkdirSync(target, { recursive: true });
          return;
        }
        mkdirSync(path.dirname(target), { recursive: true });
        fd = openSync(target, 'w', e.mode & 0o777 || 0o644);
        files.push(target);
      },
      data(chunk) {
        if (fd === undefined) return;
        let written = 0;
        while (written < chunk.length) written += writeSync(fd, chunk, written, chunk.length - written);
        bytes += chunk.length;
      },
      endEntry() {
        if (fd !== undefined) closeSync(fd);
        fd = undefined;
      },
    },
    archive,
  );
  try {
    const gunzip = createReadStream(archive).pipe(createGunzip());
    for await (const chunk of gunzip) parser.write(chunk as Buffer);
    parser.end();
  } catch (e) {
    if (e instanceof DataError) throw e;
    const code = (e as { code?: string }).code;
    if (code?.startsWith('Z_') || /unexpected end of file|incorrect header check|invalid/i.test((e as Error).message)) {
      throw new DataError(`not a readable .tar.gz (${(e as Error).message}); the download is corrupt or incomplete`, { file: archive }, { cause: e });
    }
    throw e;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return { files, bytes };
}
