import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/util/errors.ts';
import { ByteSource } from '../../src/io/byte-source.ts';
import { loadPickle, PickleVM, type RecordHook } from '../../src/io/pickle.ts';
import { PyDict, PySet, PyTuple, ReleasedRecord, type PyValue } from '../../src/io/pickle-values.ts';

/** Hand-assembled pickles: the tests must not need Python. */
const op = {
  PROTO2: [0x80, 2],
  STOP: [0x2e],
  MARK: [0x28],
  EMPTY_DICT: [0x7d],
  EMPTY_LIST: [0x5d],
  SETITEMS: [0x75],
  APPENDS: [0x65],
  TUPLE2: [0x86],
  NONE: [0x4e],
};
const int1 = (n: number) => [0x4b, n];
const str = (s: string) => {
  const b = Buffer.from(s, 'utf8');
  return [0x58, ...[0, 1, 2, 3].map((i) => (b.length >> (8 * i)) & 0xff), ...b];
};
const put = (id: number) => [0x72, id & 0xff, (id >> 8) & 0xff, (id >> 16) & 0xff, id >>> 24];
const get = (id: number) => [0x6a, id & 0xff, (id >> 8) & 0xff, (id >> 16) & 0xff, id >>> 24];
const pickle = (...parts: number[][]) => Buffer.from(parts.flat());

describe('pickle VM basics', () => {
  it('reads nested containers, tuples as dict keys and memo references', () => {
    const buf = pickle(
      op.PROTO2, op.EMPTY_DICT, put(0), op.MARK,
      str('k'), put(1), op.EMPTY_LIST, put(2), op.MARK, int1(1), int1(2), op.APPENDS,
      str('ds'), int1(7), op.TUPLE2, put(3), get(1),
      op.SETITEMS, op.STOP,
    );
    const d = loadPickle(buf) as PyDict;
    expect(d).toBeInstanceOf(PyDict);
    expect(d.get('k')).toEqual([1, 2]);
    expect(d.get(new PyTuple(['ds', 7]))).toBe('k');
    expect(d.get(new PyTuple(['ds', 8]))).toBeUndefined();
  });

  it('reads LONG1 (the torch magic number) and BINFLOAT', () => {
    const magic = [0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
    expect(loadPickle(pickle(op.PROTO2, magic, op.STOP))).toBe(0x1950a86a20f9469cfc6cn);
    const f = Buffer.alloc(8);
    f.writeDoubleBE(85.8633);
    expect(loadPickle(pickle(op.PROTO2, [0x47, ...f], op.STOP))).toBe(85.8633);
  });

  it('refuses a global that is not in the registry, naming it and its offset', () => {
    const buf = pickle(op.PROTO2, [0x63, ...Buffer.from('os\nsystem\n')], op.STOP);
    expect(() => loadPickle(buf, { file: 'evil.pkl' })).toThrowError(/evil\.pkl, byte 2: unknown global os\.system/);
  });

  it('reports a pickle that ends early with the byte where it ends', () => {
    const full = pickle(op.PROTO2, op.EMPTY_DICT, op.MARK, str('abc'), int1(1), op.SETITEMS, op.STOP);
    for (let cut = 1; cut < full.length; cut++) {
      let err: unknown;
      try {
        loadPickle(full.subarray(0, cut), { file: 'cut.pkl' });
      } catch (e) {
        err = e;
      }
      expect(err, `cut at ${cut}`).toBeInstanceOf(DataError);
      expect((err as DataError).message).toMatch(new RegExp(`cut\\.pkl, byte ${cut}: ends early at byte ${cut}`));
    }
  });

  it('turns garbage into a DataError, never a TypeError', () => {
    for (const bytes of [[0x80, 2, 0x75], [0x80, 2, 0x61, 0x2e], [0x80, 2, 0xff], [0x80, 2, 0x4e, 0x62, 0x2e], [0x80, 2, 0x4e, 0x29, 0x52, 0x2e]]) {
      expect(() => loadPickle(Buffer.from(bytes))).toThrow(DataError);
    }
  });

  it('reads from a file descriptor region in small chunks the same as from a buffer', async () => {
    const { mkdtempSync, writeFileSync, openSync, closeSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const items: number[][] = [];
    for (let i = 0; i < 300; i++) items.push(str(`s${i}`), int1(i % 256));
    const body = pickle(op.PROTO2, op.EMPTY_DICT, op.MARK, ...items, op.SETITEMS, op.STOP);
    const file = join(mkdtempSync(join(tmpdir(), 'pkl-')), 'x.pkl');
    writeFileSync(file, Buffer.concat([Buffer.from('JUNK'), body]));
    const fd = openSync(file, 'r');
    try {
      const v = new PickleVM(ByteSource.fromFd(fd, 4, 4 + body.length, { file, chunkSize: 7 })).load() as PyDict;
      expect(v.size).toBe(300);
      expect(v.get('s299')).toBe(299 % 256);
    } finally {
      closeSync(fd);
    }
  });
});

describe('record hook', () => {
  /** {'coll': {0: rec0, 1: rec1, ...}} where each record is {'name': 'shared' (memoized once, in record 0), 'v': [i, i]} */
  function collectionPickle(n: number, crossRef?: { from: number; to: number }): Buffer {
    const parts: number[][] = [op.PROTO2, op.EMPTY_DICT, put(0), op.MARK, str('coll'), put(1), op.EMPTY_DICT, put(2), op.MARK];
    let next = 3;
    const listIds: number[] = [];
    for (let i = 0; i < n; i++) {
      parts.push(int1(i), op.EMPTY_DICT, put(next++), op.MARK);
      if (i === 0) parts.push(str('name'), put(next++), str('shared'), put(next++));
      else parts.push(get(3 + 1), get(3 + 2));
      parts.push(str('v'), put(next++));
      if (crossRef && i === crossRef.from) parts.push(get(listIds[crossRef.to]!));
      else {
        listIds.push(next);
        parts.push(op.EMPTY_LIST, put(next++), op.MARK, int1(i), int1(i), op.APPENDS);
      }
      parts.push(op.SETITEMS);
    }
    parts.push(op.SETITEMS, op.SETITEMS, op.STOP);
    return pickle(...parts);
  }

  const hookInto = (got: [PyValue, PyValue][]): RecordHook => ({
    isCollection: (key, depth) => key === 'coll' && depth === 1,
    onRecord: (key, value) => got.push([key, value]),
  });

  it('hands each record over once, leaves placeholders, and keeps the memo flat', () => {
    const got: [PyValue, PyValue][] = [];
    const vm = new PickleVM(ByteSource.fromBuffer(collectionPickle(200)), { recordHook: hookInto(got), probationRecords: 3 });
    const root = vm.load() as PyDict;
    expect(got.map(([k]) => k)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const rec5 = got[5]![1] as PyDict;
    expect(rec5.get('name')).toBe('shared');
    expect(rec5.get('v')).toEqual([5, 5]);
    const coll = root.get('coll') as PyDict;
    expect(coll.size).toBe(200);
    expect(coll.get(7)).toBeInstanceOf(ReleasedRecord);
    // 200 records x 3 memo entries were written; the memo holds a few records' worth at most.
    expect(vm.stats.records).toBe(200);
    expect(vm.stats.maxMemoSize).toBeLessThan(25);
    expect(vm.stats.released).toBeGreaterThan(550);
    expect(vm.stats.promoted).toBeGreaterThanOrEqual(2); // 'name' and 'shared' are used by every record
  });

  it('reads the same records without the hook (the hook only changes memory, not values)', () => {
    const root = loadPickle(collectionPickle(20)) as PyDict;
    const coll = root.get('coll') as PyDict;
    expect((coll.get(13) as PyDict).get('v')).toEqual([13, 13]);
  });

  it('reports a back-reference into a released record', () => {
    const got: [PyValue, PyValue][] = [];
    const buf = collectionPickle(30, { from: 25, to: 2 });
    const vm = new PickleVM(ByteSource.fromBuffer(buf, { file: 'x.pkl' }), { recordHook: hookInto(got), probationRecords: 4 });
    expect(() => vm.load()).toThrowError(/x\.pkl, byte \d+: back-reference into a released record/);
    // Within the probation window the reference still works.
    const ok = new PickleVM(ByteSource.fromBuffer(collectionPickle(30, { from: 5, to: 3 })), { recordHook: hookInto([]), probationRecords: 4 });
    expect(() => ok.load()).not.toThrow();
  });

  it('passes errors thrown by the callback through unchanged', () => {
    const vm = new PickleVM(ByteSource.fromBuffer(collectionPickle(3)), {
      recordHook: { isCollection: (k) => k === 'coll', onRecord: () => { throw new RangeError('mine'); } },
    });
    expect(() => vm.load()).toThrow(RangeError);
  });
});

describe('sets', () => {
  it('reads builtins.set via REDUCE (protocol 2)', () => {
    const g = [0x63, ...Buffer.from('__builtin__\nset\n')];
    const buf = pickle(op.PROTO2, g, op.EMPTY_LIST, op.MARK, int1(0), int1(11), op.APPENDS, [0x85], [0x52], op.STOP);
    const s = loadPickle(buf) as PySet;
    expect(s).toBeInstanceOf(PySet);
    expect(s.items).toEqual([0, 11]);
  });
});
