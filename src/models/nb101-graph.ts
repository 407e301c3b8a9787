/**
 * The NAS-Bench-101 network as a graph (src/graph/network-graph.ts): the one place its wiring and
 * its parameter names are written. It serves the stand-alone network (nb101-network.ts) and the
 * NB101 supernet's single path (src/supernet/nb101-supernet.ts), and through them every executor.
 *
 * Structure: the original `nasbench/lib/model_builder.py`, described in nb101-cost.ts, whose
 * `planNB101Module` this file builds from (so the built parameter count is the analytic one):
 *   stem conv3x3-BN-ReLU (3 -> S); 3 stacks x 3 modules, max-pool 2x2 s2 'same' and channel
 *   doubling before stacks 1 and 2; global average pool; dense -> numClasses.
 *   Inside a module: vertex t's input = sum of its interior predecessors (truncated to t's
 *   channels: the first c_t channels are kept) + conv1x1-BN-ReLU projection of the module input
 *   when input -> t; then conv kxk-BN-ReLU (pad (k-1)/2) or max-pool 3x3 s1 'same'. Output =
 *   channel concatenation of the vertices feeding it (in vertex order) + projection of the input
 *   when input -> output. The spec is validated and pruned first, as the original API does.
 *
 * The BN-free variant (`bn: false`) is the zero-cost reference's `get_prunable_copy(bn=False)` for
 * NB101 (SamsungLabs/zero-cost-nas, foresight/models/nasbench1.py `Network(..., bn=False)` with
 * nasbench1_ops.py `ConvBnRelu(..., bn=False)`), which synflow scores: every conv-BN-ReLU becomes
 * conv-ReLU, the conv STILL WITHOUT a bias; max-pools, the pool and the dense layer are unchanged.
 *
 * Parameter names follow the original's TF variable scopes (`stem/conv2d/kernel`,
 * `stack1/module2/vertex_3/projection/batch_normalization/gamma`,
 * `stack0/module0/vertex_2/Conv3x3-BN-ReLU/conv2d/kernel`, `stack2/module1/projection/...` for the
 * input -> output projection, `dense/kernel`, `dense/bias`). ReLU names are the scope of the
 * conv-BN-ReLU they end (`stem`, `stack0/module0/vertex_1/projection`, ...).
 *
 * Stages: the stem, each downsampling max-pool, each module, the head (pool + dense).
 */
import { GraphBuilder, type NetworkGraph, type ParamRef } from '../graph/network-graph.ts';
import { validateSpec, type ModelSpec, type NB101Op } from '../spaces/nb101.ts';
import { checkNB101Sizes, nb101KernelSize, nb101ModuleShapes, planNB101Module, type NB101ModulePlan, type NB101VertexPlan } from './nb101-cost.ts';

/** Bumped whenever the graph this file builds changes (part of every score cache key). */
export const NB101_GRAPH_VERSION = 2;

/** Where inside the stand-alone network a parameter sits (absent for the stem and the dense layer). */
export interface NB101VertexRef {
  stack: number;
  module: number;
  /** Vertex of the pruned spec: 1..n-2 for an interior vertex, n-1 for the output projection. */
  vertex: number;
  /** 'op': the vertex's own conv-BN-ReLU; 'projection': the 1x1 projection of the module input. */
  role: 'op' | 'projection';
}

/** Where a supernet parameter sits: a module, a position (1..5, or 'output'), and an op or the projection. */
export interface NB101Slot {
  /** Module number in build order (stack * cellsPerStack + module). */
  module: number;
  position: number | 'output';
  op: NB101Op | 'projection';
}

export const NB101_DENSE_KERNEL = 'dense/kernel';
export const NB101_DENSE_BIAS = 'dense/bias';

/** The conv kernel's name of a conv unit scope. */
export function nb101ConvKernelName(scope: string): string {
  return `${scope}/conv2d/kernel`;
}

/** The BN parameter and buffer names of a conv unit scope (absent in the BN-free variant). */
export function nb101BatchNormNames(scope: string): { gamma: string; beta: string; movingMean: string; movingVariance: string } {
  const bn = `${scope}/batch_normalization`;
  return { gamma: `${bn}/gamma`, beta: `${bn}/beta`, movingMean: `${bn}/moving_mean`, movingVariance: `${bn}/moving_variance` };
}

export interface NB101Sizes {
  /** Stem output channels (128 in NB101 and the zero-cost paper; NASWOT's code used 16). */
  stemChannels: number;
  numStacks: number;
  cellsPerStack: number;
  numClasses: number;
}

const OP_SCOPE: Record<NB101Op, string> = { 'conv3x3-bn-relu': 'Conv3x3-BN-ReLU', 'conv1x1-bn-relu': 'Conv1x1-BN-ReLU', maxpool3x3: 'MaxPool3x3' };

/** The scope of a vertex op / projection of module (stack, module) at vertex or position v. */
export function nb101UnitScope(stack: number, module: number, v: number | 'output', role: NB101Op | 'projection', hasOutputVertices = true): string {
  const scope = `stack${stack}/module${module}`;
  if (v === 'output') return hasOutputVertices ? `${scope}/projection` : `${scope}/output/projection`;
  return role === 'projection' ? `${scope}/vertex_${v}/projection` : `${scope}/vertex_${v}/${OP_SCOPE[role]}`;
}

/**
 * What one conv-BN-ReLU of a module reads: the kernel (possibly the leading block of a shared
 * tensor), its BN γ/β (absent in the BN-free network) and running statistics (absent in the
 * supernet), and the ReLU's name.
 */
interface ConvUnitRefs {
  relu: string;
  kernel: ParamRef;
  gamma?: ParamRef;
  beta?: ParamRef;
  running?: { mean: string; variance: string };
}

/**
 * One module's data flow, the single place it is written: vertex v's input is the sum of its
 * interior predecessors truncated to v's width plus the input projection (input -> v); its value
 * is its op; the output is the concatenation of the vertices feeding it plus the output
 * projection (the only term when none does). The stand-alone network and the supernet differ
 * only in `unit`: which weights a conv unit reads.
 */
function wireModule<L>(
  g: GraphBuilder<L>,
  input: number,
  plan: NB101ModulePlan,
  unit: (v: NB101VertexPlan | 'output', role: 'op' | 'projection', k: number, inC: number, outC: number) => ConvUnitRefs,
  poolBn: (v: NB101VertexPlan) => { gamma: ParamRef; beta: ParamRef } | undefined,
): number {
  const convUnit = (x: number, refs: ConvUnitRefs, k: number, outC: number): number => {
    let y = g.add({ op: 'conv', weight: refs.kernel, stride: 1, pad: (k - 1) / 2, kernel: k }, [x], outC);
    if (refs.gamma || refs.running) {
      y = g.add({ op: 'bn', ...(refs.gamma ? { gamma: refs.gamma, beta: refs.beta } : {}), ...(refs.running ? { running: refs.running } : {}) }, [y], outC);
    }
    return g.add({ op: 'relu', name: refs.relu }, [y], outC);
  };
  const values: number[] = [input];
  const concat: number[] = [];
  for (const v of plan.interior) {
    const addIn = v.from.map((s) => (g.channelsOf(values[s]!) === v.channels ? values[s]! : g.add({ op: 'truncate' }, [values[s]!], v.channels)));
    // Built in the original's order: the projection (inside add_in) before the op.
    if (v.projectInput) addIn.push(convUnit(input, unit(v, 'projection', 1, plan.inChannels, v.channels), 1, v.channels));
    const summed = addIn.length === 1 ? addIn[0]! : g.add({ op: 'add' }, addIn, v.channels);
    const k = nb101KernelSize(v.op);
    let value: number;
    if (k > 0) value = convUnit(summed, unit(v, 'op', k, v.channels, v.channels), k, v.channels);
    else {
      value = g.add({ op: 'maxpool', size: 3, stride: 1 }, [summed], v.channels);
      const bn = poolBn(v);
      if (bn) value = g.add({ op: 'bn', gamma: bn.gamma, beta: bn.beta }, [value], v.channels);
    }
    values[v.vertex] = value;
    if (v.toOutput) concat.push(value);
  }
  const projection = plan.projectToOutput ? () => convUnit(input, unit('output', 'projection', 1, plan.inChannels, plan.outChannels), 1, plan.outChannels) : undefined;
  if (concat.length === 0) return projection!();
  const out = concat.length === 1 ? concat[0]! : g.add({ op: 'concat' }, concat, plan.outChannels);
  return projection ? g.add({ op: 'add' }, [out, projection()], plan.outChannels) : out;
}

/** Stem, stacks of modules with max-pools between them, head; `module` wires one module. */
function buildBody<L>(g: GraphBuilder<L>, sizes: NB101Sizes, stem: (x: number) => number, module: (input: number, index: number, shape: { stack: number; module: number; inChannels: number; outChannels: number }) => number, head: (h: number) => number): void {
  g.stage();
  let h = stem(0);
  const shapes = nb101ModuleShapes(sizes.stemChannels, sizes.numStacks, sizes.cellsPerStack, 32);
  shapes.forEach((shape, i) => {
    if (shape.stack > 0 && shape.module === 0) {
      g.stage();
      h = g.add({ op: 'maxpool', size: 2, stride: 2 }, [h], g.channelsOf(h));
    }
    g.stage();
    h = module(h, i, shape);
  });
  if (sizes.cellsPerStack === 0) {
    // No modules: the pools still run between stacks; channels stay at the stem's.
    for (let s = 1; s < sizes.numStacks; s++) {
      g.stage();
      h = g.add({ op: 'maxpool', size: 2, stride: 2 }, [h], g.channelsOf(h));
    }
  }
  g.stage();
  head(h);
}

function denseParams<L>(g: GraphBuilder<L>, c: number, numClasses: number): { weight: ParamRef; bias: ParamRef } {
  return {
    weight: g.param({ name: NB101_DENSE_KERNEL, kind: 'linear-weight', shape: [c, numClasses], init: { kind: 'torch-default', fanIn: c }, initKey: NB101_DENSE_KERNEL }),
    bias: g.param({ name: NB101_DENSE_BIAS, kind: 'linear-bias', shape: [numClasses], init: { kind: 'torch-default', fanIn: c }, initKey: NB101_DENSE_BIAS }),
  };
}

function denseHead<L>(g: GraphBuilder<L>, h: number, numClasses: number): number {
  const c = g.channelsOf(h);
  const pooled = g.add({ op: 'gap' }, [h], c);
  return g.add({ op: 'linear', ...denseParams(g, c, numClasses) }, [pooled], numClasses);
}

function convParam<L>(g: GraphBuilder<L>, scope: string, k: number, inC: number, outC: number, label?: L): ParamRef {
  const name = nb101ConvKernelName(scope);
  return g.param({ name, kind: 'conv', shape: [k, k, inC, outC], init: { kind: 'torch-default', fanIn: inC * k * k }, initKey: name, label });
}

function bnParams<L>(g: GraphBuilder<L>, scope: string, c: number, label?: L): { gamma: ParamRef; beta: ParamRef } {
  const names = nb101BatchNormNames(scope);
  return {
    gamma: g.param({ name: names.gamma, kind: 'bn-gamma', shape: [c], init: { kind: 'constant', value: 1 }, initKey: names.gamma, label }),
    beta: g.param({ name: names.beta, kind: 'bn-beta', shape: [c], init: { kind: 'constant', value: 0 }, initKey: names.beta, label }),
  };
}

export function resolveNB101Sizes(opts: Partial<NB101Sizes> & { numClasses: number }): NB101Sizes {
  const sizes = { stemChannels: 128, numStacks: 3, cellsPerStack: 3, ...opts };
  checkNB101Sizes(sizes.stemChannels, sizes.numStacks, sizes.cellsPerStack, sizes.numClasses);
  return sizes;
}

/** The stand-alone network of one cell (a spec; validated and pruned here). `bn: false`: the BN-free copy. */
export function nb101Graph(spec: ModelSpec, sizes: NB101Sizes, bn = true): { graph: NetworkGraph<NB101VertexRef>; pruned: ModelSpec } {
  const pruned = validateSpec(spec);
  const g = new GraphBuilder<NB101VertexRef>();
  const unitRefs = (scope: string, k: number, inC: number, outC: number, label?: NB101VertexRef): ConvUnitRefs => {
    const kernel = convParam(g, scope, k, inC, outC, label);
    if (!bn) return { relu: scope, kernel };
    const { gamma, beta } = bnParams(g, scope, outC, label);
    const names = nb101BatchNormNames(scope);
    const running = {
      mean: g.buffer({ name: names.movingMean, kind: 'bn-running-mean', shape: [outC], label }),
      variance: g.buffer({ name: names.movingVariance, kind: 'bn-running-var', shape: [outC], label }),
    };
    return { relu: scope, kernel, gamma, beta, running };
  };
  const stemUnit = (x: number): number => {
    const refs = unitRefs('stem', 3, 3, sizes.stemChannels);
    let y = g.add({ op: 'conv', weight: refs.kernel, stride: 1, pad: 1, kernel: 3 }, [x], sizes.stemChannels);
    if (bn) y = g.add({ op: 'bn', gamma: refs.gamma!, beta: refs.beta!, running: refs.running! }, [y], sizes.stemChannels);
    return g.add({ op: 'relu', name: 'stem' }, [y], sizes.stemChannels);
  };
  buildBody(
    g,
    sizes,
    stemUnit,
    (input, _i, shape) => {
      const plan = planNB101Module(pruned, shape.inChannels, shape.outChannels);
      const hasOutputVertices = plan.interior.some((v) => v.toOutput);
      return wireModule(
        g,
        input,
        plan,
        (v, role, k, inC, outC) => {
          const vertex = v === 'output' ? pruned.matrix.length - 1 : v.vertex;
          const scope = v === 'output' ? nb101UnitScope(shape.stack, shape.module, 'output', 'projection', hasOutputVertices) : nb101UnitScope(shape.stack, shape.module, v.vertex, role === 'projection' ? 'projection' : v.op);
          return unitRefs(scope, k, inC, outC, { stack: shape.stack, module: shape.module, vertex, role });
        },
        () => undefined,
      );
    },
    (h) => denseHead(g, h, sizes.numClasses),
  );
  return { graph: g.finish('nb101', sizes.numClasses), pruned };
}

/** Vertex positions of a supernet module: the interior of a 7-vertex cell. */
export const NB101_POSITIONS = 5;

/**
 * Every parameter of the NB101 supernet (src/supernet/nb101-supernet.ts), in its build order:
 * stem; per module, per position 1..5: the input projection [1,1,Cin,C] + BN, conv3x3 [3,3,C,C]
 * + BN, conv1x1 [1,1,C,C] + BN, and (fair) the max-pool's BN; the output projection; dense.
 */
export function nb101SupernetParams(sizes: NB101Sizes, fair: boolean): NetworkGraph<NB101Slot>['params'] {
  const g = new GraphBuilder<NB101Slot>();
  convParam(g, 'stem', 3, 3, sizes.stemChannels);
  bnParams(g, 'stem', sizes.stemChannels);
  nb101ModuleShapes(sizes.stemChannels, sizes.numStacks, sizes.cellsPerStack, 32).forEach((s, index) => {
    const { inChannels: inC, outChannels: C } = s;
    for (let p = 1; p <= NB101_POSITIONS; p++) {
      for (const op of ['projection', 'conv3x3-bn-relu', 'conv1x1-bn-relu'] as const) {
        const scope = nb101UnitScope(s.stack, s.module, p, op);
        const slot: NB101Slot = { module: index, position: p, op };
        convParam(g, scope, op === 'conv3x3-bn-relu' ? 3 : 1, op === 'projection' ? inC : C, C, slot);
        bnParams(g, scope, C, slot);
      }
      if (fair) bnParams(g, nb101UnitScope(s.stack, s.module, p, 'maxpool3x3'), C, { module: index, position: p, op: 'maxpool3x3' });
    }
    const os = nb101UnitScope(s.stack, s.module, 'output', 'projection', false);
    const oslot: NB101Slot = { module: index, position: 'output', op: 'projection' };
    convParam(g, os, 1, inC, C, oslot);
    bnParams(g, os, C, oslot);
  });
  denseParams(g, nb101ModuleShapes(sizes.stemChannels, sizes.numStacks, sizes.cellsPerStack, 32).at(-1)!.outChannels, sizes.numClasses);
  return g.params;
}

/**
 * The supernet's single path for a (pruned) spec: the stand-alone wiring, each vertex reading the
 * leading block of its position's full-width tensors (channel slicing; see nb101-supernet.ts).
 * BN has no running statistics (the supernet is run in train mode only).
 */
export function nb101SupernetPathGraph(pruned: ModelSpec, sizes: NB101Sizes, fair: boolean): NetworkGraph<NB101Slot> {
  const g = new GraphBuilder<NB101Slot>();
  const full = (scope: string, k: number, inC: number, outC: number, fullIn: number, fullOut: number, slot?: NB101Slot): ConvUnitRefs => {
    const kernel = convParam(g, scope, k, fullIn, fullOut, slot);
    const bn = bnParams(g, scope, fullOut, slot);
    const sliced = fullIn !== inC || fullOut !== outC;
    return {
      relu: scope,
      kernel: sliced ? { name: kernel.name, block: [k, k, inC, outC] } : kernel,
      gamma: fullOut !== outC ? { name: bn.gamma.name, block: [outC] } : bn.gamma,
      beta: fullOut !== outC ? { name: bn.beta.name, block: [outC] } : bn.beta,
    };
  };
  buildBody(
    g,
    sizes,
    (x) => {
      const refs = full('stem', 3, 3, sizes.stemChannels, 3, sizes.stemChannels);
      const y = g.add({ op: 'conv', weight: refs.kernel, stride: 1, pad: 1, kernel: 3 }, [x], sizes.stemChannels);
      const b = g.add({ op: 'bn', gamma: refs.gamma!, beta: refs.beta! }, [y], sizes.stemChannels);
      return g.add({ op: 'relu', name: 'stem' }, [b], sizes.stemChannels);
    },
    (input, index, shape) => {
      const plan = planNB101Module(pruned, shape.inChannels, shape.outChannels);
      const C = shape.outChannels;
      return wireModule(
        g,
        input,
        plan,
        (v, role, k, inC, outC) => {
          if (v === 'output') return full(nb101UnitScope(shape.stack, shape.module, 'output', 'projection', false), 1, inC, outC, shape.inChannels, C, { module: index, position: 'output', op: 'projection' });
          const op = role === 'projection' ? 'projection' : v.op;
          return full(nb101UnitScope(shape.stack, shape.module, v.vertex, op), k, inC, outC, role === 'projection' ? shape.inChannels : C, C, { module: index, position: v.vertex, op });
        },
        (v) => {
          if (!fair) return undefined;
          const bn = bnParams(g, nb101UnitScope(shape.stack, shape.module, v.vertex, 'maxpool3x3'), C, { module: index, position: v.vertex, op: 'maxpool3x3' });
          return v.channels === C ? bn : { gamma: { name: bn.gamma.name, block: [v.channels] }, beta: { name: bn.beta.name, block: [v.channels] } };
        },
      );
    },
    (h) => denseHead(g, h, sizes.numClasses),
  );
  return g.finish('nb101', sizes.numClasses);
}
