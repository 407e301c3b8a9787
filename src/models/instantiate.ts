/**
 * A network description with weights: the parameters' values under a seed and an initialisation
 * scheme, held as tfjs variables (created on first use) for the tfjs executors, readable as plain
 * arrays for the others (ONNX Runtime never needs a tfjs tensor).
 *
 * Why lazy variables: a network scored on ONNX Runtime only needs the values; creating ~1.1 M
 * weights as wasm tensors per cell would cost time and heap for nothing. Once a variable exists
 * (a tfjs pass ran, or training moved it), it is the truth and `values()` reads it back.
 */
import * as tf from '@tensorflow/tfjs';
import type { BufferSpec, NetworkGraph, ParamKind, ParamSpec } from '../graph/network-graph.ts';
import { runGraph, type GraphHooks, type TfjsRunOptions } from '../executors/tfjs-forward.ts';
import { drawParam, type InitScheme } from './init.ts';

export interface NetworkParam<L = unknown> {
  name: string;
  kind: ParamKind;
  shape: readonly number[];
  label?: L;
  /** The tfjs variable (created on first access from the initial values). */
  readonly variable: tf.Variable;
}

export interface NetworkBuffer<L = unknown> {
  name: string;
  kind: BufferSpec['kind'];
  label?: L;
  readonly variable: tf.Variable;
}

export interface ApplyOptions {
  /** Train mode: BN uses batch statistics (PyTorch's model.train()). */
  training: boolean;
  /** Called with the input of every ReLU module, once per forward, in execution order (`reluNames`). */
  onReluInput?: GraphHooks['onReluInput'];
  /** Free each intermediate after its last use (default false): forward-only passes. */
  releaseIntermediates?: boolean;
  /** In train mode, move BN running statistics like PyTorch does (default true). */
  updateRunningStats?: boolean;
}

/** What every cell network offers, whichever space it comes from. */
export interface CellNetwork<L = unknown> {
  readonly graph: NetworkGraph<L>;
  /** Every trainable parameter, in module order. */
  readonly params: readonly NetworkParam<L>[];
  readonly buffers: readonly NetworkBuffer<L>[];
  /** ReLU names in the order a forward pass calls `onReluInput`. */
  readonly reluNames: readonly string[];
  readonly seed: number;
  readonly initScheme: InitScheme;
  /** Current values of a parameter or buffer (the variable's, once it exists). */
  values(name: string): Promise<Float32Array>;
  /** tfjs forward: x [batch, H, W, 3] (NHWC) -> logits [batch, numClasses]. */
  apply(x: tf.Tensor4D, opts: ApplyOptions): tf.Tensor2D;
  /** The run options of the tfjs executors for this network's own weights. */
  runOptions(opts: Omit<TfjsRunOptions, 'param' | 'buffer'>): TfjsRunOptions;
  dispose(): void;
}

/**
 * Parameters and buffers of one set of specs: initial values drawn on demand, variables created
 * on demand. Shared by the cell networks and the supernets (whose path graphs read subsets).
 */
export class ParamStore<L = unknown> {
  readonly params: NetworkParam<L>[];
  readonly buffers: NetworkBuffer<L>[];
  private readonly specs = new Map<string, ParamSpec<L> | BufferSpec<L>>();
  private readonly variables = new Map<string, tf.Variable>();
  private disposed = false;

  constructor(
    params: readonly ParamSpec<L>[],
    buffers: readonly BufferSpec<L>[],
    readonly seed: number,
    readonly scheme: InitScheme = 'torch-default',
    /** Create every variable now (supernets: training and checkpoints touch them all anyway). */
    eager = false,
  ) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
    const store = this;
    this.params = params.map((spec) => {
      store.specs.set(spec.name, spec);
      return {
        name: spec.name,
        kind: spec.kind,
        shape: spec.shape,
        ...(spec.label !== undefined ? { label: spec.label } : {}),
        get variable() {
          return store.variable(spec.name);
        },
      };
    });
    this.buffers = buffers.map((spec) => {
      store.specs.set(spec.name, spec);
      return {
        name: spec.name,
        kind: spec.kind,
        ...(spec.label !== undefined ? { label: spec.label } : {}),
        get variable() {
          return store.variable(spec.name);
        },
      };
    });
    if (eager) for (const spec of [...params, ...buffers]) this.variable(spec.name);
  }

  has(name: string): boolean {
    return this.specs.has(name);
  }

  /** Initial values (never the trained ones). */
  initialValues(name: string): Float32Array {
    const spec = this.specs.get(name);
    if (!spec) throw new RangeError(`no parameter or buffer '${name}'`);
    if ('init' in spec) return drawParam(spec, this.seed, this.scheme);
    const size = spec.shape.reduce((a, b) => a * b, 1);
    return new Float32Array(size).fill(spec.kind === 'bn-running-var' ? 1 : 0);
  }

  variable(name: string): tf.Variable {
    if (this.disposed) throw new Error(`parameter '${name}' read after the network was disposed`);
    let v = this.variables.get(name);
    if (!v) {
      const spec = this.specs.get(name);
      if (!spec) throw new RangeError(`no parameter or buffer '${name}'`);
      const trainable = 'init' in spec;
      // tf.variable shares the tensor's data and counts a reference of its own: release the tensor.
      const init = tf.tensor(this.initialValues(name), [...spec.shape]);
      v = tf.variable(init, trainable);
      init.dispose();
      this.variables.set(name, v);
    }
    return v;
  }

  hasVariable(name: string): boolean {
    return this.variables.has(name);
  }

  async values(name: string): Promise<Float32Array> {
    const v = this.variables.get(name);
    if (v) return (await v.data()) as Float32Array;
    return this.initialValues(name);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.variables.values()) v.dispose();
    this.variables.clear();
  }
}

/** The network of a graph with its own weights (seeded; scheme 'torch-default' unless asked). */
export function instantiate<L>(graph: NetworkGraph<L>, seed: number, scheme: InitScheme = 'torch-default'): CellNetwork<L> {
  const store = new ParamStore<L>(graph.params, graph.buffers, seed, scheme);
  const runOptions = (opts: Omit<TfjsRunOptions, 'param' | 'buffer'>): TfjsRunOptions => ({
    ...opts,
    param: (name) => store.variable(name),
    buffer: (name) => (store.has(name) ? store.variable(name) : undefined),
  });
  return {
    graph,
    params: store.params,
    buffers: store.buffers,
    reluNames: graph.reluNames,
    seed,
    initScheme: scheme,
    values: (name) => store.values(name),
    runOptions,
    apply: (x, opts) =>
      tf.tidy(() =>
        runGraph(
          graph,
          x,
          runOptions({
            training: opts.training,
            updateRunningStats: opts.updateRunningStats ?? true,
            release: opts.releaseIntermediates ?? false,
            ...(opts.onReluInput ? { hooks: { onReluInput: opts.onReluInput } } : {}),
          }),
        ),
      ),
    dispose: () => store.dispose(),
  };
}
