/**
 * A pickle virtual machine (protocols 0-5, the opcodes of CPython's Lib/pickle.py) that reads from
 * a ByteSource, resolves globals only through an explicit registry (pickle-globals.ts), supports
 * torch's persistent_load, and can stream huge pickles in bounded memory with a record hook.
 *
 * ## Bounded memory: the record hook and memo release
 *
 * The NB201 v1_1 .pth is one 4.7 GB pickle of `{meta_archs, arch2infos: {index: {'less': ...,
 * 'full': ...}}, evaluated_indexes}`; Python needs ~28 GB to hold it. We keep only a few numbers
 * per architecture, so the VM must never hold more than a handful of architectures. Three things
 * would otherwise grow with the file:
 *
 * 1. The records themselves. A dict is pickled as EMPTY_DICT, MARK, key, value, key, value, ...,
 *    SETITEMS, with up to 1,000 pairs per MARK batch: without help the stack holds 1,000 fully
 *    built architectures before SETITEMS stores them. The caller therefore names its *record
 *    collection* (`RecordHook.isCollection`: for NB201, the dict pushed right after the key
 *    'arch2infos' at the top level). When a MARK opens a batch of that collection, the VM watches
 *    that stack frame: a value is finished as soon as the next key (an int or str) is pushed above
 *    it, or when SETITEMS closes the batch. The finished value goes to `RecordHook.onRecord`
 *    (which reduces it to the few metrics we keep) and is replaced on the stack by a tiny
 *    ReleasedRecord placeholder, so the collection ends up holding 15,625 placeholders.
 *
 * 2. The memo. Python's pickler memoizes every str, tuple, dict and list it writes (BINPUT /
 *    MEMOIZE), and the unpickler must keep each one in case a later GET refers to it: ~10,000
 *    memo entries per architecture, hundreds of millions for the file. So every memo id created
 *    while a record was being read is logged, and when the record is finished those entries are
 *    put "on probation" for the next `probationRecords` records (default 4), then deleted; a later
 *    GET of a deleted id is a DataError "back-reference into a released record".
 *    The grace period is needed because the pickler memoizes by object identity: objects that were
 *    one object in the writer's process (interned names such as 'less', 'full', 'latin1', the
 *    numpy dtype('f8') singleton, class references written by GLOBAL, a list shared by all
 *    records) are written once, inside the first record that uses them, and every later record
 *    refers back to them with BINGET. (In the shared sample exactly seven such objects are
 *    referenced across records.) An entry on probation that a later record refers to is
 *    *promoted*: it stays in the memo for good. Since all records have the same structure, every
 *    shared object is referenced again by the very next record, long before its probation ends,
 *    and promoted entries are few.
 *    Memo ids written outside any record (the 15,625 meta_archs strings) are kept.
 *    The memo therefore holds O(probationRecords x entries per record) entries, independent of the
 *    number of records; `stats.maxMemoSize` reports it, and a test checks it stays flat.
 *
 * 3. Tensors. torch storages are not part of the pickle: persistent_load returns a StorageRef and
 *    _rebuild_tensor_v2 a TensorRef (key, dtype, offset, shape, stride); no tensor bytes are read.
 *
 * Limits of the hook: it watches collections written with MARK ... SETITEMS (protocol >= 1);
 * a protocol-0 dict (SETITEM per pair) is read whole. A record value built by REDUCE whose
 * arguments are pushed one by one could look finished early only if an argument were an int or
 * str pushed directly above a non-global; record values in the official files are dicts.
 */
import { DataError } from '../util/errors.ts';
import { ByteSource } from './byte-source.ts';
import { BadGlobalCall, DEFAULT_GLOBALS, torchPersistentLoad, type GlobalRegistry } from './pickle-globals.ts';
import {
  NumpyDtype,
  PyDict,
  PyGlobal,
  PyNdarray,
  PyObject,
  PySet,
  PyTuple,
  ReleasedRecord,
  pyTypeName,
  type PyValue,
} from './pickle-values.ts';

export interface RecordHook {
  /**
   * Whether a dict pushed directly above `key` (the stack item below it) is a record collection;
   * `depth` is the number of open MARKs (1 = inside the top-level dict's item batch); `frame` is
   * the stack above the innermost MARK, ending with the key and the new dict.
   */
  isCollection(key: PyValue, depth: number, frame: readonly PyValue[]): boolean;
  /** A finished record of a collection. `offset`: byte where the VM noticed it was finished. */
  onRecord(key: PyValue, value: PyValue, offset: number): void;
}

export interface PickleOptions {
  globals?: GlobalRegistry;
  /** torch's persistent_load (default: torch storages, see pickle-globals.ts). */
  persistentLoad?: (pid: PyValue) => PyValue;
  recordHook?: RecordHook;
  /** Finished records during which a record's atoms stay in the memo (default 4). */
  probationRecords?: number;
}

export interface PickleStats {
  /** Largest number of memo entries held at any time. */
  maxMemoSize: number;
  memoSize: number;
  records: number;
  /** Atoms kept for good because a later record referred to them. */
  promoted: number;
  /** Memo entries deleted by the record hook. */
  released: number;
  protocol: number;
}

/** Wraps errors thrown by the caller's callbacks so they pass through unchanged. */
class CallbackFailure {
  constructor(readonly error: unknown) {}
}

const OPNAMES: Record<number, string> = {};
for (const [name, code] of Object.entries({
  MARK: 0x28, STOP: 0x2e, POP: 0x30, POP_MARK: 0x31, DUP: 0x32, FLOAT: 0x46, INT: 0x49, BININT: 0x4a,
  BININT1: 0x4b, LONG: 0x4c, BININT2: 0x4d, NONE: 0x4e, PERSID: 0x50, BINPERSID: 0x51, REDUCE: 0x52,
  STRING: 0x53, BINSTRING: 0x54, SHORT_BINSTRING: 0x55, UNICODE: 0x56, BINUNICODE: 0x58, APPEND: 0x61,
  BUILD: 0x62, GLOBAL: 0x63, DICT: 0x64, EMPTY_DICT: 0x7d, APPENDS: 0x65, GET: 0x67, BINGET: 0x68,
  INST: 0x69, LONG_BINGET: 0x6a, LIST: 0x6c, EMPTY_LIST: 0x5d, OBJ: 0x6f, PUT: 0x70, BINPUT: 0x71,
  LONG_BINPUT: 0x72, SETITEM: 0x73, TUPLE: 0x74, EMPTY_TUPLE: 0x29, SETITEMS: 0x75, BINFLOAT: 0x47,
  PROTO: 0x80, NEWOBJ: 0x81, EXT1: 0x82, EXT2: 0x83, EXT4: 0x84, TUPLE1: 0x85, TUPLE2: 0x86,
  TUPLE3: 0x87, NEWTRUE: 0x88, NEWFALSE: 0x89, LONG1: 0x8a, LONG4: 0x8b, BINBYTES: 0x42,
  SHORT_BINBYTES: 0x43, SHORT_BINUNICODE: 0x8c, BINUNICODE8: 0x8d, BINBYTES8: 0x8e, EMPTY_SET: 0x8f,
  ADDITEMS: 0x90, FROZENSET: 0x91, NEWOBJ_EX: 0x92, STACK_GLOBAL: 0x93, MEMOIZE: 0x94, FRAME: 0x95,
  BYTEARRAY8: 0x96, NEXT_BUFFER: 0x97, READONLY_BUFFER: 0x98,
})) {
  OPNAMES[code] = name;
}

function isRecordKey(v: PyValue | undefined): boolean {
  const t = typeof v;
  return t === 'number' || t === 'string' || t === 'bigint';
}

export class PickleVM {
  private readonly globals: GlobalRegistry;
  private readonly persistentLoad: (pid: PyValue) => PyValue;
  private readonly hook: RecordHook | undefined;
  private readonly probationRecords: number;

  private stack: PyValue[] = [];
  private metastack: PyValue[][] = [];
  private readonly memo = new Map<number, PyValue>();
  /** Distinct memo ids ever stored: what Python's len(memo) would be, for MEMOIZE. */
  private memoInserted = 0;
  private opStart = 0;
  /** The opcode being executed, for messages. */
  private op = 0;
  private protocol = 0;

  // Record hook state (see the header comment).
  private readonly collections = new Set<PyDict>();
  private recordFrame: PyValue[] | null = null;
  /** Index in recordFrame of the next value not yet handed over. */
  private pendingValue = 1;
  /** Memo ids created since the last finished record (only while a record frame is open). */
  private memoLog: number[] = [];
  private recordSeq = 0;
  private readonly probation: { seq: number; ids: number[] }[] = [];
  private readonly probationOf = new Map<number, number>();
  /** Ranges of released memo ids, merged, for the back-reference error message. */
  private readonly releasedRanges: [number, number][] = [];

  readonly stats: PickleStats = { maxMemoSize: 0, memoSize: 0, records: 0, promoted: 0, released: 0, protocol: 0 };

  constructor(
    private readonly src: ByteSource,
    opts: PickleOptions = {},
  ) {
    this.globals = opts.globals ?? DEFAULT_GLOBALS;
    this.persistentLoad = opts.persistentLoad ?? torchPersistentLoad;
    this.hook = opts.recordHook;
    this.probationRecords = Math.max(1, opts.probationRecords ?? 4);
  }

  private fail(what: string, offset = this.opStart): never {
    throw new DataError(what, { file: this.src.file, offset });
  }

  /** Reads one pickle (up to and including STOP) and returns its value. */
  load(): PyValue {
    this.stack = [];
    this.metastack = [];
    try {
      return this.run();
    } catch (e) {
      if (e instanceof CallbackFailure) throw e.error;
      if (e instanceof DataError) throw e;
      // Malformed input must never surface as a JS TypeError without a location.
      const msg = e instanceof BadGlobalCall ? e.message : `malformed pickle (${(e as Error)?.message ?? String(e)})`;
      throw new DataError(msg, { file: this.src.file, offset: this.opStart }, { cause: e });
    } finally {
      this.stats.memoSize = this.memo.size;
      this.stats.protocol = this.protocol;
    }
  }

  private pop(): PyValue {
    if (this.stack.length === 0) this.fail(`stack underflow at ${this.opName()}`);
    return this.stack.pop()!;
  }

  private top(): PyValue {
    if (this.stack.length === 0) this.fail(`stack underflow at ${this.opName()}`);
    return this.stack[this.stack.length - 1]!;
  }

  private popMark(): PyValue[] {
    const items = this.stack;
    const prev = this.metastack.pop();
    if (prev === undefined) this.fail(`${this.opName()} without a MARK`);
    this.stack = prev;
    return items;
  }

  private opName(): string {
    return opcodeName(this.op);
  }

  private u32(): number {
    return this.src.read(4).readUInt32LE(0);
  }

  private u64(): number {
    const n = this.src.read(8).readBigUInt64LE(0);
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`length ${n} too large`);
    return Number(n);
  }

  private line(): string {
    return this.src.readLine().toString('latin1');
  }

  private run(): PyValue {
    const src = this.src;
    for (;;) {
      if (this.stack === this.recordFrame) this.checkRecords();
      this.opStart = src.position;
      const op = src.readByte();
      this.op = op;
      switch (op) {
        case 0x80: {
          // PROTO
          this.protocol = src.readByte();
          if (this.protocol > 5) this.fail(`unsupported pickle protocol ${this.protocol}`);
          break;
        }
        case 0x95: // FRAME: a length hint; our reader is already buffered.
          src.read(8);
          break;
        case 0x2e: // STOP
          return this.pop();
        case 0x28: // MARK
          this.mark();
          break;
        case 0x30: // POP
          if (this.stack.length > 0) this.stack.pop();
          else this.popMark();
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x32: // DUP
          this.stack.push(this.top());
          break;
        // ---- numbers
        case 0x4e:
          this.stack.push(null);
          break;
        case 0x88:
          this.stack.push(true);
          break;
        case 0x89:
          this.stack.push(false);
          break;
        case 0x4a: // BININT
          this.stack.push(src.read(4).readInt32LE(0));
          break;
        case 0x4b: // BININT1
          this.stack.push(src.readByte());
          break;
        case 0x4d: // BININT2
          this.stack.push(src.read(2).readUInt16LE(0));
          break;
        case 0x8a: // LONG1
          this.stack.push(decodeLong(src.read(src.readByte())));
          break;
        case 0x8b: {
          // LONG4
          const n = src.read(4).readInt32LE(0);
          if (n < 0) this.fail('LONG4 with a negative length');
          this.stack.push(decodeLong(src.read(n)));
          break;
        }
        case 0x47: // BINFLOAT (big-endian double)
          this.stack.push(src.read(8).readDoubleBE(0));
          break;
        case 0x49: // INT (text; I01/I00 are True/False in protocol 0)
          this.stack.push(this.textInt(this.line(), true));
          break;
        case 0x4c: // LONG (text, optional L suffix)
          this.stack.push(this.textInt(this.line().replace(/L$/, ''), false));
          break;
        case 0x46: {
          // FLOAT (text)
          const t = this.line().trim();
          const x = Number(t);
          if (Number.isNaN(x) && !/^[-+]?nan$/i.test(t)) this.fail(`bad FLOAT ${JSON.stringify(t)}`);
          this.stack.push(x);
          break;
        }
        // ---- strings and bytes
        case 0x58: // BINUNICODE
          this.stack.push(src.read(this.u32()).toString('utf8'));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.stack.push(src.read(src.readByte()).toString('utf8'));
          break;
        case 0x8d: // BINUNICODE8
          this.stack.push(src.read(this.u64()).toString('utf8'));
          break;
        case 0x56: // UNICODE (raw-unicode-escape text)
          this.stack.push(decodeRawUnicodeEscape(src.readLine()));
          break;
        case 0x42: // BINBYTES
          this.stack.push(src.readOwned(this.u32()));
          break;
        case 0x43: // SHORT_BINBYTES
          this.stack.push(src.readOwned(src.readByte()));
          break;
        case 0x8e: // BINBYTES8
        case 0x96: // BYTEARRAY8
          this.stack.push(src.readOwned(this.u64()));
          break;
        case 0x55: // SHORT_BINSTRING: Python 2 str, read as latin-1 text (see pickle-values.ts)
          this.stack.push(src.read(src.readByte()).toString('latin1'));
          break;
        case 0x54: {
          // BINSTRING: Python 2 str of >= 256 bytes: kept as bytes
          const n = src.read(4).readInt32LE(0);
          if (n < 0) this.fail('BINSTRING with a negative length');
          this.stack.push(src.readOwned(n));
          break;
        }
        case 0x53: // STRING (quoted text)
          this.stack.push(this.quotedString(src.readLine()));
          break;
        // ---- containers
        case 0x5d:
          this.stack.push([]);
          break;
        case 0x29:
          this.stack.push(new PyTuple([]));
          break;
        case 0x7d: {
          // EMPTY_DICT
          const d = new PyDict();
          this.stack.push(d);
          this.maybeCollection(d);
          break;
        }
        case 0x8f:
          this.stack.push(new PySet(false));
          break;
        case 0x85:
          this.stack.push(new PyTuple([this.pop()]));
          break;
        case 0x86: {
          const b = this.pop();
          const a = this.pop();
          this.stack.push(new PyTuple([a, b]));
          break;
        }
        case 0x87: {
          const c = this.pop();
          const b = this.pop();
          const a = this.pop();
          this.stack.push(new PyTuple([a, b, c]));
          break;
        }
        // (popMark replaces this.stack, so it must run before `this.stack` is read for the push.)
        case 0x74: {
          // TUPLE
          const items = this.popMark();
          this.stack.push(new PyTuple(items));
          break;
        }
        case 0x6c: {
          // LIST
          const items = this.popMark();
          this.stack.push(items);
          break;
        }
        case 0x64: {
          // DICT
          const items = this.popMark();
          const d = new PyDict();
          this.setItems(d, items);
          this.stack.push(d);
          break;
        }
        case 0x91: {
          // FROZENSET
          const s = new PySet(true);
          const items = this.popMark();
          for (const x of items) s.items.push(x);
          this.stack.push(s);
          break;
        }
        case 0x61: {
          // APPEND
          const v = this.pop();
          const list = this.top();
          if (!Array.isArray(list)) this.fail(`APPEND to a ${pyTypeName(list)}`);
          list.push(v);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = this.popMark();
          const list = this.top();
          if (!Array.isArray(list)) this.fail(`APPENDS to a ${pyTypeName(list)}`);
          for (const x of items) list.push(x);
          break;
        }
        case 0x73: {
          // SETITEM
          const v = this.pop();
          const k = this.pop();
          const d = this.top();
          if (!(d instanceof PyDict)) this.fail(`SETITEM on a ${pyTypeName(d)}`);
          if (this.collections.has(d)) {
            if (!d.set(k, this.handOver(k, v))) this.fail(`unhashable dict key ${pyTypeName(k)}`);
          } else if (!d.set(k, v)) this.fail(`unhashable dict key ${pyTypeName(k)}`);
          break;
        }
        case 0x75: {
          // SETITEMS
          if (this.stack === this.recordFrame) this.finishRecordFrame();
          const items = this.popMark();
          const d = this.top();
          if (!(d instanceof PyDict)) this.fail(`SETITEMS on a ${pyTypeName(d)}`);
          this.setItems(d, items);
          break;
        }
        case 0x90: {
          // ADDITEMS
          const items = this.popMark();
          const s = this.top();
          if (!(s instanceof PySet)) this.fail(`ADDITEMS on a ${pyTypeName(s)}`);
          for (const x of items) s.items.push(x);
          break;
        }
        // ---- memo
        case 0x70: // PUT
          this.memoPut(this.textId());
          break;
        case 0x71: // BINPUT
          this.memoPut(src.readByte());
          break;
        case 0x72: // LONG_BINPUT
          this.memoPut(this.u32());
          break;
        case 0x94: // MEMOIZE
          this.memoPut(this.memoInserted);
          break;
        case 0x67: // GET
          this.stack.push(this.memoGet(this.textId()));
          break;
        case 0x68: // BINGET
          this.stack.push(this.memoGet(src.readByte()));
          break;
        case 0x6a: // LONG_BINGET
          this.stack.push(this.memoGet(this.u32()));
          break;
        // ---- globals, objects
        case 0x63: {
          // GLOBAL
          const module = this.line();
          const name = this.line();
          this.stack.push(this.findClass(module, name));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') this.fail('STACK_GLOBAL needs two strings');
          this.stack.push(this.findClass(module, name));
          break;
        }
        case 0x52: {
          // REDUCE
          const args = this.pop();
          const f = this.pop();
          if (!(args instanceof PyTuple)) this.fail(`REDUCE arguments are a ${pyTypeName(args)}, not a tuple`);
          const obj = this.call(f, args.items, false);
          this.stack.push(obj);
          if (obj instanceof PyDict) this.maybeCollection(obj);
          break;
        }
        case 0x81: {
          // NEWOBJ
          const args = this.pop();
          const cls = this.pop();
          if (!(args instanceof PyTuple)) this.fail(`NEWOBJ arguments are a ${pyTypeName(args)}, not a tuple`);
          const obj = this.call(cls, args.items, true);
          this.stack.push(obj);
          if (obj instanceof PyDict) this.maybeCollection(obj);
          break;
        }
        case 0x92: {
          // NEWOBJ_EX (keyword arguments are not used by any class we allow)
          this.pop();
          const args = this.pop();
          const cls = this.pop();
          if (!(args instanceof PyTuple)) this.fail(`NEWOBJ_EX arguments are a ${pyTypeName(args)}, not a tuple`);
          this.stack.push(this.call(cls, args.items, true));
          break;
        }
        case 0x69: {
          // INST (protocol 0): module, name lines; arguments since MARK
          const module = this.line();
          const name = this.line();
          const cls = this.findClass(module, name);
          const args = this.popMark();
          this.stack.push(this.call(cls, args, false));
          break;
        }
        case 0x6f: {
          // OBJ (protocol 1): class and arguments since MARK
          const items = this.popMark();
          if (items.length === 0) this.fail('OBJ without a class');
          this.stack.push(this.call(items[0]!, items.slice(1), true));
          break;
        }
        case 0x62: {
          // BUILD
          const state = this.pop();
          this.build(this.top(), state);
          break;
        }
        case 0x50: // PERSID (text id)
          this.stack.push(this.persistent(this.line()));
          break;
        case 0x51: // BINPERSID
          this.stack.push(this.persistent(this.pop()));
          break;
        case 0x98: // READONLY_BUFFER: no-op for in-band buffers
          break;
        case 0x97:
          this.fail('NEXT_BUFFER: out-of-band pickle buffers are not supported');
          break;
        case 0x82:
        case 0x83:
        case 0x84:
          this.fail(`${OPNAMES[op]}: copyreg extension codes are not supported`);
          break;
        default:
          this.fail(`unknown pickle opcode 0x${op.toString(16).padStart(2, '0')} (not a pickle, or corrupt)`);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // globals and calls

  private findClass(module: string, name: string): PyGlobal {
    const qualified = `${module}.${name}`;
    if (!this.globals.has(qualified)) {
      this.fail(`unknown global ${qualified} (not in the list of allowed globals)`);
    }
    return new PyGlobal(module, name);
  }

  private call(f: PyValue, args: PyValue[], asNew: boolean): PyValue {
    if (!(f instanceof PyGlobal)) this.fail(`cannot call a ${pyTypeName(f)}`);
    const g = this.globals.get(f.qualified)!;
    const fn = asNew ? (g.newobj ?? g.call) : g.call;
    if (fn === undefined) this.fail(`${f.qualified} cannot be called here`);
    try {
      return fn(args);
    } catch (e) {
      if (e instanceof BadGlobalCall) this.fail(`${f.qualified}: ${e.message}`);
      throw e;
    }
  }

  private persistent(pid: PyValue): PyValue {
    try {
      return this.persistentLoad(pid);
    } catch (e) {
      if (e instanceof BadGlobalCall) this.fail(e.message);
      if (e instanceof DataError) throw e;
      throw new CallbackFailure(e);
    }
  }

  private build(inst: PyValue, state: PyValue): void {
    if (inst instanceof PyObject) {
      inst.state = state instanceof PyTuple && state.items.length === 2 ? (state.items[0] ?? null) : state;
    } else if (inst instanceof NumpyDtype) {
      // dtype.__setstate__((version, byteorder, subdescr, names, fields, elsize, alignment, flags))
      if (state instanceof PyTuple && typeof state.items[1] === 'string') inst.byteOrder = state.items[1];
    } else if (inst instanceof PyNdarray) {
      buildNdarray(inst, state, (m) => this.fail(m));
    } else if (inst instanceof PyDict) {
      // e.g. a state_dict's `_metadata` attribute
      const attrs = state instanceof PyTuple ? state.items[0] : state;
      if (attrs instanceof PyDict) {
        inst.attrs ??= new Map();
        for (const [k, v] of attrs.entries()) if (typeof k === 'string') inst.attrs.set(k, v);
      } else if (attrs !== null) this.fail(`BUILD of a dict with a ${pyTypeName(attrs)} state`);
    } else {
      this.fail(`BUILD (__setstate__) on a ${pyTypeName(inst)}`);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // memo

  private memoPut(id: number): void {
    const v = this.top();
    if (!this.memo.has(id)) this.memoInserted++;
    this.memo.set(id, v);
    if (this.memo.size > this.stats.maxMemoSize) this.stats.maxMemoSize = this.memo.size;
    if (this.recordFrame !== null) this.memoLog.push(id);
  }

  private memoGet(id: number): PyValue {
    const v = this.memo.get(id);
    if (v === undefined) {
      if (this.releasedRanges.some(([a, b]) => id >= a && id <= b)) {
        this.fail(`back-reference into a released record (memo id ${id}): this pickle shares an object between records, which the streaming reader cannot follow`);
      }
      this.fail(`memo id ${id} is not defined`);
    }
    if (this.probationOf.delete(id)) this.stats.promoted++;
    return v;
  }

  private noteReleased(id: number): void {
    this.stats.released++;
    const last = this.releasedRanges[this.releasedRanges.length - 1];
    if (last !== undefined && id >= last[0] - 1 && id <= last[1] + 1) {
      last[0] = Math.min(last[0], id);
      last[1] = Math.max(last[1], id);
    } else {
      this.releasedRanges.push([id, id]);
      if (this.releasedRanges.length > 4096) this.releasedRanges.splice(0, 2048); // message aid only
    }
  }

  // ---------------------------------------------------------------------------------------------
  // record hook

  private maybeCollection(d: PyDict): void {
    if (this.hook === undefined || this.stack.length < 2) return;
    const key = this.stack[this.stack.length - 2]!;
    if (this.hook.isCollection(key, this.metastack.length, this.stack)) this.collections.add(d);
  }

  private mark(): void {
    const top = this.stack[this.stack.length - 1];
    const isBatch = this.recordFrame === null && top instanceof PyDict && this.collections.has(top);
    this.metastack.push(this.stack);
    this.stack = [];
    if (isBatch) {
      this.recordFrame = this.stack;
      this.pendingValue = 1;
      this.memoLog = [];
    }
  }

  /** A value in the open batch is finished once a key (int or str) has been pushed above it. */
  private checkRecords(): void {
    const s = this.stack;
    while (s.length > this.pendingValue + 1 && isRecordKey(s[this.pendingValue + 1]) && !(s[this.pendingValue] instanceof PyGlobal)) {
      s[this.pendingValue] = this.handOver(s[this.pendingValue - 1]!, s[this.pendingValue]!);
      this.pendingValue += 2;
    }
  }

  /** SETITEMS closes the batch: every value still pending is finished. */
  private finishRecordFrame(): void {
    const s = this.stack;
    if (s.length % 2 !== 0) this.fail('SETITEMS with an odd number of items');
    for (; this.pendingValue < s.length; this.pendingValue += 2) {
      s[this.pendingValue] = this.handOver(s[this.pendingValue - 1]!, s[this.pendingValue]!);
    }
    this.recordFrame = null;
    this.memoLog = [];
  }

  private handOver(key: PyValue, value: PyValue): ReleasedRecord {
    const seq = this.recordSeq++;
    try {
      this.hook!.onRecord(key, value, this.src.position);
    } catch (e) {
      throw new CallbackFailure(e);
    }
    this.stats.records++;
    this.releaseRecordMemo(seq);
    return new ReleasedRecord(seq);
  }

  private releaseRecordMemo(seq: number): void {
    const kept: number[] = [];
    for (const id of this.memoLog) {
      if (!this.memo.has(id)) continue;
      kept.push(id);
      this.probationOf.set(id, seq);
    }
    this.memoLog = [];
    if (kept.length > 0) this.probation.push({ seq, ids: kept });
    while (this.probation.length > 0 && this.probation[0]!.seq <= seq - this.probationRecords) {
      const gen = this.probation.shift()!;
      for (const id of gen.ids) {
        if (this.probationOf.get(id) === gen.seq) {
          this.probationOf.delete(id);
          this.memo.delete(id);
          this.noteReleased(id);
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // helpers for text opcodes and containers

  private setItems(d: PyDict, items: PyValue[]): void {
    if (items.length % 2 !== 0) this.fail('odd number of items for a dict');
    for (let i = 0; i < items.length; i += 2) {
      if (!d.set(items[i]!, items[i + 1]!)) this.fail(`unhashable dict key ${pyTypeName(items[i])}`);
    }
  }

  private textId(): number {
    const t = this.line();
    if (!/^\d+$/.test(t)) this.fail(`bad memo id ${JSON.stringify(t)}`);
    return Number(t);
  }

  private textInt(t: string, boolCodes: boolean): number | bigint | boolean {
    if (boolCodes && t === '00') return false;
    if (boolCodes && t === '01') return true;
    if (!/^[-+]?\d+$/.test(t)) this.fail(`bad integer ${JSON.stringify(t)}`);
    const b = BigInt(t);
    return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
  }

  private quotedString(raw: Buffer): string {
    const t = raw.toString('latin1');
    const q = t[0];
    if (t.length < 2 || (q !== "'" && q !== '"') || t[t.length - 1] !== q) this.fail('STRING is not quoted');
    return unescapePy2(t.slice(1, -1));
  }
}

/** Python's decode_long: little-endian two's complement. */
export function decodeLong(b: Buffer): number | bigint {
  if (b.length === 0) return 0;
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
  if (b[b.length - 1]! & 0x80) x -= 1n << BigInt(8 * b.length);
  return x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
}

function decodeRawUnicodeEscape(b: Buffer): string {
  const t = b.toString('latin1');
  return t.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, u4?: string, u8?: string) =>
    String.fromCodePoint(parseInt((u4 ?? u8)!, 16)),
  );
}

function unescapePy2(s: string): string {
  const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };
  return s.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/gs, (m, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(parseInt(e, 8) & 0xff);
    return simple[e] ?? m;
  });
}

function buildNdarray(a: PyNdarray, state: PyValue, fail: (m: string) => never): void {
  // ndarray.__setstate__((version, shape, dtype, is_fortran, rawdata)); old pickles omit version.
  if (!(state instanceof PyTuple)) fail(`numpy array state is a ${pyTypeName(state)}`);
  const it = state.items.length === 5 ? state.items.slice(1) : state.items;
  if (it.length !== 4) fail(`numpy array state has ${state.items.length} items`);
  const [shape, dtype, fortran, raw] = it as [PyValue, PyValue, PyValue, PyValue];
  const dims = shape instanceof PyTuple ? shape.items : Array.isArray(shape) ? shape : fail('numpy array shape is not a tuple');
  a.shape = dims.map((d) => (typeof d === 'number' ? d : typeof d === 'bigint' ? Number(d) : fail('numpy array shape has a non-int')));
  if (!(dtype instanceof NumpyDtype)) fail(`numpy array dtype is a ${pyTypeName(dtype)}`);
  a.dtype = dtype;
  a.fortranOrder = fortran === true || fortran === 1;
  if (Buffer.isBuffer(raw)) a.data = raw;
  else if (typeof raw === 'string') a.data = Buffer.from(raw, 'latin1');
  else if (Array.isArray(raw)) a.objects = raw;
  else fail(`numpy array data is a ${pyTypeName(raw)}`);
}

/** Reads one pickle from a buffer or byte source. */
export function loadPickle(input: Uint8Array | ByteSource, opts: PickleOptions & { file?: string } = {}): PyValue {
  const src = input instanceof ByteSource ? input : ByteSource.fromBuffer(input, { file: opts.file });
  return new PickleVM(src, opts).load();
}

/** For messages: the name of an opcode byte. */
export function opcodeName(op: number): string {
  return OPNAMES[op] ?? `0x${op.toString(16)}`;
}
