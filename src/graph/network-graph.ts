/**
 * The one description of a network: a typed graph of nodes over named parameters. Every network
 * the harness runs is built as one of these — the NB201 and NB101 cell networks
 * (src/models/nb201-graph.ts, nb101-graph.ts) and both supernets, one path at a time or
 * alpha-mixed (src/supernet/) — and every executor runs one (src/executors/: the tfjs forward
 * pass, the staged gradient and Hessian-vector passes, the log-scaled pass, ONNX Runtime).
 * State-dict names and macro layouts live only in the builders; executors know ops, not spaces.
 *
 * Conventions
 * - Tensors are NHWC; conv weights are [kh, kw, in, out] and linear weights [in, out] (tfjs
 *   layouts; an executor for another layout transposes). Values are drawn in PyTorch's memory
 *   order (src/models/init.ts), so a PyTorch model can be loaded with identical numbers.
 * - Nodes are listed in execution order (a topological order); node 0 is the input image batch,
 *   `output` the logits. A node's `channels` is its output's channel count, known statically
 *   (executors that split or pad channels need it: concat's backward, truncation).
 * - Stages: every node carries a stage number, non-decreasing along the list. Exactly one tensor
 *   crosses from stage k to stage k+1: the LAST node of stage k (the input node for stage 0).
 *   The staged executors (chained vector-Jacobian products, Hessian-vector products) rely on it
 *   to keep only stage boundaries alive; `checkGraph` enforces it.
 * - A parameter reference may name the leading block of a larger tensor (`block`): the NB101
 *   supernet shares one full-width tensor across vertex widths by channel slicing.
 * - `externals` are tensors the caller supplies at run time and may differentiate (the mixed
 *   supernet's alpha); `scale` nodes multiply by one of their entries.
 *
 * This module is data only: no tfjs, so builders, cost models, ONNX serialisation and tests can
 * use it without a backend.
 */

export type ParamKind = 'conv' | 'conv-bias' | 'linear-weight' | 'linear-bias' | 'bn-gamma' | 'bn-beta';

export type BufferKind = 'bn-running-mean' | 'bn-running-var';

/**
 * How a parameter is initialised by default. Other schemes (the zero-cost reference's NB101
 * `_initialize_weights`, Gaussian re-initialisations) are chosen at instantiation time
 * (src/models/instantiate.ts) and override these per kind.
 */
export type InitSpec =
  /** PyTorch's nn.Conv2d / nn.Linear default: U(-1/√fanIn, 1/√fanIn) (weights and biases). */
  | { kind: 'torch-default'; fanIn: number }
  /** A constant (BN γ = 1, β = 0, running mean 0, running variance 1). */
  | { kind: 'constant'; value: number };

export interface ParamSpec<L = unknown> {
  /** The reference's state-dict name (NB201: PyTorch; NB101: the original TF variable name). */
  name: string;
  kind: ParamKind;
  /** tfjs layout (see the file comment). */
  shape: readonly number[];
  init: InitSpec;
  /** Key of the seeded stream the values are drawn from (init.ts): equal keys, equal values. */
  initKey: string;
  /** Where in the space the parameter sits (an NB201 edge, an NB101 vertex or slot); executors ignore it. */
  label?: L;
}

export interface BufferSpec<L = unknown> {
  name: string;
  kind: BufferKind;
  shape: readonly number[];
  label?: L;
}

/** (Part of) a parameter: `block` gives the leading extent per dimension (absent: all of it). */
export interface ParamRef {
  name: string;
  block?: readonly number[];
}

export type GraphOp =
  | { op: 'input' }
  /** Convolution, symmetric zero padding `pad` (PyTorch's convention), optional bias. */
  | { op: 'conv'; weight: ParamRef; bias?: ParamRef; stride: number; pad: number; kernel: number }
  /**
   * BatchNorm2d over (N, H, W). Without `gamma`/`beta`: affine=False. Without `running`:
   * track_running_stats=False (batch statistics in eval mode too). eps 1e-5, momentum 0.1.
   */
  | { op: 'bn'; gamma?: ParamRef; beta?: ParamRef; running?: { mean: string; variance: string } }
  /** ReLU; `name` identifies it to hooks (NASWOT's K, SWAP, linear regions). */
  | { op: 'relu'; name: string }
  /** 3x3 average pool, stride 1, pad 1, count_include_pad=False (NB201's avg_pool_3x3). */
  | { op: 'avgpool3x3' }
  /** 2x2 average pool, stride 2, no padding (the NB201 reduction block's shortcut). */
  | { op: 'avgpool2x2' }
  /** Max pool with TF 'same' padding (NB101: 3x3 stride 1 in a vertex, 2x2 stride 2 between stacks). */
  | { op: 'maxpool'; size: 2 | 3; stride: 1 | 2 }
  /** Sum of the inputs (same shape). */
  | { op: 'add' }
  /** Concatenation along channels, inputs in order. */
  | { op: 'concat' }
  /** The first `channels` (the node's own count) channels of the input (NB101's truncate). */
  | { op: 'truncate' }
  /** Exact zeros of the input's shape, whatever the input (also for non-finite inputs). */
  | { op: 'zeros' }
  /** Mean over H and W: [n, h, w, c] -> [n, c]. */
  | { op: 'gap' }
  /** y = x W + b, W [in, out]. */
  | { op: 'linear'; weight: ParamRef; bias?: ParamRef }
  /** Multiplies by one entry of an external tensor (alpha[e][o] of the mixed supernet). */
  | { op: 'scale'; factor: { name: string; index: readonly number[] } };

export type OpName = GraphOp['op'];

export type GraphNode = GraphOp & {
  id: number;
  inputs: readonly number[];
  stage: number;
  /** Output channels (for gap and linear: features). */
  channels: number;
};

export interface NetworkGraph<L = unknown> {
  space: 'nb201' | 'nb101';
  nodes: readonly GraphNode[];
  /** The logits node. */
  output: number;
  numClasses: number;
  /** Every parameter the nodes read, in module order (a supernet owns more: its graph for one path reads a subset). */
  params: readonly ParamSpec<L>[];
  buffers: readonly BufferSpec<L>[];
  externals: readonly { name: string; shape: readonly number[] }[];
  /** ReLU names in execution order. */
  reluNames: readonly string[];
  /** Number of stages (1 + the last node's stage). */
  stages: number;
}

/** How many nodes read each node's output (the output node counts one extra reader: the caller). */
export function consumerCounts(graph: NetworkGraph): Int32Array {
  const counts = new Int32Array(graph.nodes.length);
  for (const node of graph.nodes) for (const i of node.inputs) counts[i]!++;
  counts[graph.output]!++;
  return counts;
}

/** The node whose output enters stage k (the input node for stage 0). */
export function stageInput(graph: NetworkGraph, k: number): number {
  if (k === 0) return 0;
  let last = -1;
  for (const node of graph.nodes) if (node.stage === k - 1) last = node.id;
  if (last < 0) throw new RangeError(`graph has no stage ${k - 1}`);
  return last;
}

/** Node ids of stage k, in execution order (the input node is not in any stage's list). */
export function stageNodes(graph: NetworkGraph, k: number): GraphNode[] {
  return graph.nodes.filter((n) => n.id !== 0 && n.stage === k);
}

/** Weight name of a conv / linear node (what hooks and gradient requests call the layer). */
export function layerWeight(node: GraphNode): string | undefined {
  return node.op === 'conv' || node.op === 'linear' ? node.weight.name : undefined;
}

/**
 * Checks the invariants executors rely on (see the file comment); throws a RangeError naming the
 * first violation. Builders call it once per graph they emit.
 */
export function checkGraph(graph: NetworkGraph): void {
  const { nodes } = graph;
  if (nodes.length === 0 || nodes[0]!.op !== 'input') throw new RangeError('graph: node 0 must be the input');
  const paramNames = new Set(graph.params.map((p) => p.name));
  const bufferNames = new Set(graph.buffers.map((b) => b.name));
  const externals = new Set(graph.externals.map((e) => e.name));
  const lastOfStage = new Map<number, number>();
  lastOfStage.set(-1, 0);
  let prevStage = 0;
  nodes.forEach((node, i) => {
    if (node.id !== i) throw new RangeError(`graph: node ${i} has id ${node.id}`);
    if (i === 0) return;
    if (node.stage < prevStage || node.stage > prevStage + 1) {
      throw new RangeError(`graph: node ${i} (${node.op}) is in stage ${node.stage} after stage ${prevStage}`);
    }
    if (node.stage !== prevStage) lastOfStage.set(prevStage, i - 1);
    prevStage = node.stage;
    const boundary = node.stage === 0 ? 0 : lastOfStage.get(node.stage - 1)!;
    for (const j of node.inputs) {
      if (j >= i) throw new RangeError(`graph: node ${i} (${node.op}) reads node ${j}, which comes later`);
      if (j !== boundary && nodes[j]!.stage !== node.stage) {
        throw new RangeError(`graph: node ${i} (${node.op}, stage ${node.stage}) reads node ${j} of stage ${nodes[j]!.stage}, which is not its stage's input`);
      }
    }
    const arity = node.op === 'add' || node.op === 'concat' ? -1 : 1;
    if (arity === 1 && node.inputs.length !== 1) throw new RangeError(`graph: node ${i} (${node.op}) needs one input, has ${node.inputs.length}`);
    if (arity === -1 && node.inputs.length < 2) throw new RangeError(`graph: node ${i} (${node.op}) needs at least two inputs`);
    const refs: ParamRef[] = [];
    if (node.op === 'conv' || node.op === 'linear') {
      refs.push(node.weight);
      if (node.bias) refs.push(node.bias);
    }
    if (node.op === 'bn') {
      if (node.gamma) refs.push(node.gamma);
      if (node.beta) refs.push(node.beta);
      if (node.running && (!bufferNames.has(node.running.mean) || !bufferNames.has(node.running.variance))) {
        throw new RangeError(`graph: node ${i} (bn) names running statistics the graph does not own`);
      }
    }
    for (const ref of refs) if (!paramNames.has(ref.name)) throw new RangeError(`graph: node ${i} (${node.op}) reads unknown parameter '${ref.name}'`);
    if (node.op === 'scale' && !externals.has(node.factor.name)) throw new RangeError(`graph: node ${i} (scale) reads unknown external '${node.factor.name}'`);
  });
  if (graph.output !== nodes.length - 1) throw new RangeError('graph: the output must be the last node');
  if (graph.stages !== prevStage + 1) throw new RangeError(`graph: stages is ${graph.stages}, the nodes use ${prevStage + 1}`);
}

/**
 * Builds a graph node by node; stage numbers come from `stage()`. Builders of every space use it
 * so that ids, stages and channel counts are filled in one way.
 */
export class GraphBuilder<L = unknown> {
  readonly nodes: GraphNode[] = [{ op: 'input', id: 0, inputs: [], stage: 0, channels: 3 }];
  readonly params: ParamSpec<L>[] = [];
  readonly buffers: BufferSpec<L>[] = [];
  readonly externals: { name: string; shape: readonly number[] }[] = [];
  readonly reluNames: string[] = [];
  private stageNow = 0;
  private started = false;
  private readonly paramIndex = new Map<string, ParamSpec<L>>();

  /** Starts the next stage (the first call starts stage 0). */
  stage(): void {
    if (this.started) this.stageNow++;
    this.started = true;
  }

  /** Adds a node; returns its id. */
  add(op: GraphOp, inputs: readonly number[], channels: number): number {
    const id = this.nodes.length;
    this.nodes.push({ ...op, id, inputs, stage: this.stageNow, channels } as GraphNode);
    if (op.op === 'relu') this.reluNames.push(op.name);
    return id;
  }

  channelsOf(id: number): number {
    return this.nodes[id]!.channels;
  }

  /** Registers a parameter (once: a second registration of the same name must agree). */
  param(spec: ParamSpec<L>): ParamRef {
    const known = this.paramIndex.get(spec.name);
    if (known) {
      if (known.shape.join() !== spec.shape.join()) throw new RangeError(`parameter '${spec.name}' registered with shapes [${known.shape}] and [${spec.shape}]`);
      return { name: spec.name };
    }
    this.paramIndex.set(spec.name, spec);
    this.params.push(spec);
    return { name: spec.name };
  }

  buffer(spec: BufferSpec<L>): string {
    if (!this.buffers.some((b) => b.name === spec.name)) this.buffers.push(spec);
    return spec.name;
  }

  external(name: string, shape: readonly number[]): void {
    if (!this.externals.some((e) => e.name === name)) this.externals.push({ name, shape });
  }

  finish(space: NetworkGraph['space'], numClasses: number): NetworkGraph<L> {
    const graph: NetworkGraph<L> = {
      space,
      nodes: this.nodes,
      output: this.nodes.length - 1,
      numClasses,
      params: this.params,
      buffers: this.buffers,
      externals: this.externals,
      reluNames: this.reluNames,
      stages: this.stageNow + 1,
    };
    checkGraph(graph);
    return graph;
  }
}
