/**
 * How Python objects read from a pickle look in JavaScript.
 *
 *   None -> null, bool -> boolean, int -> number (bigint beyond 2^53), float -> number,
 *   str -> string, bytes -> Buffer, list -> array, tuple -> PyTuple, dict -> PyDict,
 *   set/frozenset -> PySet, numpy scalar -> number (bigint for 64-bit ints beyond 2^53),
 *   numpy array -> PyNdarray, torch tensor -> TensorRef (lazy: no storage bytes are read),
 *   instance of an allowed class -> PyObject.
 *
 * Python 2 `str` (BINSTRING opcodes, e.g. in Python 2 numpy pickles) is read as Python 3 does
 * with encoding='latin1': short ones (< 256 bytes, SHORT_BINSTRING) become strings so dict keys
 * such as 'data' and 'labels' work; long ones stay Buffers (array payloads of hundreds of MB that
 * must not be turned into JS strings).
 */

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Buffer
  | PyValue[]
  | PyTuple
  | PyDict
  | PySet
  | PyObject
  | PyGlobal
  | PyNdarray
  | NumpyDtype
  | StorageRef
  | TensorRef
  | ReleasedRecord;

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/**
 * A key under which Python would find the same dict entry: equal numbers (and bools) collide,
 * strings and bytes are distinct, tuples compare element-wise. Unhashable keys are refused by
 * the caller (Python would have refused to pickle them too).
 */
export function hashKey(k: PyValue): string | undefined {
  if (k === null) return 'N';
  switch (typeof k) {
    case 'string':
      return 's' + k;
    case 'number':
      return 'n' + String(k);
    case 'bigint':
      return 'n' + k.toString();
    case 'boolean':
      return k ? 'n1' : 'n0';
  }
  if (Buffer.isBuffer(k)) return 'b' + k.toString('hex');
  if (k instanceof PyTuple) {
    const parts: string[] = [];
    for (const x of k.items) {
      const h = hashKey(x);
      if (h === undefined) return undefined;
      parts.push(`${h.length}:${h}`);
    }
    return 't' + parts.join('');
  }
  if (k instanceof PyGlobal) return 'g' + k.qualified;
  if (k instanceof PySet && k.frozen) {
    const parts = k.items.map((x) => hashKey(x) ?? '?').sort();
    return 'f' + parts.map((h) => `${h.length}:${h}`).join('');
  }
  return undefined;
}

export class PyDict {
  private readonly map = new Map<string, [PyValue, PyValue]>();
  /** Attributes set by BUILD (e.g. a state_dict's `_metadata`). */
  attrs: Map<string, PyValue> | undefined;

  /** 'dict' or the class it was built from, e.g. 'collections.OrderedDict'. */
  constructor(readonly pyClass: string = 'dict') {}

  /** Returns false when the key is unhashable. */
  set(key: PyValue, value: PyValue): boolean {
    const h = hashKey(key);
    if (h === undefined) return false;
    this.map.set(h, [key, value]);
    return true;
  }

  get(key: PyValue): PyValue | undefined {
    const h = hashKey(key);
    return h === undefined ? undefined : this.map.get(h)?.[1];
  }

  has(key: PyValue): boolean {
    const h = hashKey(key);
    return h !== undefined && this.map.has(h);
  }

  get size(): number {
    return this.map.size;
  }

  *entries(): IterableIterator<[PyValue, PyValue]> {
    yield* this.map.values();
  }

  *keys(): IterableIterator<PyValue> {
    for (const [k] of this.map.values()) yield k;
  }

  *values(): IterableIterator<PyValue> {
    for (const [, v] of this.map.values()) yield v;
  }
}

export class PySet {
  readonly items: PyValue[] = [];
  constructor(readonly frozen = false) {}
}

/** A reference to an allowed global (a class or function); calling it goes through the registry. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An instance of an allowed class that has no richer JS form: its constructor args and state. */
export class PyObject {
  state: PyValue = null;
  constructor(
    readonly cls: string,
    readonly args: PyValue[] = [],
  ) {}
}

/** numpy.dtype: only what is needed to decode scalars and arrays. */
export class NumpyDtype {
  /** Byte order from __setstate__: '<', '>', '|' (not applicable) or '=' (native). */
  byteOrder = '|';
  constructor(
    /** The type code as pickled, e.g. 'f8', 'u1', 'i8', 'b1', 'O8'. */
    readonly code: string,
  ) {}
}

export class PyNdarray {
  shape: number[] = [];
  dtype: NumpyDtype | null = null;
  fortranOrder = false;
  /** Raw element bytes (numeric arrays) in the dtype's byte order. */
  data: Buffer | null = null;
  /** Elements of an object array (dtype 'O'). */
  objects: PyValue[] | null = null;
}

/** A torch storage named by a persistent id: no bytes are read, only where they are. */
export class StorageRef {
  constructor(
    /** Storage key: the zip entry `<archive>/data/<key>`, or the legacy storage-key list entry. */
    readonly key: string,
    /** Element type from the storage class, e.g. 'float32'. */
    readonly dtype: string,
    readonly location: string,
    /** Number of elements. */
    readonly numel: number,
  ) {}
}

/** A tensor as torch._utils._rebuild_tensor_v2 describes it (lazy: storage bytes are not read). */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly storageOffset: number,
    readonly shape: number[],
    readonly stride: number[],
    readonly requiresGrad: boolean,
  ) {}
}

/** Stands where the record hook took a record away (see pickle.ts). */
export class ReleasedRecord {
  constructor(readonly seq: number) {}
}

/** Type guards and accessors that turn unexpected shapes into messages instead of TypeErrors. */
export function pyTypeName(v: PyValue | undefined): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'list';
  if (Buffer.isBuffer(v)) return 'bytes';
  switch (typeof v) {
    case 'string':
      return 'str';
    case 'number':
      return Number.isInteger(v) ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'boolean':
      return 'bool';
  }
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return v.pyClass;
  if (v instanceof PySet) return v.frozen ? 'frozenset' : 'set';
  if (v instanceof PyObject) return v.cls;
  if (v instanceof PyGlobal) return `<global ${v.qualified}>`;
  if (v instanceof PyNdarray) return 'numpy.ndarray';
  if (v instanceof NumpyDtype) return 'numpy.dtype';
  if (v instanceof TensorRef) return 'torch.Tensor';
  if (v instanceof StorageRef) return 'torch storage';
  if (v instanceof ReleasedRecord) return '<released record>';
  return typeof v;
}

/** A dict, or the state dict of an object (ArchResults instances pickled as objects). */
export function asDict(v: PyValue | undefined): PyDict | undefined {
  if (v instanceof PyDict) return v;
  if (v instanceof PyObject && v.state instanceof PyDict) return v.state;
  return undefined;
}

export function asNumber(v: PyValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}
