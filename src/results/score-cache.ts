/**
 * Per-cell proxy scores cached on disk, so a run over 15,625 (or 423,624) cells can be killed and
 * resumed without scoring any cell twice, and a report can be rebuilt without rescoring.
 *
 * Layout: one append-only JSONL file per (space, proxy, config, batch, seed, backend):
 *
 *   <dir>/<space>/<proxy>/<batch>.seed<seed>.<backend>.<config-hash>.jsonl
 *
 * Line 1 is a header recording that identity (config in canonical JSON and its hash); every
 * further line is one cell's result. Opening a file whose header names another identity is an
 * error (a DataError naming the differing fields) rather than a silent mix of two settings.
 *
 * Durability: each result is one line written with a single appendFileSync and then fsync'd, so a
 * killed process (SIGKILL, power loss) loses at most the cell in flight. That cell can leave a torn
 * last line (no trailing newline): reading ignores it with a warning, and the first put()
 * truncates it away before appending. A malformed *complete* line is not a torn write but damage,
 * and is a DataError.
 *
 * Non-finite scores are results, not gaps: a NaN or ±Infinity score is stored with status
 * 'nan' / 'inf' and its value ("NaN", "Infinity", "-Infinity" in the file), never replaced by 0
 * or null; a proxy that threw is stored with status 'error', score null and the message.
 * A later record for the same cell supersedes an earlier one (e.g. retrying an 'error').
 *
 * One writer per file: the first put() takes a lock file (<file>.lock holding the pid); a second
 * live process trying to write the same file gets an error, a lock left by a dead process is taken
 * over. Parallel workers should send their scores to one parent process that writes.
 */
import {
  appendFileSync,
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { DataError } from '../util/errors.ts';
import { fsyncDirectory } from '../util/atomic-file.ts';
import { canonicalJson, configHash } from './canonical-json.ts';

/** Where caches live unless the caller says otherwise (relative to the working directory). */
export const DEFAULT_CACHE_DIR = 'results/cache';

export interface ScoreCacheKey {
  /** Search space, e.g. 'nb201', 'nb101'. */
  space: string;
  /** Proxy name as the registry knows it, e.g. 'naswot'. */
  proxy: string;
  /** The proxy's full settings; plain JSON data (hashed in canonical form). */
  config: object;
  /** Identity of the data batch, e.g. 'cifar10-train-b128-seed0' (or 'none' for data-free proxies). */
  batch: string;
  /** Seed of network initialisation. */
  seed: number;
  /** Tensor backend, e.g. 'tfjs-wasm', 'onnxruntime-cpu'. */
  backend: string;
}

export type ScoreStatus = 'ok' | 'nan' | 'inf' | 'error';

export interface ScoreInput {
  /** The score; NaN / ±Infinity for 'nan' / 'inf', null for 'error'. */
  score: number | null;
  status: ScoreStatus;
  /** Wall time spent scoring this cell. */
  seconds: number;
  /** The error message, for status 'error'. */
  error?: string;
  /** Named parts of the score (proxies that report parts, e.g. TE-NAS, AZ-NAS); non-finite values allowed. */
  parts?: Record<string, number>;
}

export interface CachedScore extends ScoreInput {
  cell: string;
}

export interface ScoreCache {
  /** The JSONL file behind this cache. */
  readonly file: string;
  get(cell: string): CachedScore | undefined;
  has(cell: string): boolean;
  /** Append one cell's result durably (fsync'd before returning). */
  put(cell: string, result: ScoreInput): void;
  /** One entry per cell (its latest record), in order of first appearance. */
  entries(): CachedScore[];
  readonly size: number;
  /** Release the file and the writer lock. Further put() calls reopen them. */
  close(): void;
}

export interface OpenScoreCacheOptions {
  /** Called for recoverable problems (a torn last line); default process.emitWarning. */
  onWarning?: (message: string) => void;
}

const KIND = 'nasrepro-score-cache';
const VERSION = 1;

interface Header {
  kind: typeof KIND;
  version: number;
  space: string;
  proxy: string;
  configHash: string;
  config: unknown;
  batch: string;
  seed: number;
  backend: string;
  created: string;
}

/** The status a score gets by its value: 'ok' for finite, else 'nan' or 'inf'. */
export function scoreStatus(score: number): 'ok' | 'nan' | 'inf' {
  return Number.isNaN(score) ? 'nan' : Number.isFinite(score) ? 'ok' : 'inf';
}

export function scoreCachePath(dir: string, key: ScoreCacheKey): string {
  checkKey(key);
  const name = `${slug(key.batch)}.seed${key.seed}.${slug(key.backend)}.${configHash(key.config)}.jsonl`;
  return path.join(dir, slug(key.space), slug(key.proxy), name);
}

export function openScoreCache(dir: string, key: ScoreCacheKey, options: OpenScoreCacheOptions = {}): ScoreCache {
  const file = scoreCachePath(dir, key);
  const warn = options.onWarning ?? ((m: string) => process.emitWarning(m, 'ScoreCacheWarning'));
  const expected = identityOf(key);
  const records = new Map<string, CachedScore>();

  // Bytes of the file known to be whole lines; anything past it is a torn write to cut off.
  let validLength = 0;
  let hasHeader = false;
  if (existsSync(file)) {
    const loaded = load(file, expected, records, warn);
    validLength = loaded.validLength;
    hasHeader = loaded.hasHeader;
  }

  let fd: number | undefined;
  let lock: string | undefined;

  const openForAppend = (): number => {
    if (fd !== undefined) return fd;
    mkdirSync(path.dirname(file), { recursive: true });
    lock = takeLock(file);
    const created = !existsSync(file);
    const handle = openSync(file, 'a');
    try {
      if (fstatSync(handle).size > validLength) {
        ftruncateSync(handle, validLength);
        fsyncSync(handle);
      }
      if (!hasHeader) {
        const header: Header = { ...expected, kind: KIND, version: VERSION, created: new Date().toISOString() };
        appendFileSync(handle, JSON.stringify(header) + '\n');
        fsyncSync(handle);
        hasHeader = true;
      }
      if (created) fsyncDirectory(path.dirname(file));
    } catch (err) {
      closeSync(handle);
      throw err;
    }
    fd = handle;
    return handle;
  };

  return {
    file,
    get: (cell) => {
      const r = records.get(cell);
      return r === undefined ? undefined : { ...r };
    },
    has: (cell) => records.has(cell),
    put(cell, result) {
      const entry = validated(cell, result);
      const handle = openForAppend();
      // One write call per record: a kill can tear only this line, never an earlier one.
      appendFileSync(handle, encodeRecord(entry));
      fsyncSync(handle);
      records.set(cell, entry);
    },
    entries: () => Array.from(records.values(), (r) => ({ ...r })),
    get size() {
      return records.size;
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      if (lock !== undefined) releaseLock(lock);
      lock = undefined;
      // A reopen must not truncate what this handle appended.
      validLength = existsSync(file) ? statSync(file).size : 0;
    },
  };
}

type Identity = Omit<Header, 'kind' | 'version' | 'created'>;

function identityOf(key: ScoreCacheKey): Identity {
  return {
    space: key.space,
    proxy: key.proxy,
    configHash: configHash(key.config),
    config: JSON.parse(canonicalJson(key.config)),
    batch: key.batch,
    seed: key.seed,
    backend: key.backend,
  };
}

function checkKey(key: ScoreCacheKey): void {
  for (const field of ['space', 'proxy', 'batch', 'backend'] as const) {
    if (typeof key[field] !== 'string' || key[field].length === 0) {
      throw new TypeError(`score cache key: ${field} must be a non-empty string`);
    }
  }
  if (!Number.isSafeInteger(key.seed)) throw new TypeError(`score cache key: seed must be an integer, got ${key.seed}`);
  if (key.config === null || typeof key.config !== 'object') {
    throw new TypeError('score cache key: config must be an object');
  }
}

/** A file-name-safe rendering; the header, not the name, is the identity, so collisions are caught. */
function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || '_';
}

function load(
  file: string,
  expected: Identity,
  records: Map<string, CachedScore>,
  warn: (m: string) => void,
): { validLength: number; hasHeader: boolean } {
  const bytes = readFileSync(file);
  const validLength = bytes.lastIndexOf(0x0a) + 1;
  if (validLength < bytes.length) {
    warn(
      `${file}: ignoring a torn last line (${bytes.length - validLength} bytes without a newline, ` +
        'from a process killed mid-write); it will be cut off before the next append',
    );
  }
  const lines = bytes.subarray(0, validLength).toString('utf8').split('\n');
  lines.pop(); // the empty string after the final newline
  if (lines.length === 0) return { validLength, hasHeader: false };

  let header: unknown;
  try {
    header = JSON.parse(lines[0]);
  } catch {
    throw new DataError('not a score cache: the first line is not a JSON header', { file, row: 1 });
  }
  checkHeader(header, expected, file);

  for (let i = 1; i < lines.length; i++) {
    const entry = decodeRecord(lines[i], file, i + 1);
    records.set(entry.cell, entry);
  }
  return { validLength, hasHeader: true };
}

function checkHeader(header: unknown, expected: Identity, file: string): void {
  const h = header as Partial<Header> | null;
  if (h === null || typeof h !== 'object' || h.kind !== KIND) {
    throw new DataError(`not a score cache: the header's kind is not '${KIND}'`, { file, row: 1 });
  }
  if (h.version !== VERSION) {
    throw new DataError(`score cache version ${String(h.version)} is not supported (expected ${VERSION})`, { file, row: 1 });
  }
  const differing: string[] = [];
  for (const field of Object.keys(expected) as (keyof Identity)[]) {
    const a = JSON.stringify(h[field]);
    const b = JSON.stringify(expected[field]);
    if (a !== b) differing.push(`${field}: file has ${a}, requested ${b}`);
  }
  if (differing.length > 0) {
    throw new DataError(`score cache header does not match the requested key (${differing.join('; ')})`, {
      file,
      row: 1,
    });
  }
}

type StoredScore = number | null | 'NaN' | 'Infinity' | '-Infinity';

function encodeRecord(e: CachedScore): string {
  const score: StoredScore = e.score === null || Number.isFinite(e.score) ? e.score : (String(e.score) as StoredScore);
  const rec: Record<string, unknown> = { cell: e.cell, status: e.status, score, seconds: e.seconds };
  if (e.error !== undefined) rec.error = e.error;
  if (e.parts !== undefined) rec.parts = Object.fromEntries(Object.entries(e.parts).map(([k, v]) => [k, Number.isFinite(v) ? v : String(v)]));
  return JSON.stringify(rec) + '\n';
}

function decodeRecord(line: string, file: string, row: number): CachedScore {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new DataError('score cache record is not valid JSON (a complete line, so not a torn write)', { file, row });
  }
  const stored = rec.score as StoredScore;
  const score =
    stored === 'NaN' ? NaN : stored === 'Infinity' ? Infinity : stored === '-Infinity' ? -Infinity : stored;
  try {
    return validated(rec.cell as string, {
      score: score as number | null,
      status: rec.status as ScoreStatus,
      seconds: rec.seconds as number,
      ...(rec.error !== undefined ? { error: rec.error as string } : {}),
      ...(rec.parts !== undefined ? { parts: decodeParts(rec.parts) } : {}),
    });
  } catch (err) {
    throw new DataError(`bad score cache record: ${(err as Error).message}`, { file, row });
  }
}

function decodeParts(raw: unknown): Record<string, number> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new TypeError('parts must be an object');
  return Object.fromEntries(
    Object.entries(raw as Record<string, unknown>).map(([k, v]) => {
      const x = v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v;
      if (typeof x !== 'number') throw new TypeError(`part '${k}' must be a number, got ${JSON.stringify(v)}`);
      return [k, x];
    }),
  );
}

/** Check that status and score agree; returns a clean copy. */
function validated(cell: string, r: ScoreInput): CachedScore {
  if (typeof cell !== 'string' || cell.length === 0) throw new TypeError('cell must be a non-empty string');
  if (typeof r.seconds !== 'number' || !(r.seconds >= 0) || !Number.isFinite(r.seconds)) {
    throw new TypeError(`cell ${cell}: seconds must be a finite number >= 0, got ${r.seconds}`);
  }
  const s = r.score;
  switch (r.status) {
    case 'ok':
      if (typeof s !== 'number' || !Number.isFinite(s)) throw new TypeError(`cell ${cell}: status 'ok' needs a finite score, got ${s}`);
      break;
    case 'nan':
      if (typeof s !== 'number' || !Number.isNaN(s)) throw new TypeError(`cell ${cell}: status 'nan' needs score NaN, got ${s}`);
      break;
    case 'inf':
      if (s !== Infinity && s !== -Infinity) throw new TypeError(`cell ${cell}: status 'inf' needs score ±Infinity, got ${s}`);
      break;
    case 'error':
      if (s !== null) throw new TypeError(`cell ${cell}: status 'error' needs score null, got ${s}`);
      if (typeof r.error !== 'string' || r.error.length === 0) {
        throw new TypeError(`cell ${cell}: status 'error' needs the error message`);
      }
      break;
    default:
      throw new TypeError(`cell ${cell}: unknown status ${String(r.status)}`);
  }
  if (r.error !== undefined && typeof r.error !== 'string') throw new TypeError(`cell ${cell}: error must be a string`);
  const out: CachedScore = { cell, score: s, status: r.status, seconds: r.seconds };
  if (r.error !== undefined) out.error = r.error;
  if (r.parts !== undefined) {
    for (const [k, v] of Object.entries(r.parts)) if (typeof v !== 'number') throw new TypeError(`cell ${cell}: part '${k}' must be a number`);
    out.parts = { ...r.parts };
  }
  return out;
}

const heldLocks = new Set<string>();
let exitHookInstalled = false;

/** Take <file>.lock for this process, or throw if another live process holds it. */
function takeLock(file: string): string {
  const lock = `${file}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      heldLocks.add(lock);
      if (heldLocks.size === 1 && !exitHookInstalled) {
        // One hook for all locks (a listener per lock would trip the max-listeners warning).
        process.once('exit', () => heldLocks.forEach(releaseLock));
        exitHookInstalled = true;
      }
      return lock;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number.parseInt(readFileSync(lock, 'utf8'), 10);
    if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
      throw new Error(`${file} is being written by process ${holder} (lock ${lock}); one writer per cache file`);
    }
    // Left by a dead process (killed before it could clean up), or by us: take it over.
    rmSync(lock, { force: true });
  }
  throw new Error(`could not take the lock ${lock}`);
}

function releaseLock(lock: string): void {
  heldLocks.delete(lock);
  try {
    if (readFileSync(lock, 'utf8') === String(process.pid)) rmSync(lock, { force: true });
  } catch {
    // Already gone.
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
