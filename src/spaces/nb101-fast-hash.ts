/**
 * The official NB101 module hash (see hashModule in nb101.ts), computed without strings, for
 * enumerating the whole space: ~1.3 million labelled graphs x ~57 MD5s each is too slow through
 * node:crypto (each call allocates a Hash object and a hex string). This version keeps vertex
 * digests as bytes and runs a plain MD5 (RFC 1321) over a reused buffer.
 *
 * It hashes exactly the same text as hashModule: hex digests are written as lowercase ASCII, and
 * ordering digests by their bytes is the same as ordering their hex strings, so the sorts agree.
 * The test checks it against hashModule on every cell it enumerates for small vertex counts.
 */
import { createHash } from 'node:crypto';

// The 64 MD5 steps below are written out in full (generated from RFC 1321's tables): V8's
// inlining budget does not cover 64 calls to step helpers, and a table-driven loop is ~2x slower.
const HEX = new Uint8Array(16).map((_, i) => '0123456789abcdef'.charCodeAt(i));

function word(msg: Uint8Array, p: number): number {
  return msg[p] | (msg[p + 1] << 8) | (msg[p + 2] << 16) | (msg[p + 3] << 24);
}

/**
 * MD5 of msg[0, len), digest written to out[outOff, outOff+16). msg must have room for the padding
 * (len + 72 bytes); the bytes past len are overwritten.
 */
export function md5Into(msg: Uint8Array, len: number, out: Uint8Array, outOff: number): void {
  // Padding: 0x80, zeros to 56 mod 64, then the bit length as 64-bit little endian.
  let padded = len + 1;
  msg[len] = 0x80;
  while (padded % 64 !== 56) msg[padded++] = 0;
  const bits = len * 8;
  msg[padded++] = bits & 0xff;
  msg[padded++] = (bits >>> 8) & 0xff;
  msg[padded++] = (bits >>> 16) & 0xff;
  msg[padded++] = (bits >>> 24) & 0xff;
  msg[padded++] = 0;
  msg[padded++] = 0;
  msg[padded++] = 0;
  msg[padded++] = 0;

  let a0 = 0x67452301 | 0;
  let b0 = 0xefcdab89 | 0;
  let c0 = 0x98badcfe | 0;
  let d0 = 0x10325476 | 0;
  for (let block = 0; block < padded; block += 64) {
    const x0 = word(msg, block + 0);
    const x1 = word(msg, block + 4);
    const x2 = word(msg, block + 8);
    const x3 = word(msg, block + 12);
    const x4 = word(msg, block + 16);
    const x5 = word(msg, block + 20);
    const x6 = word(msg, block + 24);
    const x7 = word(msg, block + 28);
    const x8 = word(msg, block + 32);
    const x9 = word(msg, block + 36);
    const x10 = word(msg, block + 40);
    const x11 = word(msg, block + 44);
    const x12 = word(msg, block + 48);
    const x13 = word(msg, block + 52);
    const x14 = word(msg, block + 56);
    const x15 = word(msg, block + 60);
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    let t: number;
    t = (a + ((b & c) | (~b & d)) + x0 + (0xd76aa478 | 0)) | 0;
    a = (b + ((t << 7) | (t >>> 25))) | 0;
    t = (d + ((a & b) | (~a & c)) + x1 + (0xe8c7b756 | 0)) | 0;
    d = (a + ((t << 12) | (t >>> 20))) | 0;
    t = (c + ((d & a) | (~d & b)) + x2 + (0x242070db | 0)) | 0;
    c = (d + ((t << 17) | (t >>> 15))) | 0;
    t = (b + ((c & d) | (~c & a)) + x3 + (0xc1bdceee | 0)) | 0;
    b = (c + ((t << 22) | (t >>> 10))) | 0;
    t = (a + ((b & c) | (~b & d)) + x4 + (0xf57c0faf | 0)) | 0;
    a = (b + ((t << 7) | (t >>> 25))) | 0;
    t = (d + ((a & b) | (~a & c)) + x5 + (0x4787c62a | 0)) | 0;
    d = (a + ((t << 12) | (t >>> 20))) | 0;
    t = (c + ((d & a) | (~d & b)) + x6 + (0xa8304613 | 0)) | 0;
    c = (d + ((t << 17) | (t >>> 15))) | 0;
    t = (b + ((c & d) | (~c & a)) + x7 + (0xfd469501 | 0)) | 0;
    b = (c + ((t << 22) | (t >>> 10))) | 0;
    t = (a + ((b & c) | (~b & d)) + x8 + (0x698098d8 | 0)) | 0;
    a = (b + ((t << 7) | (t >>> 25))) | 0;
    t = (d + ((a & b) | (~a & c)) + x9 + (0x8b44f7af | 0)) | 0;
    d = (a + ((t << 12) | (t >>> 20))) | 0;
    t = (c + ((d & a) | (~d & b)) + x10 + (0xffff5bb1 | 0)) | 0;
    c = (d + ((t << 17) | (t >>> 15))) | 0;
    t = (b + ((c & d) | (~c & a)) + x11 + (0x895cd7be | 0)) | 0;
    b = (c + ((t << 22) | (t >>> 10))) | 0;
    t = (a + ((b & c) | (~b & d)) + x12 + (0x6b901122 | 0)) | 0;
    a = (b + ((t << 7) | (t >>> 25))) | 0;
    t = (d + ((a & b) | (~a & c)) + x13 + (0xfd987193 | 0)) | 0;
    d = (a + ((t << 12) | (t >>> 20))) | 0;
    t = (c + ((d & a) | (~d & b)) + x14 + (0xa679438e | 0)) | 0;
    c = (d + ((t << 17) | (t >>> 15))) | 0;
    t = (b + ((c & d) | (~c & a)) + x15 + (0x49b40821 | 0)) | 0;
    b = (c + ((t << 22) | (t >>> 10))) | 0;
    t = (a + ((b & d) | (c & ~d)) + x1 + (0xf61e2562 | 0)) | 0;
    a = (b + ((t << 5) | (t >>> 27))) | 0;
    t = (d + ((a & c) | (b & ~c)) + x6 + (0xc040b340 | 0)) | 0;
    d = (a + ((t << 9) | (t >>> 23))) | 0;
    t = (c + ((d & b) | (a & ~b)) + x11 + (0x265e5a51 | 0)) | 0;
    c = (d + ((t << 14) | (t >>> 18))) | 0;
    t = (b + ((c & a) | (d & ~a)) + x0 + (0xe9b6c7aa | 0)) | 0;
    b = (c + ((t << 20) | (t >>> 12))) | 0;
    t = (a + ((b & d) | (c & ~d)) + x5 + (0xd62f105d | 0)) | 0;
    a = (b + ((t << 5) | (t >>> 27))) | 0;
    t = (d + ((a & c) | (b & ~c)) + x10 + (0x02441453 | 0)) | 0;
    d = (a + ((t << 9) | (t >>> 23))) | 0;
    t = (c + ((d & b) | (a & ~b)) + x15 + (0xd8a1e681 | 0)) | 0;
    c = (d + ((t << 14) | (t >>> 18))) | 0;
    t = (b + ((c & a) | (d & ~a)) + x4 + (0xe7d3fbc8 | 0)) | 0;
    b = (c + ((t << 20) | (t >>> 12))) | 0;
    t = (a + ((b & d) | (c & ~d)) + x9 + (0x21e1cde6 | 0)) | 0;
    a = (b + ((t << 5) | (t >>> 27))) | 0;
    t = (d + ((a & c) | (b & ~c)) + x14 + (0xc33707d6 | 0)) | 0;
    d = (a + ((t << 9) | (t >>> 23))) | 0;
    t = (c + ((d & b) | (a & ~b)) + x3 + (0xf4d50d87 | 0)) | 0;
    c = (d + ((t << 14) | (t >>> 18))) | 0;
    t = (b + ((c & a) | (d & ~a)) + x8 + (0x455a14ed | 0)) | 0;
    b = (c + ((t << 20) | (t >>> 12))) | 0;
    t = (a + ((b & d) | (c & ~d)) + x13 + (0xa9e3e905 | 0)) | 0;
    a = (b + ((t << 5) | (t >>> 27))) | 0;
    t = (d + ((a & c) | (b & ~c)) + x2 + (0xfcefa3f8 | 0)) | 0;
    d = (a + ((t << 9) | (t >>> 23))) | 0;
    t = (c + ((d & b) | (a & ~b)) + x7 + (0x676f02d9 | 0)) | 0;
    c = (d + ((t << 14) | (t >>> 18))) | 0;
    t = (b + ((c & a) | (d & ~a)) + x12 + (0x8d2a4c8a | 0)) | 0;
    b = (c + ((t << 20) | (t >>> 12))) | 0;
    t = (a + (b ^ c ^ d) + x5 + (0xfffa3942 | 0)) | 0;
    a = (b + ((t << 4) | (t >>> 28))) | 0;
    t = (d + (a ^ b ^ c) + x8 + (0x8771f681 | 0)) | 0;
    d = (a + ((t << 11) | (t >>> 21))) | 0;
    t = (c + (d ^ a ^ b) + x11 + (0x6d9d6122 | 0)) | 0;
    c = (d + ((t << 16) | (t >>> 16))) | 0;
    t = (b + (c ^ d ^ a) + x14 + (0xfde5380c | 0)) | 0;
    b = (c + ((t << 23) | (t >>> 9))) | 0;
    t = (a + (b ^ c ^ d) + x1 + (0xa4beea44 | 0)) | 0;
    a = (b + ((t << 4) | (t >>> 28))) | 0;
    t = (d + (a ^ b ^ c) + x4 + (0x4bdecfa9 | 0)) | 0;
    d = (a + ((t << 11) | (t >>> 21))) | 0;
    t = (c + (d ^ a ^ b) + x7 + (0xf6bb4b60 | 0)) | 0;
    c = (d + ((t << 16) | (t >>> 16))) | 0;
    t = (b + (c ^ d ^ a) + x10 + (0xbebfbc70 | 0)) | 0;
    b = (c + ((t << 23) | (t >>> 9))) | 0;
    t = (a + (b ^ c ^ d) + x13 + (0x289b7ec6 | 0)) | 0;
    a = (b + ((t << 4) | (t >>> 28))) | 0;
    t = (d + (a ^ b ^ c) + x0 + (0xeaa127fa | 0)) | 0;
    d = (a + ((t << 11) | (t >>> 21))) | 0;
    t = (c + (d ^ a ^ b) + x3 + (0xd4ef3085 | 0)) | 0;
    c = (d + ((t << 16) | (t >>> 16))) | 0;
    t = (b + (c ^ d ^ a) + x6 + (0x04881d05 | 0)) | 0;
    b = (c + ((t << 23) | (t >>> 9))) | 0;
    t = (a + (b ^ c ^ d) + x9 + (0xd9d4d039 | 0)) | 0;
    a = (b + ((t << 4) | (t >>> 28))) | 0;
    t = (d + (a ^ b ^ c) + x12 + (0xe6db99e5 | 0)) | 0;
    d = (a + ((t << 11) | (t >>> 21))) | 0;
    t = (c + (d ^ a ^ b) + x15 + (0x1fa27cf8 | 0)) | 0;
    c = (d + ((t << 16) | (t >>> 16))) | 0;
    t = (b + (c ^ d ^ a) + x2 + (0xc4ac5665 | 0)) | 0;
    b = (c + ((t << 23) | (t >>> 9))) | 0;
    t = (a + (c ^ (b | ~d)) + x0 + (0xf4292244 | 0)) | 0;
    a = (b + ((t << 6) | (t >>> 26))) | 0;
    t = (d + (b ^ (a | ~c)) + x7 + (0x432aff97 | 0)) | 0;
    d = (a + ((t << 10) | (t >>> 22))) | 0;
    t = (c + (a ^ (d | ~b)) + x14 + (0xab9423a7 | 0)) | 0;
    c = (d + ((t << 15) | (t >>> 17))) | 0;
    t = (b + (d ^ (c | ~a)) + x5 + (0xfc93a039 | 0)) | 0;
    b = (c + ((t << 21) | (t >>> 11))) | 0;
    t = (a + (c ^ (b | ~d)) + x12 + (0x655b59c3 | 0)) | 0;
    a = (b + ((t << 6) | (t >>> 26))) | 0;
    t = (d + (b ^ (a | ~c)) + x3 + (0x8f0ccc92 | 0)) | 0;
    d = (a + ((t << 10) | (t >>> 22))) | 0;
    t = (c + (a ^ (d | ~b)) + x10 + (0xffeff47d | 0)) | 0;
    c = (d + ((t << 15) | (t >>> 17))) | 0;
    t = (b + (d ^ (c | ~a)) + x1 + (0x85845dd1 | 0)) | 0;
    b = (c + ((t << 21) | (t >>> 11))) | 0;
    t = (a + (c ^ (b | ~d)) + x8 + (0x6fa87e4f | 0)) | 0;
    a = (b + ((t << 6) | (t >>> 26))) | 0;
    t = (d + (b ^ (a | ~c)) + x15 + (0xfe2ce6e0 | 0)) | 0;
    d = (a + ((t << 10) | (t >>> 22))) | 0;
    t = (c + (a ^ (d | ~b)) + x6 + (0xa3014314 | 0)) | 0;
    c = (d + ((t << 15) | (t >>> 17))) | 0;
    t = (b + (d ^ (c | ~a)) + x13 + (0x4e0811a1 | 0)) | 0;
    b = (c + ((t << 21) | (t >>> 11))) | 0;
    t = (a + (c ^ (b | ~d)) + x4 + (0xf7537e82 | 0)) | 0;
    a = (b + ((t << 6) | (t >>> 26))) | 0;
    t = (d + (b ^ (a | ~c)) + x11 + (0xbd3af235 | 0)) | 0;
    d = (a + ((t << 10) | (t >>> 22))) | 0;
    t = (c + (a ^ (d | ~b)) + x2 + (0x2ad7d2bb | 0)) | 0;
    c = (d + ((t << 15) | (t >>> 17))) | 0;
    t = (b + (d ^ (c | ~a)) + x9 + (0xeb86d391 | 0)) | 0;
    b = (c + ((t << 21) | (t >>> 11))) | 0;
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  writeWord(out, outOff, a0);
  writeWord(out, outOff + 4, b0);
  writeWord(out, outOff + 8, c0);
  writeWord(out, outOff + 12, d0);
}

function writeWord(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
  out[at + 2] = (v >>> 16) & 0xff;
  out[at + 3] = (v >>> 24) & 0xff;
}

const HEX_PAIRS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Reusable hasher for graphs of up to `maxVertices` vertices. Graphs come as adjacency bitmasks:
 * out[v] has bit w set for an edge v -> w (upper triangular), labels as in hashModule.
 */
export class FastModuleHasher {
  private readonly n: number;
  private cur: Uint8Array;
  private next: Uint8Array;
  private readonly msg: Uint8Array;
  private readonly digest = new Uint8Array(16);
  private readonly order: number[];
  /** Digest of '(out, in, label)' keyed by out*... (see initialKey); computed on first use. */
  private readonly initial = new Map<number, Uint8Array>();

  constructor(maxVertices = 7) {
    this.n = maxVertices;
    this.cur = new Uint8Array(maxVertices * 16);
    this.next = new Uint8Array(maxVertices * 16);
    // Longest text: the final list, 2 + n*34 + (n-1)*2 bytes; a round message is at most
    // (n-1)*32 + 2 + 32. Plus 72 bytes of MD5 padding.
    this.msg = new Uint8Array(maxVertices * 40 + 128);
    this.order = new Array<number>(maxVertices).fill(0);
  }

  private initialDigest(out: number, inn: number, label: number): Uint8Array {
    const key = (out * 64 + inn) * 16 + (label + 8);
    let d = this.initial.get(key);
    if (d === undefined) {
      d = new Uint8Array(createHash('md5').update(`(${out}, ${inn}, ${label})`).digest());
      this.initial.set(key, d);
    }
    return d;
  }

  /** Byte order of digests v and w in `digests` (same as their hex strings). */
  private static compare(digests: Uint8Array, v: number, w: number): number {
    const pv = v * 16;
    const pw = w * 16;
    for (let i = 0; i < 16; i++) {
      const diff = digests[pv + i] - digests[pw + i];
      if (diff !== 0) return diff;
    }
    return 0;
  }

  /** Sorts the first `count` entries of this.order by digest (insertion sort: count <= 7). */
  private sortOrder(digests: Uint8Array, count: number): void {
    const o = this.order;
    for (let i = 1; i < count; i++) {
      const x = o[i];
      let j = i - 1;
      while (j >= 0 && FastModuleHasher.compare(digests, o[j], x) > 0) {
        o[j + 1] = o[j];
        j--;
      }
      o[j + 1] = x;
    }
  }

  private writeHex(digests: Uint8Array, v: number, at: number): number {
    const msg = this.msg;
    const p = v * 16;
    for (let i = 0; i < 16; i++) {
      const byte = digests[p + i];
      msg[at++] = HEX[byte >>> 4];
      msg[at++] = HEX[byte & 15];
    }
    return at;
  }

  /** The module hash (32 hex chars) of an n-vertex graph given as out-edge bitmasks. */
  hash(n: number, outMask: ArrayLike<number>, labels: ArrayLike<number>): string {
    if (n > this.n) throw new RangeError(`FastModuleHasher built for ${this.n} vertices, got ${n}`);
    let cur = this.cur;
    let next = this.next;
    const inMask = new Array<number>(n).fill(0);
    for (let v = 0; v < n; v++) for (let w = 0; w < n; w++) if ((outMask[v] >>> w) & 1) inMask[w] |= 1 << v;
    for (let v = 0; v < n; v++) {
      cur.set(this.initialDigest(popcount(outMask[v]), popcount(inMask[v]), labels[v]), v * 16);
    }
    const msg = this.msg;
    const bar = 0x7c; // '|'
    for (let round = 0; round < n; round++) {
      for (let v = 0; v < n; v++) {
        let at = 0;
        let count = 0;
        for (let w = 0; w < n; w++) if ((inMask[v] >>> w) & 1) this.order[count++] = w;
        this.sortOrder(cur, count);
        for (let i = 0; i < count; i++) at = this.writeHex(cur, this.order[i], at);
        msg[at++] = bar;
        count = 0;
        for (let w = 0; w < n; w++) if ((outMask[v] >>> w) & 1) this.order[count++] = w;
        this.sortOrder(cur, count);
        for (let i = 0; i < count; i++) at = this.writeHex(cur, this.order[i], at);
        msg[at++] = bar;
        at = this.writeHex(cur, v, at);
        md5Into(msg, at, next, v * 16);
      }
      const t = cur;
      cur = next;
      next = t;
    }
    // str(sorted(hashes)): "['h0', 'h1', ...]"
    for (let v = 0; v < n; v++) this.order[v] = v;
    this.sortOrder(cur, n);
    let at = 0;
    msg[at++] = 0x5b; // '['
    for (let i = 0; i < n; i++) {
      if (i > 0) {
        msg[at++] = 0x2c; // ','
        msg[at++] = 0x20; // ' '
      }
      msg[at++] = 0x27; // "'"
      at = this.writeHex(cur, this.order[i], at);
      msg[at++] = 0x27;
    }
    msg[at++] = 0x5d; // ']'
    md5Into(msg, at, this.digest, 0);
    let hex = '';
    for (let i = 0; i < 16; i++) hex += HEX_PAIRS[this.digest[i]];
    return hex;
  }
}

export function popcount(x: number): number {
  let c = 0;
  while (x) {
    x &= x - 1;
    c++;
  }
  return c;
}
