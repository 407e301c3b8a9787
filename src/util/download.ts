/**
 * A verified, resumable download over HTTP(S) with Node's own http/https/crypto.
 *
 * - The bytes go to `<dest>.part`; a `.part` left by an interrupted run is resumed with an HTTP
 *   Range request (`Range: bytes=<size>-`). A server that answers 206 gets the rest appended; one
 *   that ignores the range (200) sends the whole file again, which replaces the `.part`.
 * - A response that ends before its Content-Length is an error that keeps the `.part`, so the next
 *   run resumes from there (users report Google Drive and university mirrors dropping large
 *   downloads halfway).
 * - When the bytes are complete their digest is computed over the whole `.part` (streamed, so the
 *   resumed part is checked too) and compared with the published one; a mismatch moves the file to
 *   `<dest>.bad` and refuses, naming both digests. Only a verified file is renamed to `dest`.
 * - Redirects (301/302/303/307/308) are followed, at most 5.
 * - Progress: a bar on a TTY (src/util/progress.ts), one summary line elsewhere.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { DataError } from './errors.ts';
import { createProgress, type ProgressStream } from './progress.ts';

export type DigestAlgorithm = 'md5' | 'sha256';

export interface ExpectedDigest {
  algorithm: DigestAlgorithm;
  hex: string;
  /** Where the expected value is published, for the refusal message. */
  source?: string;
}

export interface DownloadOptions {
  url: string;
  dest: string;
  expected: ExpectedDigest;
  /** Progress output (default process.stderr). */
  stream?: ProgressStream;
}

export interface DownloadResult {
  file: string;
  bytes: number;
  /** Bytes that were already on disk in the `.part` and not downloaded again. */
  resumedFrom: number;
  digest: string;
}

const MAX_REDIRECTS = 5;

/** Hex digest of a file, streamed (a multi-GB file is never held in memory). */
export async function fileDigest(file: string, algorithm: DigestAlgorithm): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 22 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function get(url: string, headers: Record<string, string>): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      reject(new DataError(`not a valid URL: ${url}`));
      return;
    }
    const lib = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : undefined;
    if (!lib) {
      reject(new DataError(`unsupported URL scheme ${u.protocol} (http and https only): ${url}`));
      return;
    }
    const req = lib.get(u, { headers }, resolve);
    req.on('error', (e) => reject(new DataError(`cannot download ${url}: ${(e as Error).message}`, {}, { cause: e })));
  });
}

/** Follows redirects; returns the final response (its body not yet read). */
async function request(url: string, headers: Record<string, string>): Promise<{ res: http.IncomingMessage; url: string }> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await get(current, headers);
    const status = res.statusCode ?? 0;
    if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
      res.resume();
      current = new URL(res.headers.location, current).toString();
      continue;
    }
    return { res, url: current };
  }
  throw new DataError(`more than ${MAX_REDIRECTS} redirects from ${url}`);
}

export async function download(o: DownloadOptions): Promise<DownloadResult> {
  const part = `${o.dest}.part`;
  mkdirSync(path.dirname(path.resolve(o.dest)), { recursive: true });
  const have = existsSync(part) ? statSync(part).size : 0;
  const headers: Record<string, string> = { 'user-agent': 'nasrepro-fetch', ...(have > 0 ? { range: `bytes=${have}-` } : {}) };
  const { res, url } = await request(o.url, headers);
  const status = res.statusCode ?? 0;

  let resumedFrom = 0;
  let total: number | undefined;
  if (status === 416 && have > 0) {
    // Nothing after `have`: the .part is already complete (a run killed between the last byte and
    // the rename). Verified below like any other download.
    res.resume();
    resumedFrom = have;
    total = have;
  } else if (status === 206 && have > 0) {
    resumedFrom = have;
    const range = /bytes (\d+)-(\d+)\/(\d+|\*)/.exec(String(res.headers['content-range'] ?? ''));
    if (!range || Number(range[1]) !== have) {
      res.resume();
      throw new DataError(`${url}: the server answered the resume request with range '${res.headers['content-range']}', not bytes ${have}-; delete ${part} to download from the start`);
    }
    total = range[3] === '*' ? undefined : Number(range[3]);
  } else if (status === 200) {
    const length = Number(res.headers['content-length']);
    total = Number.isFinite(length) ? length : undefined;
  } else {
    res.resume();
    throw new DataError(`${url}: HTTP ${status} ${res.statusMessage ?? ''}`.trim() + (status === 404 ? ' (the file is not at this address; see the README for mirrors)' : ''));
  }

  if (status !== 416) {
    const label = `${path.basename(o.dest)} (MiB)`;
    const progress = createProgress(label, Math.ceil((total ?? 0) / 2 ** 20) || 1, { stream: o.stream });
    let received = resumedFrom;
    let reported = Math.floor(received / 2 ** 20);
    progress.tick(reported);
    const out = createWriteStream(part, { flags: resumedFrom > 0 ? 'a' : 'w' });
    try {
      await new Promise<void>((resolve, reject) => {
        let ended = false;
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          const mib = Math.floor(received / 2 ** 20);
          if (mib > reported) {
            progress.tick(mib - reported);
            reported = mib;
          }
          if (!out.write(chunk)) res.pause();
        });
        out.on('drain', () => res.resume());
        res.on('end', () => {
          ended = true;
          out.end();
        });
        res.on('aborted', () => reject(new Error('connection closed by the server')));
        res.on('error', (e) => reject(e));
        res.on('close', () => {
          if (!ended) reject(new Error('connection closed by the server'));
        });
        out.on('error', reject);
        out.on('finish', () => resolve());
      });
    } catch (e) {
      // Keep what arrived: flush the buffered writes so the next run resumes after them.
      if (!out.destroyed) await new Promise<void>((resolve) => out.end(() => resolve()));
      throw new DataError(
        `${url}: download interrupted after ${received} bytes${total ? ` of ${total}` : ''} (${(e as Error).message}); ` +
          `the partial file is kept and the next run resumes from it`,
        { file: part },
        { cause: e },
      );
    } finally {
      progress.done();
    }
    if (total !== undefined && received !== total) {
      throw new DataError(
        `${url}: the response ended after ${received} of ${total} bytes (truncated); the partial file is kept and the next run resumes from it`,
        { file: part },
      );
    }
  }

  const digest = await fileDigest(part, o.expected.algorithm);
  if (digest !== o.expected.hex.toLowerCase()) {
    const bad = `${o.dest}.bad`;
    rmSync(bad, { force: true });
    renameSync(part, bad);
    throw new DataError(
      `checksum mismatch: ${o.expected.algorithm} is ${digest}, the published value is ${o.expected.hex}` +
        `${o.expected.source ? ` (${o.expected.source})` : ''}; the download from ${url} is corrupt or not the official file. ` +
        `Moved it to ${bad}; nothing was unpacked. Run the command again to download afresh`,
      { file: o.dest },
    );
  }
  renameSync(part, o.dest);
  return { file: o.dest, bytes: statSync(o.dest).size, resumedFrom, digest };
}
