/**
 * The NB101 network's structure (vertex channels, which 1x1 projections exist) and its analytic
 * trainable-parameter count and FLOPs, without building it. nb101-network.ts builds from the same
 * plan (`planNB101Module`), so the two cannot disagree on the structure.
 *
 * The network is the original `nasbench/lib/model_builder.py` (TF 1.x):
 *   stem: conv3x3 (3 -> S, no bias) + BN + ReLU
 *   3 stacks x 3 modules; before stacks 1 and 2 a max-pool 2x2 stride 2 ('same') and the module
 *   output channels double (S, 2S, 4S)
 *   global average pool; dense 4S -> numClasses (kernel + bias)
 * Module (cell) with input channels Cin and output channels C:
 *   vertex channels by `compute_vertex_channels`: C is split evenly over the interior vertices
 *   feeding the output (the first C mod k of them, in vertex order, get one extra channel); every
 *   other interior vertex takes the max of the channels of the interior vertices it feeds.
 *   interior vertex t: input = sum of its interior predecessors (each truncated to t's channels,
 *   which drops at most the one extra channel) + a 1x1 projection (conv1x1-BN-ReLU, Cin -> c_t) of
 *   the module input when input -> t; then its op: conv kxk-BN-ReLU (c_t -> c_t) or max-pool 3x3
 *   stride 1 'same' (no parameters, channels unchanged).
 *   output: concatenation of the interior vertices feeding it, plus a projection (Cin -> C) of the
 *   module input when input -> output (the only thing there when no interior vertex feeds it).
 *
 * Trainable parameters, as TF counts them (`tf.trainable_variables()`, NB101's
 * `trainable_parameters`): conv kernels (convs have use_bias=False), BN gamma and beta (tf.layers
 * batch_normalization defaults: center=True, scale=True; moving mean/variance are not trainable),
 * dense kernel and bias. Equal to the `trainable_parameters` column for all 1,000 cells of the
 * shared NB101 table at S = 128 (test/models/nb101-cost.test.ts).
 *
 * FLOPs (our convention, as nb201-cost.ts): per image, multiply-adds of every conv
 * (k*k*in*out per output position) and of the dense layer (in*out + out); pools, BN, ReLU, sums
 * and concatenation are not counted. NB101 publishes no FLOPs to check this against.
 */
import { validateSpec, type ModelSpec } from '../spaces/nb101.ts';

/** What one interior vertex of a module does. */
export interface NB101VertexPlan {
  /** Vertex index in the pruned spec (1 .. n-2). */
  vertex: number;
  op: 'conv3x3-bn-relu' | 'conv1x1-bn-relu' | 'maxpool3x3';
  /** Output channels of the vertex (= channels of its summed input). */
  channels: number;
  /** Interior predecessors, in vertex order. */
  from: number[];
  /** Input -> vertex edge: a 1x1 projection of the module input is added. */
  projectInput: boolean;
  /** Feeds the output concatenation. */
  toOutput: boolean;
}

export interface NB101ModulePlan {
  inChannels: number;
  outChannels: number;
  /** Per vertex of the pruned spec; [0] = inChannels, [n-1] = outChannels. */
  vertexChannels: number[];
  interior: NB101VertexPlan[];
  /** Input -> output edge: a projection (inChannels -> outChannels) is added to the output. */
  projectToOutput: boolean;
}

/** Kernel size of a conv op, 0 for the max-pool. */
export function nb101KernelSize(op: NB101VertexPlan['op']): number {
  return op === 'conv3x3-bn-relu' ? 3 : op === 'conv1x1-bn-relu' ? 1 : 0;
}

/**
 * compute_vertex_channels of the original, for a pruned matrix. Throws if the original's sanity
 * checks (channels never increase along an edge, output fan-in adds up to C) would fail.
 */
export function computeVertexChannels(inChannels: number, outChannels: number, matrix: number[][]): number[] {
  const n = matrix.length;
  const out = n - 1;
  const ch = new Array<number>(n).fill(0);
  ch[0] = inChannels;
  ch[out] = outChannels;
  if (n === 2) return ch;

  let fanIn = 0; // interior vertices feeding the output (the original's in_degree ignoring input)
  for (let v = 1; v < out; v++) fanIn += matrix[v]![out]!;
  if (fanIn === 0) throw new RangeError('no interior vertex feeds the output of a spec with interior vertices (not pruned?)');
  const base = Math.floor(outChannels / fanIn);
  let correction = outChannels % fanIn;
  for (let v = 1; v < out; v++) {
    if (!matrix[v]![out]) continue;
    ch[v] = base;
    if (correction > 0) {
      ch[v]! += 1;
      correction -= 1;
    }
  }
  // Backwards: a vertex not feeding the output takes the max over the interior vertices it feeds.
  for (let v = n - 3; v >= 1; v--) {
    if (!matrix[v]![out]) {
      for (let dst = v + 1; dst < out; dst++) if (matrix[v]![dst]) ch[v] = Math.max(ch[v]!, ch[dst]!);
    }
    if (!(ch[v]! > 0)) throw new RangeError(`vertex ${v} gets ${ch[v]} channels (spec not pruned?)`);
  }
  let total = 0;
  for (let v = 1; v < out; v++) {
    if (matrix[v]![out]) total += ch[v]!;
    for (let dst = v + 1; dst < out; dst++) {
      if (matrix[v]![dst] && ch[v]! < ch[dst]!) throw new RangeError(`channels increase along edge ${v} -> ${dst}`);
    }
  }
  if (total !== outChannels) throw new RangeError(`output fan-in ${total} channels, expected ${outChannels}`);
  return ch;
}

/** The module structure for a PRUNED spec (use validateSpec first). */
export function planNB101Module(pruned: ModelSpec, inChannels: number, outChannels: number): NB101ModulePlan {
  const { matrix, ops } = pruned;
  const n = matrix.length;
  const out = n - 1;
  const vertexChannels = computeVertexChannels(inChannels, outChannels, matrix);
  const interior: NB101VertexPlan[] = [];
  for (let t = 1; t < out; t++) {
    const from: number[] = [];
    for (let s = 1; s < t; s++) {
      if (!matrix[s]![t]) continue;
      const diff = vertexChannels[s]! - vertexChannels[t]!;
      // The original's truncate: equal channels, or one extra that is sliced off.
      if (diff !== 0 && diff !== 1) throw new RangeError(`edge ${s} -> ${t}: ${vertexChannels[s]} -> ${vertexChannels[t]} channels cannot be truncated`);
      from.push(s);
    }
    interior.push({
      vertex: t,
      op: ops[t] as NB101VertexPlan['op'],
      channels: vertexChannels[t]!,
      from,
      projectInput: matrix[0]![t] === 1,
      toOutput: matrix[t]![out] === 1,
    });
  }
  return { inChannels, outChannels, vertexChannels, interior, projectToOutput: matrix[0]![out] === 1 };
}

export interface NB101CostOptions {
  /** Stem output channels S (128 in NB101 and the zero-cost paper; NASWOT's code used 16). */
  stemChannels?: number;
  numStacks?: number;
  cellsPerStack?: number;
  /** 10 for CIFAR-10 (NB101's only dataset). */
  numClasses?: number;
  /** Input height = width (32 for CIFAR-10). Only FLOPs depend on it. */
  inputSize?: number;
}

export interface NB101Cost {
  /** Trainable parameters, TF's count (= NB101 `trainable_parameters` at the defaults). */
  params: number;
  /** Multiply-adds per image (see the convention above). */
  flops: number;
}

/** (inChannels, outChannels, spatial size) of every module, in build order. */
export function nb101ModuleShapes(
  stemChannels: number,
  numStacks: number,
  cellsPerStack: number,
  inputSize: number,
): { inChannels: number; outChannels: number; size: number; stack: number; module: number }[] {
  const shapes = [];
  let channels = stemChannels;
  let size = inputSize;
  for (let stack = 0; stack < numStacks; stack++) {
    let outC = channels;
    if (stack > 0) {
      size = Math.ceil(size / 2); // max-pool 2x2 stride 2 'same'
      outC = channels * 2;
    }
    for (let module = 0; module < cellsPerStack; module++) {
      shapes.push({ inChannels: channels, outChannels: outC, size, stack, module });
      channels = outC;
    }
  }
  return shapes;
}

export function checkNB101Sizes(stemChannels: number, numStacks: number, cellsPerStack: number, numClasses: number): void {
  for (const [name, v, min] of [
    ['stemChannels', stemChannels, 1],
    ['numStacks', numStacks, 1],
    ['cellsPerStack', cellsPerStack, 0],
    ['numClasses', numClasses, 1],
  ] as const) {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
  }
}

export function nb101Cost(spec: ModelSpec, opts: NB101CostOptions = {}): NB101Cost {
  const { stemChannels = 128, numStacks = 3, cellsPerStack = 3, numClasses = 10, inputSize = 32 } = opts;
  checkNB101Sizes(stemChannels, numStacks, cellsPerStack, numClasses);
  const pruned = validateSpec(spec);
  let params = 0;
  let flops = 0;
  const convBn = (k: number, inC: number, outC: number, size: number): void => {
    params += k * k * inC * outC + 2 * outC;
    flops += k * k * inC * outC * size * size;
  };
  convBn(3, 3, stemChannels, inputSize);
  let channels = stemChannels;
  for (const shape of nb101ModuleShapes(stemChannels, numStacks, cellsPerStack, inputSize)) {
    const plan = planNB101Module(pruned, shape.inChannels, shape.outChannels);
    for (const v of plan.interior) {
      if (v.projectInput) convBn(1, plan.inChannels, v.channels, shape.size);
      const k = nb101KernelSize(v.op);
      if (k > 0) convBn(k, v.channels, v.channels, shape.size);
    }
    if (plan.projectToOutput) convBn(1, plan.inChannels, plan.outChannels, shape.size);
    channels = plan.outChannels;
  }
  params += channels * numClasses + numClasses;
  flops += channels * numClasses + numClasses;
  return { params, flops };
}
