/**
 * A network description (src/graph/network-graph.ts) with its weights, serialised in memory as
 * an ONNX model (opset 17) for ONNX Runtime (onnx-executor.ts). No file is written and no ONNX
 * tooling is needed: the few ModelProto fields used are declared below (field numbers as in the
 * ONNX IR spec) and encoded with protobufjs.
 *
 * Semantics follow the tfjs executor (tfjs-forward.ts), the reference of every op:
 * - Layout: the model takes the batch in NHWC, as the harness holds images, and transposes it
 *   once to NCHW; conv weights are transposed once from HWIO to OIHW here. Linear weights stay
 *   [in, out] (MatMul's B).
 * - BatchNorm is train mode only (batch statistics, biased variance, eps 1e-5), written as
 *   ReduceMean/Sub/Mul/Sqrt: ONNX Runtime's BatchNormalization is inference-only. Running
 *   statistics are neither read nor moved (a forward-only executor; the score of one pass never
 *   depends on them in train mode).
 * - avgpool3x3: AveragePool 3x3, stride 1, pad 1, count_include_pad 0; avgpool2x2: 2x2 stride 2.
 * - maxpool: TF 'same' padding computed from the static spatial size (extra pad at the end).
 * - truncate: Slice of the leading channels; zeros: ConstantOfShape(Shape(x)), exact zeros
 *   whatever x holds (also non-finite values), as tfjs's zerosLike.
 * - A parameter block (`ParamRef.block`) is cut in JS before it becomes an initializer.
 * - `scale` (the alpha-mixed supernet) is not supported: `unsupportedOp` names it.
 *
 * Weights are initializers, not graph inputs. Choice by measurement (bench/onnx-engine.ts,
 * recorded in onnx-executor.ts): every NB201/NB101 cell is its own graph structure, so a session
 * serves one network anyway, and initializers let ONNX Runtime pre-pack conv weights once.
 *
 * The batch dimension is symbolic ('n'): with every shape static, ORT's constant folding would
 * evaluate, at session creation, whatever follows a `zeros` node (an NB201 cell whose output is
 * all zeros makes the rest of the network input-independent): measured 1.8–2.5 s of creation
 * against a 0.3 s pass. A symbolic batch keeps Shape(x) unknown, so nothing is folded.
 *
 * Outputs: `logits` [n, classes] and, with `reluKernel`, `K` [n, n]: NASWOT's kernel computed in
 * the graph. For every ReLU input x (flattened per sample, [n, m]) s = 2·(x > 0) − 1, and
 * K = Σ (s sᵀ + m) / 2 = Σ c cᵀ + (1 − c)(1 − c)ᵀ (context.ts reluCodeKernelTensor). The s sᵀ
 * products accumulate with Gemm's C input (one op per ReLU); every partial sum is an integer
 * below 2^24, exact in float32, so the order of summation cannot change K. The unit order inside
 * a sample (NCHW here, NHWC in tfjs) does not matter: K depends on Hamming distances only.
 */
import protobuf from 'protobufjs';
import type { GraphNode, NetworkGraph, ParamRef } from '../graph/network-graph.ts';

/** Bumped whenever the model this module emits computes something different (cache key). */
export const ONNX_MODEL_VERSION = 2;

const OPSET = 17;
const IR_VERSION = 8;
const BN_EPS = 1e-5;

// The subset of onnx.proto this module writes (field numbers from the ONNX IR specification).
const SCHEMA = `
syntax = "proto3";
package onnxsubset;
message TensorProto {
  repeated int64 dims = 1;
  int32 data_type = 2;
  string name = 8;
  bytes raw_data = 9;
}
message AttributeProto {
  string name = 1;
  float f = 2;
  int64 i = 3;
  TensorProto t = 5;
  repeated int64 ints = 8;
  int32 type = 20;
}
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  string name = 3;
  string op_type = 4;
  repeated AttributeProto attribute = 5;
}
message Dimension { int64 dim_value = 1; string dim_param = 2; }
message TensorShapeProto { repeated Dimension dim = 1; }
message TypeTensor { int32 elem_type = 1; TensorShapeProto shape = 2; }
message TypeProto { TypeTensor tensor_type = 1; }
message ValueInfoProto { string name = 1; TypeProto type = 2; }
message GraphProto {
  repeated NodeProto node = 1;
  string name = 2;
  repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
}
message OperatorSetIdProto { string domain = 1; int64 version = 2; }
message ModelProto {
  int64 ir_version = 1;
  string producer_name = 2;
  GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
}
`;

let modelType: protobuf.Type | undefined;
function modelProto(): protobuf.Type {
  modelType ??= protobuf.parse(SCHEMA, { keepCase: true }).root.lookupType('onnxsubset.ModelProto');
  return modelType;
}

const FLOAT = 1;
const INT64 = 7;
const ATTR_INT = 2;
const ATTR_TENSOR = 4;
const ATTR_INTS = 7;

type Attr = { name: string; type: number; f?: number; i?: number; ints?: number[]; t?: object };

/** Why the graph cannot be serialised (the first op this module lacks), or null. */
export function unsupportedOp(graph: NetworkGraph): string | null {
  if (graph.externals.length > 0) return `graph has external inputs (${graph.externals.map((e) => e.name).join(', ')}); the ONNX executor has no 'scale' op`;
  for (const node of graph.nodes) {
    if (node.op === 'scale') return `node ${node.id}: op 'scale' is not supported by the ONNX executor`;
  }
  return null;
}

export interface OnnxModelOptions {
  height: number;
  width: number;
  /** Also output NASWOT's K (see the file comment). */
  reluKernel: boolean;
}

/** Values of parameters by name (tfjs layout), e.g. from CellNetwork.values. */
export type ParamValues = (name: string) => Float32Array;

function rawFloat(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

function rawInt64(values: readonly number[]): Uint8Array {
  const out = new BigInt64Array(values.length);
  values.forEach((v, i) => (out[i] = BigInt(v)));
  return new Uint8Array(out.buffer);
}

/** The leading block of a row-major tensor (ParamRef.block). */
function leadingBlock(values: Float32Array, shape: readonly number[], block: readonly number[]): Float32Array {
  if (block.every((d, i) => d === shape[i])) return values;
  const size = block.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const idx = new Array<number>(block.length).fill(0);
  for (let k = 0; k < size; k++) {
    let off = 0;
    for (let d = 0; d < block.length; d++) off += idx[d]! * strides[d]!;
    out[k] = values[off]!;
    for (let d = block.length - 1; d >= 0; d--) {
      if (++idx[d]! < block[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** HWIO -> OIHW. */
function hwioToOihw(w: Float32Array, [kh, kw, ci, co]: readonly number[]): Float32Array {
  const out = new Float32Array(w.length);
  for (let h = 0; h < kh!; h++)
    for (let x = 0; x < kw!; x++)
      for (let i = 0; i < ci!; i++)
        for (let o = 0; o < co!; o++) out[((o * ci! + i) * kh! + h) * kw! + x] = w[((h * kw! + x) * ci! + i) * co! + o]!;
  return out;
}

/** TF 'same' padding of one spatial axis: [begin, end]. */
function samePad(size: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/**
 * Serialises the graph with its weights. `values` gives each parameter's current values in tfjs
 * layout. Throws a RangeError naming the node when the graph holds an op this module lacks.
 */
export function buildOnnxModel(graph: NetworkGraph, values: ParamValues, opts: OnnxModelOptions): Uint8Array {
  const why = unsupportedOp(graph);
  if (why) throw new RangeError(why);
  const specs = new Map(graph.params.map((p) => [p.name, p]));
  const nodes: object[] = [];
  const inits: object[] = [];
  const initNames = new Set<string>();
  let counter = 0;
  const fresh = (hint: string): string => `${hint}_${counter++}`;
  const node = (op: string, inputs: string[], attrs: Attr[] = [], out = fresh(op)): string => {
    nodes.push({ op_type: op, input: inputs, output: [out], name: out, attribute: attrs });
    return out;
  };
  const init = (name: string, dims: readonly number[], raw: Uint8Array, type = FLOAT): string => {
    if (!initNames.has(name)) {
      initNames.add(name);
      inits.push({ name, dims: [...dims], data_type: type, raw_data: raw });
    }
    return name;
  };
  const scalar = (v: number): string => init(`const_${v}`, [], rawFloat(Float32Array.of(v)));
  const ints = (name: string, v: readonly number[]): string => init(name, [v.length], rawInt64(v), INT64);
  const ia = (name: string, v: number[]): Attr => ({ name, type: ATTR_INTS, ints: v });
  const i1 = (name: string, v: number): Attr => ({ name, type: ATTR_INT, i: v });

  const param = (ref: ParamRef, layout: 'oihw' | 'bias' | 'channel4d' | 'as-is'): string => {
    const spec = specs.get(ref.name)!;
    const shape = ref.block ? [...ref.block] : [...spec.shape];
    const key = `${ref.name}${ref.block ? `[${ref.block.join('x')}]` : ''}|${layout}`;
    if (initNames.has(key)) return key;
    const full = values(ref.name);
    const expected = spec.shape.reduce((a, b) => a * b, 1);
    if (full.length !== expected) throw new RangeError(`parameter '${ref.name}' has ${full.length} values, its shape [${spec.shape}] needs ${expected}`);
    const v = ref.block ? leadingBlock(full, spec.shape, ref.block) : full;
    if (layout === 'oihw') return init(key, [shape[3]!, shape[2]!, shape[0]!, shape[1]!], rawFloat(hwioToOihw(v, shape)));
    if (layout === 'channel4d') return init(key, [1, shape[0]!, 1, 1], rawFloat(v));
    return init(key, shape, rawFloat(v));
  };

  const { height, width } = opts;
  // static spatial sizes per node (maxpool's 'same' padding needs them)
  const hw: [number, number][] = [];
  const names: string[] = [];
  names[0] = node('Transpose', ['images'], [ia('perm', [0, 3, 1, 2])], 'x_nchw');
  hw[0] = [height, width];
  let kernel: string | undefined;
  let kernelUnits = 0;

  for (const g of graph.nodes) {
    if (g.id === 0) continue;
    const xs = g.inputs.map((i) => names[i]!);
    const x = xs[0]!;
    const [h, w] = hw[g.inputs[0]!]!;
    let out: string;
    let size: [number, number] = [h, w];
    switch (g.op) {
      case 'conv': {
        const ins = [x, param(g.weight, 'oihw')];
        if (g.bias) ins.push(param(g.bias, 'as-is'));
        out = node('Conv', ins, [ia('kernel_shape', [g.kernel, g.kernel]), ia('strides', [g.stride, g.stride]), ia('pads', [g.pad, g.pad, g.pad, g.pad])]);
        size = [Math.floor((h + 2 * g.pad - g.kernel) / g.stride) + 1, Math.floor((w + 2 * g.pad - g.kernel) / g.stride) + 1];
        break;
      }
      case 'bn':
        out = batchNormTrain(g, x);
        break;
      case 'relu': {
        if (opts.reluKernel) {
          const flat = node('Reshape', [x, ints('shape_n_m', [0, -1])]);
          // s = +1 where x > 0, else -1 (x = 0 counts as inactive, as c = (x > 0)): one pass
          const s = node('Where', [node('Greater', [flat, scalar(0)]), scalar(1), scalar(-1)]);
          kernel = node('Gemm', kernel ? [s, s, kernel] : [s, s], [i1('transB', 1)]);
          kernelUnits += g.channels * h * w;
        }
        out = node('Relu', [x]);
        break;
      }
      case 'avgpool3x3':
        out = node('AveragePool', [x], [ia('kernel_shape', [3, 3]), ia('strides', [1, 1]), ia('pads', [1, 1, 1, 1]), i1('count_include_pad', 0)]);
        break;
      case 'avgpool2x2':
        out = node('AveragePool', [x], [ia('kernel_shape', [2, 2]), ia('strides', [2, 2])]);
        size = [Math.floor(h / 2), Math.floor(w / 2)];
        break;
      case 'maxpool': {
        const [pt, pb] = samePad(h, g.size, g.stride);
        const [pl, pr] = samePad(w, g.size, g.stride);
        out = node('MaxPool', [x], [ia('kernel_shape', [g.size, g.size]), ia('strides', [g.stride, g.stride]), ia('pads', [pt, pl, pb, pr])]);
        size = [Math.ceil(h / g.stride), Math.ceil(w / g.stride)];
        break;
      }
      case 'add':
        out = node('Sum', xs);
        break;
      case 'concat':
        out = node('Concat', xs, [i1('axis', 1)]);
        break;
      case 'truncate':
        out = node('Slice', [x, ints('zero1', [0]), ints(`end_${g.channels}`, [g.channels]), ints('axis1', [1])]);
        break;
      case 'zeros':
        out = node('ConstantOfShape', [node('Shape', [x])], [{ name: 'value', type: ATTR_TENSOR, t: { dims: [1], data_type: FLOAT, raw_data: rawFloat(Float32Array.of(0)) } }]);
        break;
      case 'gap':
        out = node('ReduceMean', [x], [ia('axes', [2, 3]), i1('keepdims', 0)]);
        size = [1, 1];
        break;
      case 'linear': {
        const ins = [x, param(g.weight, 'as-is')];
        if (g.bias) ins.push(param(g.bias, 'as-is'));
        out = node('Gemm', ins);
        break;
      }
      case 'input':
      case 'scale':
        throw new RangeError(`node ${g.id}: op '${g.op}' cannot be serialised`);
    }
    names[g.id] = out;
    hw[g.id] = size;
  }
  nodes.push({ op_type: 'Identity', input: [names[graph.output]!], output: ['logits'], name: 'logits' });
  const outputs = [valueInfo('logits', ['n', graph.numClasses])];
  if (opts.reluKernel) {
    if (!kernel) throw new RangeError('graph has no ReLU: NASWOT\'s kernel is undefined');
    // K = (Σ s sᵀ + units) / 2, exact: every term is an integer below 2^24
    const k = node('Add', [kernel, init('relu_units', [], rawFloat(Float32Array.of(kernelUnits)))]);
    nodes.push({ op_type: 'Mul', input: [k, scalar(0.5)], output: ['K'], name: 'K' });
    outputs.push(valueInfo('K', ['n', 'n']));
  }

  const model = {
    ir_version: IR_VERSION,
    producer_name: 'nasrepro',
    opset_import: [{ domain: '', version: OPSET }],
    graph: { name: 'network', node: nodes, initializer: inits, input: [valueInfo('images', ['n', height, width, 3])], output: outputs },
  };
  const type = modelProto();
  return type.encode(type.fromObject(model)).finish();

  function batchNormTrain(g: Extract<GraphNode, { op: 'bn' }>, x: string): string {
    const axes = ia('axes', [0, 2, 3]);
    const mean = node('ReduceMean', [x], [axes, i1('keepdims', 1)]);
    const centred = node('Sub', [x, mean]);
    const variance = node('ReduceMean', [node('Mul', [centred, centred])], [axes, i1('keepdims', 1)]);
    let scale = node('Reciprocal', [node('Sqrt', [node('Add', [variance, scalar(BN_EPS)])])]);
    if (g.gamma) scale = node('Mul', [scale, param(g.gamma, 'channel4d')]);
    const y = node('Mul', [centred, scale]);
    return g.beta ? node('Add', [y, param(g.beta, 'channel4d')]) : y;
  }
}

function valueInfo(name: string, dims: readonly (number | string)[]): object {
  return { name, type: { tensor_type: { elem_type: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } } };
}

