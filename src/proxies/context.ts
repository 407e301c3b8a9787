/**
 * The proxy context (types.ts `ProxyContext`): what a proxy's `score` gets for one cell. It owns
 * the cell's networks (one per initialisation, built on first use), the batches, and a memo, so
 * proxies that ask for the same thing on the same network and batch share one computation: the
 * zero-cost references score every measure on copies of one initialised network with one batch,
 * so grad_norm, snip and fisher asking for the same gradient pass changes no number and saves
 * two of three backward passes.
 *
 * Executors: the context picks them; a proxy never does.
 *   - ReLU-code kernel and first-order gradients: the fast executor (ONNX Runtime, when the
 *     scoring job has one and it supports the graph), else tfjs (tfjs-forward.ts /
 *     tfjs-gradients.ts, stage by stage within wasm's 4 GB).
 *   - Hessian-vector products: tfjs (tfjs-hvp.ts).
 *   - synflow's |w| pass: the log-scaled tfjs executor (tfjs-scaled.ts).
 *   - Forward passes with arbitrary hooks: tfjs.
 * Every value read back is read asynchronously (`await t.data()`), which every backend supports.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageBatch } from '../datasets/types.ts';
import { layerWeight, type GraphNode, type NetworkGraph } from '../graph/network-graph.ts';
import { crossEntropy, crossEntropySecondOrder, logitShift, sumLogits } from '../executors/losses.ts';
import { runGraph, type GraphHooks, type ParamFn } from '../executors/tfjs-forward.ts';
import { chainedGradients } from '../executors/tfjs-gradients.ts';
import { stagedHvp } from '../executors/tfjs-hvp.ts';
import { measureScales, runScaled } from '../executors/tfjs-scaled.ts';
import type { CellNetwork } from '../models/instantiate.ts';
import type { GradRequest, GradResult, LayerOutputGrads, ProxyContext, ProxyDefinition, ProxyScore, ProxySettings, ScaledGradResult, Space } from './types.ts';

/** An executor faster than tfjs for what it supports (src/executors/onnx-*.ts). */
export interface FastExecutor {
  /** Names the executor and its provider, e.g. 'onnxruntime-node@1.30.0/cpu' (part of the cache key). */
  readonly identity: string;
  /** Why this graph cannot run on it, or null when it can. */
  unsupported(graph: NetworkGraph): string | null;
  reluKernel(network: CellNetwork, batch: ImageBatch): Promise<Float64Array>;
  /** First-order gradients; absent when the executor runs forward passes only (tfjs serves them). */
  grads?(network: CellNetwork, batch: ImageBatch, req: GradRequest): Promise<GradResult>;
}

/** The conv and linear weights of a graph: the parameters the zero-cost saliencies sum over. */
export function saliencyWeightsOf(graph: NetworkGraph): { name: string; shape: readonly number[] }[] {
  return graph.params.filter((p) => p.kind === 'conv' || p.kind === 'linear-weight').map((p) => ({ name: p.name, shape: p.shape }));
}

/** Name under which the tfjs gradient pass looks up the ones-mask on a layer's output (fisher). */
function maskName(weight: string): string {
  return `layer-output-mask:${weight}`;
}

export function batchTensor(batch: ImageBatch): tf.Tensor4D {
  return tf.tensor4d(batch.x, [batch.n, batch.height, batch.width, batch.channels]);
}

/**
 * NASWOT's K from any tfjs forward pass that calls a ReLU-input hook (a cell network, a supernet
 * path): the hook accumulates (s sᵀ + units)/2 in float32 (exact integers below 2^24). Returns the
 * [n, n] tensor (caller reads and disposes).
 */
export function reluCodeKernelTensor(forward: (onReluInput: (x: tf.Tensor4D) => void) => void, n: number): tf.Tensor2D {
  let acc: tf.Tensor2D = tf.zeros([n, n]);
  try {
    const onReluInput = (input: tf.Tensor): void => {
      // keep(): the hook runs inside the pass's tidy scope, which would dispose the sum.
      const next = tf.keep(
        tf.tidy(() => {
          // s = 2c - 1 in {-1, +1}: s_i . s_j = units - 2 Hamming(c_i, c_j), so
          // K = c cᵀ + (1 - c)(1 - c)ᵀ = units - Hamming = (s sᵀ + units) / 2. One matmul.
          const s = tf.sub(tf.mul(tf.cast(tf.greater(tf.reshape(input, [n, -1]), 0), 'float32'), 2), 1) as tf.Tensor2D;
          const units = s.shape[1];
          // An explicit transpose: matMul(s, s, false, true) is ~10x slower on the wasm backend.
          return tf.add(acc, tf.div(tf.add(tf.matMul(s, tf.transpose(s)), units), 2)) as tf.Tensor2D;
        }),
      );
      acc.dispose();
      acc = next;
    };
    forward(onReluInput);
    return acc;
  } catch (e) {
    acc.dispose();
    throw e;
  }
}

/** NASWOT's K of a cell network on tfjs (release mode: forward only). */
export async function tfjsReluKernel(network: CellNetwork, batch: ImageBatch): Promise<Float64Array> {
  const x = batchTensor(batch);
  let K: tf.Tensor2D | undefined;
  try {
    K = reluCodeKernelTensor((onReluInput) => {
      tf.tidy(() => {
        runGraph(network.graph, x, network.runOptions({ training: true, release: true, hooks: { onReluInput } }));
      });
    }, batch.n);
    return Float64Array.from((await K.data()) as Float32Array);
  } finally {
    x.dispose();
    K?.dispose();
  }
}

async function readMap(m: Map<string, tf.Tensor>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [k, t] of m) out.set(k, (await t.data()) as Float32Array);
  return out;
}

/** First-order gradients on tfjs, stage by stage (tfjs-gradients.ts). */
export async function tfjsGrads(network: CellNetwork, batch: ImageBatch, req: GradRequest): Promise<GradResult> {
  const graph = network.graph;
  const weights = saliencyWeightsOf(graph).map((p) => p.name);
  const n = batch.n;
  const layerNodes = req.layerOutputs ? graph.nodes.filter((node) => layerWeight(node) !== undefined) : [];
  const masks = new Map<string, tf.Tensor>(layerNodes.map((node) => [maskName(layerWeight(node)!), tf.ones([n, node.channels])]));
  const base = network.runOptions({ training: true });
  const param: ParamFn = (name) => masks.get(name) ?? base.param(name);
  const hooks: GraphHooks | undefined = req.layerOutputs
    ? {
        onNodeOutput: (y: tf.Tensor, node: GraphNode, lookup: ParamFn) => {
          const w = layerWeight(node);
          if (w === undefined) return;
          const m = lookup(maskName(w));
          return tf.mul(y, tf.reshape(m, y.rank === 4 ? [n, 1, 1, node.channels] : [n, node.channels]));
        },
      }
    : undefined;
  const wrt = [...(req.weights ? weights : []), ...masks.keys()];
  const x = batchTensor(batch);
  const labels = batch.labels;
  const sample = req.sample;
  if (sample !== undefined && (req.loss !== 'sum-logits' || !Number.isInteger(sample) || sample < 0 || sample >= n)) {
    throw new RangeError(`a per-sample gradient needs loss 'sum-logits' and a sample in 0..${n - 1}, got ${req.loss} / ${sample}`);
  }
  const loss =
    req.loss === 'cross-entropy'
      ? (logits: tf.Tensor2D) => crossEntropy(logits, labels)
      : sample === undefined
        ? sumLogits
        : (logits: tf.Tensor2D) => sumLogits(tf.slice(logits, [sample, 0], [1, -1]) as tf.Tensor2D);
  try {
    const r = chainedGradients(graph, x, { ...base, param, ...(hooks ? { hooks } : {}) }, loss, wrt, { inputGradient: req.input === true });
    try {
      const values = await readMap(r.grads);
      const layerOutputs = new Map<string, LayerOutputGrads>();
      for (const node of layerNodes) {
        const w = layerWeight(node)!;
        layerOutputs.set(w, { n, c: node.channels, v: values.get(maskName(w))! });
      }
      const weightGrads = new Map<string, Float32Array>();
      if (req.weights) for (const w of weights) weightGrads.set(w, values.get(w)!);
      const result: GradResult = { loss: (await r.loss.data())[0]!, weights: weightGrads, layerOutputs };
      if (r.dx) result.input = (await r.dx.data()) as Float32Array;
      return result;
    } finally {
      tf.dispose([...r.grads.values(), r.loss, ...(r.dx ? [r.dx] : [])]);
    }
  } finally {
    x.dispose();
    tf.dispose([...masks.values()]);
  }
}

/** H v of the mean cross-entropy w.r.t. the weights named in v (tfjs-hvp.ts). */
export async function tfjsHvp(network: CellNetwork, batch: ImageBatch, v: ReadonlyMap<string, Float32Array>): Promise<Map<string, Float32Array>> {
  const base = network.runOptions({ training: true });
  const shapes = new Map(network.graph.params.map((p) => [p.name, p.shape]));
  const vt = new Map<string, tf.Tensor>([...v].map(([name, values]) => [name, tf.tensor(values, [...shapes.get(name)!])]));
  const x = batchTensor(batch);
  // The loss's shift is a constant read from one plain forward pass first (losses.ts).
  const logits = tf.tidy(() => runGraph(network.graph, x, { ...base, release: true }));
  const shift = await logitShift(logits);
  logits.dispose();
  try {
    const hv = stagedHvp(network.graph, x, base, (l) => crossEntropySecondOrder(l, batch.labels, shift), vt);
    try {
      return await readMap(hv);
    } finally {
      tf.dispose([...hv.values()]);
    }
  } finally {
    x.dispose();
    shift.dispose();
    tf.dispose([...vt.values()]);
  }
}

/** synflow's |w| pass on one all-ones image, log-scaled (tfjs-scaled.ts). */
export async function tfjsAbsWeightGradients(network: CellNetwork, height: number, width: number): Promise<ScaledGradResult> {
  const graph = network.graph;
  const base = network.runOptions({ training: true });
  const abs = new Map<string, tf.Tensor>(graph.params.map((p) => [p.name, tf.abs(base.param(p.name))]));
  const weights = saliencyWeightsOf(graph).map((p) => p.name);
  const x = tf.ones([1, height, width, 3]) as tf.Tensor4D;
  try {
    const lookup: ParamFn = (name) => abs.get(name) ?? base.param(name);
    const factors = await measureScales(graph, x, { ...base, param: lookup });
    let logScale = 0;
    const f = (...ws: tf.Tensor[]): tf.Scalar => {
      const sub = new Map(weights.map((w, i) => [w, ws[i]!]));
      const out = runScaled(graph, x, { ...base, param: (name) => sub.get(name) ?? lookup(name) }, factors);
      logScale = out.logScale;
      return tf.sum(out.logits) as tf.Scalar;
    };
    const grads = tf.tidy(() => tf.grads(f)(weights.map((w) => abs.get(w)!)));
    try {
      const g = new Map<string, Float32Array>();
      const a = new Map<string, Float32Array>();
      for (let i = 0; i < weights.length; i++) {
        g.set(weights[i]!, (await grads[i]!.data()) as Float32Array);
        a.set(weights[i]!, (await abs.get(weights[i]!)!.data()) as Float32Array);
      }
      return { logScale, grads: g, absWeights: a };
    } finally {
      tf.dispose(grads);
    }
  } finally {
    x.dispose();
    tf.dispose([...abs.values()]);
  }
}

/**
 * One cell's networks and memo, shared by every proxy scored on the same variant, seed and
 * batches (score-one.ts groups them).
 */
export class CellSession {
  private readonly networks: (CellNetwork | undefined)[] = [];
  private readonly memo = new Map<string, Promise<unknown>>();
  private disposed = false;

  constructor(
    readonly space: Space,
    private readonly build: (init: number) => CellNetwork,
    readonly batches: readonly ImageBatch[],
    readonly numClasses: number,
    readonly imageSize: { height: number; width: number },
    private readonly fast?: FastExecutor,
    /** false: the networks belong to the caller (scoreOnNetwork), dispose() leaves them. */
    private readonly ownsNetworks = true,
  ) {}

  network(init: number): CellNetwork {
    if (this.disposed) throw new Error('cell session used after dispose');
    if (!Number.isInteger(init) || init < 0) throw new RangeError(`initialisation index must be a non-negative integer, got ${init}`);
    let net = this.networks[init];
    if (!net) {
      net = this.build(init);
      this.networks[init] = net;
    }
    return net;
  }

  private batch(i = 0): ImageBatch {
    const b = this.batches[i];
    if (!b) throw new RangeError(`the proxy asked for batch ${i}, but ${this.batches.length} were prepared (declare needs.batches)`);
    return b;
  }

  private once<T>(key: string, compute: () => Promise<T>): Promise<T> {
    let p = this.memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = compute();
      this.memo.set(key, p);
      // a failed computation is not memoised: the next proxy retries (and reports its own error)
      p.catch(() => this.memo.delete(key));
    }
    return p;
  }

  /** Which executor serves first-order work on this network: the fast one when it supports the graph. */
  private fastFor(network: CellNetwork): FastExecutor | undefined {
    return this.fast && this.fast.unsupported(network.graph) === null ? this.fast : undefined;
  }

  reluKernel(opts: { batch?: number; init?: number } = {}): Promise<Float64Array> {
    const b = opts.batch ?? 0;
    const i = opts.init ?? 0;
    return this.once(`relu-kernel|${b}|${i}`, () => {
      const net = this.network(i);
      const fast = this.fastFor(net);
      return fast ? fast.reluKernel(net, this.batch(b)) : tfjsReluKernel(net, this.batch(b));
    });
  }

  grads(req: GradRequest): Promise<GradResult> {
    const key = `grads|${JSON.stringify({ loss: req.loss, sample: req.sample ?? null, weights: !!req.weights, layerOutputs: !!req.layerOutputs, input: !!req.input, batch: req.batch ?? 0, init: req.init ?? 0 })}`;
    return this.once(key, () => {
      const net = this.network(req.init ?? 0);
      const batch = this.batch(req.batch ?? 0);
      if (req.loss === 'cross-entropy' && batch.labels.length !== batch.n) throw new RangeError('cross-entropy needs the batch labels');
      const fast = this.fastFor(net);
      return fast?.grads ? fast.grads(net, batch, req) : tfjsGrads(net, batch, req);
    });
  }

  hvp(v: ReadonlyMap<string, Float32Array>, opts: { batch?: number; init?: number } = {}): Promise<Map<string, Float32Array>> {
    return tfjsHvp(this.network(opts.init ?? 0), this.batch(opts.batch ?? 0), v);
  }

  absWeightGradients(opts: { init?: number } = {}): Promise<ScaledGradResult> {
    const i = opts.init ?? 0;
    return this.once(`abs-weight-grads|${i}`, () => tfjsAbsWeightGradients(this.network(i), this.imageSize.height, this.imageSize.width));
  }

  async forward(opts: { batch?: number; input?: tf.Tensor4D; hooks?: GraphHooks; training?: boolean; init?: number } = {}): Promise<tf.Tensor2D> {
    const net = this.network(opts.init ?? 0);
    const x = opts.input ?? batchTensor(this.batch(opts.batch ?? 0));
    try {
      return tf.tidy(() => runGraph(net.graph, x, net.runOptions({ training: opts.training ?? true, ...(opts.hooks ? { hooks: opts.hooks } : {}) })));
    } finally {
      if (!opts.input) x.dispose();
    }
  }

  /** The context a proxy gets: this session plus the proxy's own settings. */
  contextFor<S extends ProxySettings>(settings: S): ProxyContext<S> {
    const session = this;
    return {
      space: this.space,
      settings,
      get network() {
        return session.network(0);
      },
      networkAt: (i) => this.network(i),
      numClasses: this.numClasses,
      imageSize: this.imageSize,
      batches: this.batches,
      get saliencyWeights() {
        return saliencyWeightsOf(session.network(0).graph);
      },
      forward: (opts) => this.forward(opts),
      reluKernel: (opts) => this.reluKernel(opts),
      grads: (req) => this.grads(req),
      hvp: (v, opts) => this.hvp(v, opts),
      absWeightGradients: (opts) => this.absWeightGradients(opts),
      tf,
    };
  }

  dispose(): void {
    this.disposed = true;
    if (this.ownsNetworks) for (const n of this.networks) n?.dispose();
    this.networks.length = 0;
    this.memo.clear();
  }
}

/**
 * Scores a network the caller built (tests, benches, cross-checks): a one-off session around it.
 * `more(i)` builds initialisation i > 0 when the proxy needs several; the caller keeps ownership
 * of `network` (not disposed here), and of what `more` returns.
 */
export async function scoreOnNetwork<S extends ProxySettings>(
  proxy: ProxyDefinition<S>,
  network: CellNetwork,
  batches: readonly ImageBatch[],
  opts: { settings?: S; fast?: FastExecutor; imageSize?: { height: number; width: number }; more?: (init: number) => CellNetwork } = {},
): Promise<ProxyScore> {
  const imageSize = opts.imageSize ?? (batches[0] ? { height: batches[0].height, width: batches[0].width } : { height: 32, width: 32 });
  const build = (i: number): CellNetwork => {
    if (i === 0) return network;
    if (!opts.more) throw new RangeError(`proxy '${proxy.name}' asked for initialisation ${i}; pass \`more\` to build it`);
    return opts.more(i);
  };
  const session = new CellSession(network.graph.space, build, batches, network.graph.numClasses, imageSize, opts.fast, false);
  try {
    return await proxy.score(session.contextFor(opts.settings ?? proxy.defaults));
  } finally {
    session.dispose();
  }
}

/** scoreOnNetwork for proxies that return a single number. */
export async function scoreNumber<S extends ProxySettings>(...args: Parameters<typeof scoreOnNetwork<S>>): Promise<number> {
  const r = await scoreOnNetwork(...args);
  return typeof r === 'number' ? r : r.score;
}
