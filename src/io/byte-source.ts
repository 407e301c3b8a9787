/**
 * A synchronous, buffered, forward-only reader over a byte region: either a Buffer already in
 * memory or a [start, end) region of an open file descriptor. The pickle VM reads opcodes one
 * byte at a time, so the file is read in chunks (1 MiB by default) and only the current chunk is
 * held: a 4.7 GB .pth never has to fit in memory.
 *
 * Offsets reported by `position` are absolute offsets in the file (for a Buffer, `baseOffset`
 * plus the index), so every DataError points at the byte a user can inspect with a hex dump.
 */
import { readSync } from 'node:fs';
import { DataError } from '../util/errors.ts';

export interface ByteSourceOptions {
  /** File name for error messages. */
  file?: string;
  /** Absolute offset of the first byte (Buffer sources: where the buffer sits in its file). */
  baseOffset?: number;
}

export class ByteSource {
  readonly file: string | undefined;
  /** Current chunk. */
  private buf: Buffer;
  /** Read position inside `buf`. */
  private pos = 0;
  /** Absolute offset of buf[0]. */
  private bufStart: number;
  /** Absolute offset one past the last byte of the region. */
  readonly end: number;
  private readonly fd: number | undefined;
  private readonly chunkSize: number;

  private constructor(
    buf: Buffer,
    bufStart: number,
    end: number,
    fd: number | undefined,
    chunkSize: number,
    file: string | undefined,
  ) {
    this.buf = buf;
    this.bufStart = bufStart;
    this.end = end;
    this.fd = fd;
    this.chunkSize = chunkSize;
    this.file = file;
  }

  static fromBuffer(buf: Uint8Array, opts: ByteSourceOptions = {}): ByteSource {
    const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    const base = opts.baseOffset ?? 0;
    return new ByteSource(b, base, base + b.length, undefined, 0, opts.file);
  }

  /** Reads bytes [start, end) of an open file; the caller owns (and closes) the descriptor. */
  static fromFd(fd: number, start: number, end: number, opts: { file?: string; chunkSize?: number } = {}): ByteSource {
    return new ByteSource(Buffer.alloc(0), start, end, fd, opts.chunkSize ?? 1 << 20, opts.file);
  }

  /** Absolute offset of the next byte to be read. */
  get position(): number {
    return this.bufStart + this.pos;
  }

  get atEnd(): boolean {
    return this.position >= this.end;
  }

  private endsEarly(need: number): never {
    throw new DataError(`ends early at byte ${this.end} (needed ${need} more byte(s) at byte ${this.position})`, {
      file: this.file,
      offset: this.end,
    });
  }

  /** Makes at least `n` bytes available in buf from pos (n <= chunkSize), or throws. */
  private fill(n: number): void {
    if (this.fd === undefined || this.position + n > this.end) this.endsEarly(n);
    const start = this.position;
    const size = Math.min(Math.max(this.chunkSize, n), this.end - start);
    const next = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const r = readSync(this.fd, next, got, size - got, start + got);
      if (r === 0) break; // the file is shorter than the region we were told about
      got += r;
    }
    if (got < n) {
      throw new DataError(`ends early at byte ${start + got} (file shorter than expected)`, {
        file: this.file,
        offset: start + got,
      });
    }
    this.buf = got === size ? next : next.subarray(0, got);
    this.bufStart = start;
    this.pos = 0;
  }

  readByte(): number {
    if (this.pos >= this.buf.length) this.fill(1);
    return this.buf[this.pos++]!;
  }

  /**
   * The next n bytes. Small reads return a view of the chunk (valid until the next read: copy it
   * if it must live on); large reads (more than a chunk) return a fresh buffer read directly.
   */
  read(n: number): Buffer {
    if (n < 0 || !Number.isSafeInteger(n)) {
      throw new DataError(`invalid length ${n}`, { file: this.file, offset: this.position });
    }
    if (this.pos + n <= this.buf.length) {
      const out = this.buf.subarray(this.pos, this.pos + n);
      this.pos += n;
      return out;
    }
    if (this.fd === undefined || this.position + n > this.end) this.endsEarly(n);
    if (n > this.chunkSize) {
      // A large blob (e.g. an image array): read it in one go instead of through the chunk.
      const start = this.position;
      const out = Buffer.allocUnsafe(n);
      const have = this.buf.length - this.pos;
      this.buf.copy(out, 0, this.pos);
      let got = have;
      while (got < n) {
        const r = readSync(this.fd, out, got, n - got, start + got);
        if (r === 0) {
          throw new DataError(`ends early at byte ${start + got} (file shorter than expected)`, {
            file: this.file,
            offset: start + got,
          });
        }
        got += r;
      }
      this.buf = Buffer.alloc(0);
      this.bufStart = start + n;
      this.pos = 0;
      return out;
    }
    this.fill(n);
    const out = this.buf.subarray(0, n);
    this.pos = n;
    return out;
  }

  /** Like read, but the result is always a buffer of its own (safe to keep). */
  readOwned(n: number): Buffer {
    const fresh = n > this.chunkSize && this.fd !== undefined && this.pos + n > this.buf.length;
    const b = this.read(n);
    return fresh ? b : Buffer.from(b);
  }

  /** Bytes up to and excluding the next '\n' (text opcodes of protocol 0). */
  readLine(): Buffer {
    const parts: Buffer[] = [];
    for (;;) {
      if (this.pos >= this.buf.length) this.fill(1);
      const nl = this.buf.indexOf(0x0a, this.pos);
      if (nl >= 0) {
        parts.push(this.buf.subarray(this.pos, nl));
        this.pos = nl + 1;
        return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      }
      parts.push(Buffer.from(this.buf.subarray(this.pos)));
      this.pos = this.buf.length;
      if (parts.reduce((s, p) => s + p.length, 0) > 1 << 20) {
        throw new DataError('text line longer than 1 MiB (not a pickle?)', { file: this.file, offset: this.position });
      }
    }
  }

  /** Skips n bytes without keeping them. */
  skip(n: number): void {
    const inBuf = this.buf.length - this.pos;
    if (n <= inBuf) {
      this.pos += n;
      return;
    }
    if (this.position + n > this.end) this.endsEarly(n);
    this.bufStart = this.position + n;
    this.buf = Buffer.alloc(0);
    this.pos = 0;
  }
}
