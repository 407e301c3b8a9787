/**
 * The explicit list of Python globals a pickle may name (Unpickler.find_class). A pickle can call
 * any function it names, so a reader that resolves arbitrary globals is unsafe and, for our
 * purpose, also pointless: the official NB201/NATS/ImageNet16 files need only the globals below.
 * Anything else is a DataError naming `module.name` and the byte offset (see pickle.ts).
 *
 * Each entry says what REDUCE (`f(*args)`) and NEWOBJ (`cls.__new__(cls, *args)`) produce.
 * BUILD (`__setstate__`) is handled by the VM per JS type (pickle.ts `build`).
 */
import {
  NumpyDtype,
  PyDict,
  PyGlobal,
  PyNdarray,
  PyObject,
  PySet,
  PyTuple,
  StorageRef,
  TensorRef,
  pyTypeName,
  type PyValue,
} from './pickle-values.ts';

/** Thrown by handlers for arguments of the wrong shape; the VM adds file and offset. */
export class BadGlobalCall extends Error {}

export interface AllowedGlobal {
  /** `f(*args)`; absent = calling it is refused (e.g. a storage class only named in an id). */
  call?: (args: PyValue[]) => PyValue;
  /** `cls.__new__(cls, *args)`; defaults to `call`. */
  newobj?: (args: PyValue[]) => PyValue;
}

export type GlobalRegistry = ReadonlyMap<string, AllowedGlobal>;

function fail(what: string): never {
  throw new BadGlobalCall(what);
}

function toBytes(v: PyValue, what: string): Buffer {
  if (Buffer.isBuffer(v)) return v;
  // Python 2 str read with encoding='latin1' (as numpy's own unpickling path accepts).
  if (typeof v === 'string') return Buffer.from(v, 'latin1');
  return fail(`${what}: expected bytes, got ${pyTypeName(v)}`);
}

function intList(v: PyValue, what: string): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : fail(`${what}: expected a tuple, got ${pyTypeName(v)}`);
  return items.map((x) => {
    if (typeof x === 'number' && Number.isInteger(x)) return x;
    if (typeof x === 'bigint') return Number(x);
    return fail(`${what}: expected ints, got ${pyTypeName(x)}`);
  });
}

// ---------------------------------------------------------------------------------------------
// numpy
// ---------------------------------------------------------------------------------------------

function dtypeOf(v: PyValue, what: string): NumpyDtype {
  return v instanceof NumpyDtype ? v : fail(`${what}: expected numpy.dtype, got ${pyTypeName(v)}`);
}

/** Element size in bytes and a reader for one element, from a dtype code like 'f8' or '<i4'. */
export function numpyElement(dtype: NumpyDtype): { size: number; read: (b: Buffer, at: number) => number | bigint | boolean } {
  const m = /^([<>|=]?)([fiub])(\d+)$/.exec(dtype.code);
  if (!m) return fail(`unsupported numpy dtype '${dtype.code}'`);
  const kind = m[2]!;
  const size = Number(m[3]);
  const big = (m[1] || dtype.byteOrder) === '>';
  const key = `${kind}${size}`;
  switch (key) {
    case 'f8':
      return { size, read: (b, at) => (big ? b.readDoubleBE(at) : b.readDoubleLE(at)) };
    case 'f4':
      return { size, read: (b, at) => (big ? b.readFloatBE(at) : b.readFloatLE(at)) };
    case 'f2':
      return { size, read: (b, at) => halfToFloat(big ? b.readUInt16BE(at) : b.readUInt16LE(at)) };
    case 'i8':
      return { size, read: (b, at) => narrow(big ? b.readBigInt64BE(at) : b.readBigInt64LE(at)) };
    case 'u8':
      return { size, read: (b, at) => narrow(big ? b.readBigUInt64BE(at) : b.readBigUInt64LE(at)) };
    case 'i4':
      return { size, read: (b, at) => (big ? b.readInt32BE(at) : b.readInt32LE(at)) };
    case 'u4':
      return { size, read: (b, at) => (big ? b.readUInt32BE(at) : b.readUInt32LE(at)) };
    case 'i2':
      return { size, read: (b, at) => (big ? b.readInt16BE(at) : b.readInt16LE(at)) };
    case 'u2':
      return { size, read: (b, at) => (big ? b.readUInt16BE(at) : b.readUInt16LE(at)) };
    case 'i1':
      return { size, read: (b, at) => b.readInt8(at) };
    case 'u1':
      return { size, read: (b, at) => b.readUInt8(at) };
    case 'b1':
      return { size, read: (b, at) => b[at] !== 0 };
  }
  return fail(`unsupported numpy dtype '${dtype.code}'`);
}

function narrow(x: bigint): number | bigint {
  return x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

const numpyDtype: AllowedGlobal = {
  // numpy pickles dtype('f8') as dtype('f8', False, True) followed by BUILD with the byte order.
  call: (args) => {
    const code = args[0];
    if (typeof code !== 'string') fail(`numpy.dtype: expected a type code string, got ${pyTypeName(code)}`);
    return new NumpyDtype(code);
  },
};

const numpyScalar: AllowedGlobal = {
  // numpy.core.multiarray.scalar(dtype, raw_bytes): one element of the given dtype.
  call: (args) => {
    const dtype = dtypeOf(args[0] ?? null, 'numpy scalar');
    const raw = toBytes(args[1] ?? null, 'numpy scalar');
    const el = numpyElement(dtype);
    if (raw.length !== el.size) fail(`numpy scalar of dtype '${dtype.code}' has ${raw.length} bytes, expected ${el.size}`);
    return el.read(raw, 0);
  },
};

const numpyReconstruct: AllowedGlobal = {
  // numpy.core.multiarray._reconstruct(ndarray, (0,), b'b'): an empty array that BUILD fills.
  call: () => new PyNdarray(),
};

const numpyFromBuffer: AllowedGlobal = {
  // numpy.core.numeric._frombuffer(buf, dtype, shape, order): protocol-5 in-band arrays.
  call: (args) => {
    const a = new PyNdarray();
    a.data = toBytes(args[0] ?? null, 'numpy _frombuffer');
    a.dtype = dtypeOf(args[1] ?? null, 'numpy _frombuffer');
    a.shape = intList(args[2] ?? null, 'numpy _frombuffer shape');
    a.fortranOrder = args[3] === 'F';
    return a;
  },
};

// ---------------------------------------------------------------------------------------------
// torch
// ---------------------------------------------------------------------------------------------

export const TORCH_STORAGE_DTYPES: Readonly<Record<string, string>> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

export const TORCH_DTYPE_BYTES: Readonly<Record<string, number>> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

const rebuildTensorV2: AllowedGlobal = {
  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  call: (args) => {
    const storage = args[0];
    if (!(storage instanceof StorageRef)) fail(`_rebuild_tensor_v2: expected a storage, got ${pyTypeName(storage)}`);
    const offset = args[1];
    if (typeof offset !== 'number') fail(`_rebuild_tensor_v2: storage offset is ${pyTypeName(offset)}`);
    return new TensorRef(storage, offset, intList(args[2] ?? null, 'tensor size'), intList(args[3] ?? null, 'tensor stride'), args[4] === true);
  },
};

const rebuildParameter: AllowedGlobal = {
  // _rebuild_parameter(data, requires_grad, backward_hooks): a Parameter is its tensor for us.
  call: (args) => args[0] ?? null,
};

/** torch's persistent ids: ('storage', storage_class, key, location, numel[, view_metadata]). */
export function torchPersistentLoad(pid: PyValue): PyValue {
  if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage') {
    return fail(`unsupported persistent id ${pyTypeName(pid)} (expected a ('storage', ...) tuple)`);
  }
  const [, cls, key, location, numel, view] = pid.items;
  if (!(cls instanceof PyGlobal)) fail(`persistent id: storage class is ${pyTypeName(cls)}`);
  const dtype = TORCH_STORAGE_DTYPES[cls.name];
  if (dtype === undefined) fail(`persistent id: unknown storage class ${cls.qualified}`);
  if (typeof key !== 'string') fail(`persistent id: storage key is ${pyTypeName(key)}`);
  if (typeof numel !== 'number') fail(`persistent id: storage size is ${pyTypeName(numel)}`);
  if (view !== undefined && view !== null) {
    // Legacy storage views (view_metadata = (view_key, offset, view_size)) predate torch 1.0.
    fail('persistent id: storage views (view_metadata) are not supported');
  }
  return new StorageRef(key, dtype, typeof location === 'string' ? location : '', numel);
}

// ---------------------------------------------------------------------------------------------
// builtins and the NB201 API classes
// ---------------------------------------------------------------------------------------------

const orderedDict: AllowedGlobal = {
  // OrderedDict() then SETITEMS; protocol 0/1 pass the items as a list of [key, value] pairs.
  call: (args) => {
    const d = new PyDict('collections.OrderedDict');
    const items = args[0];
    if (Array.isArray(items)) {
      for (const pair of items) {
        const kv = pair instanceof PyTuple ? pair.items : Array.isArray(pair) ? pair : fail('OrderedDict: items must be pairs');
        if (kv.length !== 2 || !d.set(kv[0]!, kv[1]!)) fail('OrderedDict: bad item');
      }
    }
    return d;
  },
};

function makeSet(frozen: boolean): AllowedGlobal {
  return {
    call: (args) => {
      const s = new PySet(frozen);
      const items = args[0];
      if (items === undefined) return s;
      if (Array.isArray(items)) s.items.push(...items);
      else if (items instanceof PyTuple) s.items.push(...items.items);
      else fail(`set(): expected a list, got ${pyTypeName(items)}`);
      return s;
    },
  };
}

const codecsEncode: AllowedGlobal = {
  // Protocol 2 writes Python 3 bytes as _codecs.encode(text, 'latin1').
  call: (args) => {
    const [text, encoding] = args;
    if (typeof text !== 'string') fail(`_codecs.encode: expected str, got ${pyTypeName(text)}`);
    const enc = typeof encoding === 'string' ? encoding.toLowerCase().replace('_', '-') : 'utf-8';
    if (enc === 'latin1' || enc === 'latin-1' || enc === 'iso-8859-1') return Buffer.from(text, 'latin1');
    if (enc === 'utf-8' || enc === 'utf8' || enc === 'ascii') return Buffer.from(text, 'utf8');
    return fail(`_codecs.encode: unsupported encoding ${JSON.stringify(encoding)}`);
  },
};

const bytesCtor: AllowedGlobal = {
  call: (args) => (args.length === 0 ? Buffer.alloc(0) : toBytes(args[0]!, 'bytes()')),
};

function plainClass(qualified: string): AllowedGlobal {
  const make = (args: PyValue[]): PyValue => new PyObject(qualified, args);
  return { call: make, newobj: make };
}

const reconstructor: AllowedGlobal = {
  // Protocols 0/1 write instances as copy_reg._reconstructor(cls, object, None) + BUILD.
  call: (args) => {
    const cls = args[0];
    if (!(cls instanceof PyGlobal)) fail(`_reconstructor: expected a class, got ${pyTypeName(cls)}`);
    return new PyObject(cls.qualified);
  },
};

/**
 * Modules under which the NB201 / NATS-Bench result classes may be pickled. The shared sample
 * and the NATS files store ArchResults and ResultsCount as their state dicts (plain dicts, as
 * `ArchResults.state_dict()` writes them), so none of these is needed for the official files;
 * they are accepted so that a file pickled from live API objects reads the same way.
 */
const NB201_CLASS_MODULES = ['nas_201_api.api_utils', 'nas_201_api.api', 'nas_201_api', 'nats_bench.api_utils'];

function buildRegistry(): Map<string, AllowedGlobal> {
  const r = new Map<string, AllowedGlobal>();
  r.set('collections.OrderedDict', orderedDict);
  for (const m of ['builtins', '__builtin__']) {
    r.set(`${m}.set`, makeSet(false));
    r.set(`${m}.frozenset`, makeSet(true));
    r.set(`${m}.bytes`, bytesCtor);
    r.set(`${m}.bytearray`, bytesCtor);
    r.set(`${m}.object`, {});
  }
  r.set('_codecs.encode', codecsEncode);
  r.set('copy_reg._reconstructor', reconstructor);
  r.set('copyreg._reconstructor', reconstructor);
  // numpy 1.x names and numpy 2.x (numpy._core) names.
  for (const core of ['numpy.core', 'numpy._core']) {
    r.set(`${core}.multiarray.scalar`, numpyScalar);
    r.set(`${core}.multiarray._reconstruct`, numpyReconstruct);
    r.set(`${core}.numeric._frombuffer`, numpyFromBuffer);
  }
  r.set('numpy.dtype', numpyDtype);
  r.set('numpy.ndarray', {}); // only passed to _reconstruct
  r.set('torch._utils._rebuild_tensor_v2', rebuildTensorV2);
  r.set('torch._utils._rebuild_parameter', rebuildParameter);
  for (const name of Object.keys(TORCH_STORAGE_DTYPES)) r.set(`torch.${name}`, {});
  for (const m of NB201_CLASS_MODULES) {
    for (const cls of ['ArchResults', 'ResultsCount']) r.set(`${m}.${cls}`, plainClass(`${m}.${cls}`));
  }
  return r;
}

/** Everything the NB201 / NATS / ImageNet16 readers need. */
export const DEFAULT_GLOBALS: GlobalRegistry = buildRegistry();
