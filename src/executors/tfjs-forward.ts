/**
 * The tfjs executor: runs a network description (src/graph/network-graph.ts) node by node.
 *
 * One interface for every way a caller looks inside a forward pass (`GraphHooks`): the input of
 * every ReLU (NASWOT's codes), the output of any node, which the hook may replace (fisher's mask on
 * conv/linear outputs), and parameter substitution (`param` is the caller's lookup: a network's
 * variables, |w| for synflow, tensors being differentiated). The staged gradient and Hessian
 * executors (tfjs-gradients.ts, tfjs-hvp.ts) run one stage at a time through `runStage`; the
 * log-scaled executor (tfjs-scaled.ts) shares the op kernels below.
 *
 * Memory (`release`, forward-only use): like tfjs-layers' executor, the nodes' consumers are
 * counted and each intermediate is freed right after its last reader ran, so peak memory is a few
 * activations instead of the network's (NB201 at batch 128: 3.5 GB would reach wasm's 4 GB cap).
 * A gradient needs the activations, so under tf.grads `release` must be off (the caller's tidy
 * frees them).
 *
 * BatchNorm, train mode: with running statistics to update, the elementary form that moves them
 * like PyTorch (tfjs-ops.ts batchNorm); otherwise one fused differentiable op that keeps
 * only its input for the backward pass (tfjs-ops.ts batchNormTrainFused, half the memory), or, for
 * nested gradients (`secondOrder`), elementary ops with tf.mean, whose second derivatives were
 * checked against finite differences. Eval mode uses the running statistics when the BN tracks
 * them, else the batch's (PyTorch's track_running_stats=False).
 */
import * as tf from '@tensorflow/tfjs';
import { consumerCounts, stageInput, stageNodes, type GraphNode, type NetworkGraph, type ParamRef } from '../graph/network-graph.ts';
import { avgPool2x2, avgPool3x3, batchNorm, batchNormTrainFused, BN_EPS, globalAvgPool } from './tfjs-ops.ts';

/** Bumped whenever what this executor computes changes (part of the score cache key). */
export const TFJS_EXECUTOR_VERSION = 1;

/** Parameter (and external) lookup by name. */
export type ParamFn = (name: string) => tf.Tensor;

export interface GraphHooks {
  /** Called with the input of every ReLU, in execution order (the graph's `reluNames`). Owned by the pass: keep what you need. */
  onReluInput?: (x: tf.Tensor4D, name: string) => void;
  /** Called with every node's output; a returned tensor replaces it. `param` is the lookup in force. */
  onNodeOutput?: (y: tf.Tensor, node: GraphNode, param: ParamFn) => tf.Tensor | void;
}

export interface TfjsRunOptions {
  param: ParamFn;
  /** BN running statistics by buffer name (absent: none are used or moved). */
  buffer?: (name: string) => tf.Variable | undefined;
  /** Train mode: BN on batch statistics (PyTorch's model.train()). */
  training: boolean;
  /** In train mode, move BN running statistics like PyTorch (default false). */
  updateRunningStats?: boolean;
  hooks?: GraphHooks;
  /** Free each intermediate after its last reader (forward-only use, see the file comment). */
  release?: boolean;
  /** BN in elementary ops with tf.mean (nested gradients). */
  secondOrder?: boolean;
}

/** A parameter reference resolved to a tensor (the leading block of a shared tensor, if asked). */
export function resolveRef(param: ParamFn, ref: ParamRef): tf.Tensor {
  const t = param(ref.name);
  if (!ref.block || ref.block.every((d, i) => d === t.shape[i])) return t;
  return tf.slice(t, ref.block.map(() => 0), [...ref.block]);
}

function bnTrainSecondOrder(x: tf.Tensor4D, eps: number, gamma?: tf.Tensor, beta?: tf.Tensor): tf.Tensor4D {
  const mean = (t: tf.Tensor): tf.Tensor => tf.mean(t, [0, 1, 2]);
  const centred = tf.sub(x, mean(x));
  let scale: tf.Tensor = tf.rsqrt(tf.add(mean(tf.square(centred)), eps));
  if (gamma) scale = tf.mul(scale, gamma);
  const y = tf.mul(centred, scale);
  return (beta ? tf.add(y, beta) : y) as tf.Tensor4D;
}

/** BatchNorm of one node (see the file comment); `eps` may be rescaled by the log-scaled executor. */
export function runBatchNorm(node: Extract<GraphNode, { op: 'bn' }>, x: tf.Tensor4D, opts: TfjsRunOptions, eps = BN_EPS): tf.Tensor4D {
  const gamma = node.gamma ? (resolveRef(opts.param, node.gamma) as tf.Tensor1D) : undefined;
  const beta = node.beta ? (resolveRef(opts.param, node.beta) as tf.Tensor1D) : undefined;
  const runningMean = node.running ? opts.buffer?.(node.running.mean) : undefined;
  const runningVar = node.running ? opts.buffer?.(node.running.variance) : undefined;
  const hasRunning = runningMean !== undefined && runningVar !== undefined;
  if (!opts.training && hasRunning) {
    return batchNorm(x, { gamma: gamma as tf.Variable<tf.Rank.R1>, beta: beta as tf.Variable<tf.Rank.R1>, runningMean: runningMean as tf.Variable<tf.Rank.R1>, runningVar: runningVar as tf.Variable<tf.Rank.R1> }, false);
  }
  if (opts.training && hasRunning && opts.updateRunningStats) {
    if (eps !== BN_EPS) throw new RangeError('running statistics cannot be updated under a rescaled eps');
    return batchNorm(x, { gamma: gamma as tf.Variable<tf.Rank.R1>, beta: beta as tf.Variable<tf.Rank.R1>, runningMean: runningMean as tf.Variable<tf.Rank.R1>, runningVar: runningVar as tf.Variable<tf.Rank.R1> }, true, true);
  }
  return opts.secondOrder ? bnTrainSecondOrder(x, eps, gamma, beta) : batchNormTrainFused(x, eps, gamma, beta);
}

/**
 * The op of one node on its input tensors (everything but BN's eps rescaling and the hooks).
 * `biasScale` multiplies conv/linear biases (the log-scaled executor's exp(-s); 1 otherwise).
 */
export function runOp(node: GraphNode, xs: readonly tf.Tensor[], opts: TfjsRunOptions, biasScale = 1): tf.Tensor {
  const x = xs[0]!;
  switch (node.op) {
    case 'input':
      return x;
    case 'conv': {
      let y: tf.Tensor = tf.conv2d(x as tf.Tensor4D, resolveRef(opts.param, node.weight) as tf.Tensor4D, node.stride, node.pad);
      if (node.bias) {
        const b = resolveRef(opts.param, node.bias);
        y = tf.add(y, biasScale === 1 ? b : tf.mul(b, biasScale));
      }
      return y;
    }
    case 'bn':
      return runBatchNorm(node, x as tf.Tensor4D, opts);
    case 'relu':
      opts.hooks?.onReluInput?.(x as tf.Tensor4D, node.name);
      return tf.relu(x);
    case 'avgpool3x3':
      return avgPool3x3(x as tf.Tensor4D);
    case 'avgpool2x2':
      return avgPool2x2(x as tf.Tensor4D);
    case 'maxpool':
      return tf.maxPool(x as tf.Tensor4D, node.size, node.stride, 'same');
    case 'add':
      return tf.addN(xs as tf.Tensor[]);
    case 'concat':
      return tf.concat(xs as tf.Tensor[], 3);
    case 'truncate':
      return tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, node.channels]);
    case 'zeros':
      // Exact zeros whatever the input (PyTorch's x.mul(0) would give NaN for a non-finite x).
      return tf.zerosLike(x);
    case 'gap':
      return globalAvgPool(x as tf.Tensor4D);
    case 'linear': {
      let y: tf.Tensor = tf.matMul(x as tf.Tensor2D, resolveRef(opts.param, node.weight) as tf.Tensor2D);
      if (node.bias) {
        const b = resolveRef(opts.param, node.bias);
        y = tf.add(y, biasScale === 1 ? b : tf.mul(b, biasScale));
      }
      return y;
    }
    case 'scale': {
      const f = opts.param(node.factor.name);
      const entry = tf.reshape(tf.slice(f, [...node.factor.index], node.factor.index.map(() => 1)), []);
      return tf.mul(x, entry);
    }
  }
}

/**
 * Runs `nodes` (a stage, or the whole graph) given the values already known (`values[id]`), and
 * returns the last node's output. With `release`, frees intermediates as their readers finish;
 * `keep` lists nodes that must survive (the caller's input, the result).
 */
function runNodes(graph: NetworkGraph, nodes: readonly GraphNode[], values: (tf.Tensor | undefined)[], opts: TfjsRunOptions, keep: ReadonlySet<number>): tf.Tensor {
  const remaining = opts.release ? consumerCounts(graph) : undefined;
  let last: tf.Tensor | undefined;
  for (const node of nodes) {
    const xs = node.inputs.map((i) => {
      const v = values[i];
      if (!v) throw new Error(`executor: node ${node.id} (${node.op}) reads node ${i}, which has no value`);
      return v;
    });
    const compute = (): tf.Tensor => {
      const y = runOp(node, xs, opts);
      const replaced = opts.hooks?.onNodeOutput?.(y, node, opts.param);
      return replaced ?? y;
    };
    const y = opts.release ? tf.tidy(compute) : compute();
    values[node.id] = y;
    last = y;
    if (remaining) {
      for (const i of node.inputs) {
        if (--remaining[i]! === 0 && !keep.has(i) && values[i] !== y) {
          values[i]!.dispose();
          values[i] = undefined;
        }
      }
    }
  }
  if (!last) throw new Error('executor: no nodes to run');
  return last;
}

/** Runs stage k of the graph on its input tensor (the previous stage's output, or the images). */
export function runStage(graph: NetworkGraph, k: number, input: tf.Tensor, opts: TfjsRunOptions): tf.Tensor {
  const values: (tf.Tensor | undefined)[] = new Array(graph.nodes.length);
  const entry = stageInput(graph, k);
  values[entry] = input;
  const nodes = stageNodes(graph, k);
  return runNodes(graph, nodes, values, opts, new Set([entry, nodes[nodes.length - 1]!.id]));
}

/** The whole forward pass on x (NHWC); returns the logits [n, numClasses]. */
export function runGraph(graph: NetworkGraph, x: tf.Tensor4D, opts: TfjsRunOptions): tf.Tensor2D {
  if (x.rank !== 4 || x.shape[3] !== 3) throw new RangeError(`input must be NHWC with 3 channels, got shape [${x.shape.join(', ')}]`);
  const values: (tf.Tensor | undefined)[] = new Array(graph.nodes.length);
  values[0] = x;
  return runNodes(graph, graph.nodes.slice(1), values, opts, new Set([0, graph.output])) as tf.Tensor2D;
}
