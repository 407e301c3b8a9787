/**
 * Checks a benchmark file before it is imported, so a broken download is refused in seconds with
 * what is wrong and where to get a good copy, instead of failing (or, worse, succeeding on part of
 * the data) minutes into a multi-GB import:
 * - an HTML page saved under the benchmark's name (what a scripted Google Drive download gets
 *   when Drive answers with its "can't scan this file for viruses" page), see looksLikeHtml;
 * - an NB201 `.pth` whose MD5 does not end with the digits its name carries;
 * - an official NB101 tfrecord whose SHA-256 is not the published one.
 * (The checksums and their sources are in releases.ts.) `skipChecksum` imports a file whose name
 * says otherwise (a renamed or patched copy) on the user's responsibility.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { DataError } from '../util/errors.ts';
import { readFileHead } from '../util/file-head.ts';
import { md5SuffixInName, mirrorsText, releaseOf } from './releases.ts';
import { sourceDigests, type SourceDigests } from './source-info.ts';

/** The first bytes of an HTML document (a saved web page), not a benchmark file. */
export function looksLikeHtml(head: Buffer): boolean {
  const text = head.toString('latin1', 0, Math.min(head.length, 512)).trimStart().toLowerCase();
  return text.startsWith('<!doctype html') || text.startsWith('<html') || (text.startsWith('<') && text.includes('<html'));
}

/** The DataError for a saved web page. */
export function htmlPageError(file: string): DataError {
  return new DataError(
    `is an HTML page, not the benchmark file (a download that saved the host's web page, e.g. Google Drive's download warning, under the file's name); ${mirrorsText(file)}`,
    { file },
  );
}

export interface VerifyOptions {
  /** Import even if the name's checksum does not match. */
  skipChecksum?: boolean;
}

/**
 * Verifies `src` as far as its name allows and returns its digests (computed in one pass, reused
 * for the store's provenance); undefined for a directory, which has no checkable name.
 */
export async function verifySource(src: string, opts: VerifyOptions = {}): Promise<SourceDigests | undefined> {
  if (statSync(src).isDirectory()) return undefined;
  if (looksLikeHtml(readFileHead(src))) throw htmlPageError(src);
  const d = await sourceDigests(src);
  if (opts.skipChecksum) return d;
  const suffix = md5SuffixInName(src);
  if (suffix !== undefined && !d.md5.endsWith(suffix)) {
    throw new DataError(
      `checksum mismatch: the name says its MD5 ends in ${suffix}, this file's MD5 is ${d.md5} (${d.bytes} bytes): ` +
        `the download is incomplete or corrupt; ${mirrorsText(src)}; --skip-checksum imports it anyway`,
      { file: src },
    );
  }
  const release = releaseOf(src);
  if (release?.sha256 !== undefined && d.sha256 !== release.sha256) {
    throw new DataError(
      `checksum mismatch: the published SHA-256 of ${path.basename(src)} is ${release.sha256} (${release.checksumSource}), ` +
        `this file's is ${d.sha256} (${d.bytes} bytes): the download is incomplete or corrupt; ${mirrorsText(src)}; --skip-checksum imports it anyway`,
      { file: src },
    );
  }
  return d;
}
