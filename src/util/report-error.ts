/**
 * How a command-line entry point reports a failure: one line on stderr, then a non-zero exit.
 *
 *   exit 2  bad input the user can fix: a DataError (file + what is wrong), or a file-system error
 *           on a path the user gave (missing, not writable, a file where a directory should be)
 *   exit 1  anything else: an engine failure (one line, plus a hint) or a bug in nasrepro
 *           ("internal error", one line, plus a hint)
 *
 * No stack trace and no library source by default: `NASREPRO_DEBUG=1` adds the stack (and the
 * error's cause chain) for anyone debugging nasrepro itself.
 *
 * Why the process-wide handlers: tfjs's wasm backend (emscripten) registers an `uncaughtException`
 * listener that rethrows, and Node then prints the line the rethrow sits on, which is the
 * backend's whole minified source (~30 KB), burying the message. Every entry point catches its
 * errors before they get that far, and `installErrorHandlers` is registered before any backend is
 * loaded, so ours runs first for anything thrown outside the awaited chain (an event callback)
 * and exits before the backend's listener can rethrow.
 */
import { DataError } from './errors.ts';

/** Longest message printed; a longer one is cut (NASREPRO_DEBUG=1 prints it whole). */
const MAX_MESSAGE_CHARS = 1000;

const FS_REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of this path is a file, not a directory',
  EISDIR: 'is a directory, not a file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EEXIST: 'already exists',
  ENAMETOOLONG: 'file name too long',
};

const SYSCALL_VERBS: Record<string, string> = {
  open: 'cannot open',
  mkdir: 'cannot create directory',
  rename: 'cannot rename',
  write: 'cannot write',
  read: 'cannot read',
  stat: 'cannot stat',
  lstat: 'cannot stat',
  scandir: 'cannot list directory',
  unlink: 'cannot remove',
  rmdir: 'cannot remove',
  copyfile: 'cannot copy',
  symlink: 'cannot link',
};

export function debugEnabled(): boolean {
  const v = process.env.NASREPRO_DEBUG;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

export interface ErrorReport {
  /** The line to print after `<program>: `. */
  message: string;
  /** A second line for errors that are not the user's input (how to get more detail). */
  hint?: string;
  exitCode: 1 | 2;
}

/** A Node file-system error on a path (ENOENT, EACCES, ...), or undefined. */
function fsError(e: unknown): (Error & { code: string; path: string; syscall?: string; dest?: string }) | undefined {
  if (!(e instanceof Error)) return undefined;
  const x = e as Error & { code?: unknown; path?: unknown };
  return typeof x.code === 'string' && typeof x.path === 'string' && x.code in FS_REASONS
    ? (e as Error & { code: string; path: string; syscall?: string })
    : undefined;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, '; ').trim();
  return flat.length > MAX_MESSAGE_CHARS ? `${flat.slice(0, MAX_MESSAGE_CHARS)}… (NASREPRO_DEBUG=1 prints it whole)` : flat;
}

export function reportOf(e: unknown): ErrorReport {
  if (e instanceof DataError) return { message: oneLine(e.message), exitCode: 2 };
  const fs = fsError(e);
  if (fs) {
    const verb = SYSCALL_VERBS[fs.syscall ?? ''] ?? 'cannot access';
    // mkdir -p answers EEXIST when a component of the path is a regular file
    const reason = fs.code === 'EEXIST' && fs.syscall === 'mkdir' ? 'a file of that name is in the way' : FS_REASONS[fs.code];
    return { message: oneLine(`${fs.path}: ${verb}: ${reason} (${fs.code})`), exitCode: 2 };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  if (err.name === 'EngineError') {
    return { message: oneLine(err.message), hint: 'NASREPRO_DEBUG=1 prints the details', exitCode: 1 };
  }
  return {
    message: oneLine(`internal error: ${err.name === 'Error' ? '' : `${err.name}: `}${err.message}`),
    hint: 'this is a bug in nasrepro, not in your input; NASREPRO_DEBUG=1 prints the stack trace to include in a report',
    exitCode: 1,
  };
}

/** The text printed for `e`: one line (two with a hint), or the full detail under NASREPRO_DEBUG. */
export function formatError(program: string, e: unknown): string {
  const r = reportOf(e);
  if (debugEnabled()) {
    const parts: string[] = [`${program}: ${r.message}`];
    let cur: unknown = e;
    for (let depth = 0; cur instanceof Error && depth < 5; depth++) {
      parts.push(depth === 0 ? (cur.stack ?? String(cur)) : `caused by: ${cur.stack ?? String(cur)}`);
      cur = (cur as Error & { cause?: unknown }).cause;
    }
    return `${parts.join('\n')}\n`;
  }
  return `${program}: ${r.message}\n${r.hint ? `${program}: ${r.hint}\n` : ''}`;
}

/** Prints the report of `e` and exits with its code. */
export function exitOnError(program: string, e: unknown): never {
  process.stderr.write(formatError(program, e));
  process.exit(reportOf(e).exitCode);
}

/**
 * Catches what escapes the awaited chain (errors in event callbacks, unhandled rejections) and
 * reports it the same way. Call once, first thing in an entry point, before tfjs is loaded.
 */
export function installErrorHandlers(program: string): void {
  process.on('uncaughtException', (e) => exitOnError(program, e));
  process.on('unhandledRejection', (e) => exitOnError(program, e));
}
