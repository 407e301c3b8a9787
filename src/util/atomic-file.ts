/**
 * Write a file so that readers see either the old content or the new, never a half-written file,
 * even if the process is killed or the machine loses power mid-write: reports and stores are read
 * by later runs, and a truncated CSV would be read as a short table rather than fail.
 *
 * How: write a temporary file in the same directory (a rename is only atomic within one file
 * system), fsync it, rename it over the target, then fsync the directory so the rename itself is
 * durable. The parent directory is created if missing. On failure the temporary file is removed.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DataError } from './errors.ts';

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(path.resolve(file));
  mkdirSync(dir, { recursive: true });
  // pid + random: two processes (or two calls) writing the same target never share a temp file.
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDirectory(dir);
}

/** Make a directory entry change (create, rename) durable. Best effort where unsupported. */
export function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot open or fsync a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Fails now, with a DataError naming `file`, if `file` could not be written later (its directory
 * cannot be created, or is not writable): a command that computes for minutes checks its output
 * path before it starts, not after. Creates the directory; leaves no file behind.
 */
export function assertWritable(file: string): void {
  const dir = path.dirname(path.resolve(file));
  const probe = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.probe`);
  try {
    if (existsSync(file) && statSync(file).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    mkdirSync(dir, { recursive: true });
    closeSync(openSync(probe, 'wx', 0o644));
    rmSync(probe, { force: true });
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why: Record<string, string> = {
      ENOTDIR: 'a part of the path is a file, not a directory',
      // mkdir -p over a path whose parent is a regular file
      EEXIST: 'a part of the path is a file, not a directory',
      EISDIR: 'is a directory',
      EACCES: 'permission denied',
      EPERM: 'permission denied',
      EROFS: 'read-only file system',
      ENOSPC: 'no space left on the device',
    };
    throw new DataError(`cannot write the output here: ${why[code ?? ''] ?? (e as Error).message}`, { file }, { cause: e });
  }
}
