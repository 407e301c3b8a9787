/**
 * The ONNX Runtime executor (a `FastExecutor`, src/proxies/context.ts): forward-only work on the
 * CPU execution provider of onnxruntime-node. Each network is serialised once (onnx-model.ts)
 * with its weights as initializers, and one InferenceSession is created per network and batch
 * shape, used for its passes, then released.
 *
 * Why per network, not one session per structure with weights as inputs: every NB201 or NB101
 * cell is its own structure, so a session would serve one network in a scoring run anyway (the
 * proxies' extra initialisations are the only reuse); initializers let ORT pre-pack the conv
 * weights and fold constants once. Measured 2026-12-03 (2-core EPYC, heavily shared, batch 128,
 * 3 NB201 cells): serialising 8-50 ms, session creation 120-370 ms, one pass 1.2-2.1 s; the
 * creation is part of every cell's time in the bench.
 *
 * Threads: one intra-op and one inter-op thread per session by default. Workers are processes,
 * one per core (src/scoring/score-cells.ts), so 2 workers use 2 cores: the same budget as 2
 * PyTorch threads. `threads` overrides it (bench: 1 process with 2 threads).
 *
 * No `grads` yet (FastExecutor.grads is optional): gradient work stays on tfjs. ORT has no
 * autodiff; a generated backward graph is the planned route (issue 17).
 */
import { createRequire } from 'node:module';
import type { ImageBatch } from '../datasets/types.ts';
import type { NetworkGraph } from '../graph/network-graph.ts';
import { buildOnnxModel, ONNX_MODEL_VERSION, unsupportedOp, type ParamValues } from './onnx-model.ts';

type Ort = typeof import('onnxruntime-node');

const require = createRequire(import.meta.url);

let ortModule: Ort | undefined;
/** Loads onnxruntime-node (its native binding); throws with the loader's reason when it cannot. */
export function loadOrt(): Ort {
  ortModule ??= require('onnxruntime-node') as Ort;
  return ortModule;
}

export function ortVersion(): string {
  return (require('onnxruntime-node/package.json') as { version: string }).version;
}

export interface OnnxExecutorOptions {
  /** intra-op threads of each session (default 1: one worker process per core). */
  threads?: number;
}

/** The weights of a network as plain arrays, read once (variables, if any, are the truth). */
/**
 * What this executor needs of a network with weights: its description and each parameter's
 * values (models/instantiate.ts's CellNetwork is one; executors sit below models, so the type is
 * stated here, structurally).
 */
export interface WeightedGraph {
  readonly graph: NetworkGraph;
  values(name: string): Promise<Float32Array>;
}

async function weightsOf(network: WeightedGraph): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const p of network.graph.params) out.set(p.name, await network.values(p.name));
  return out;
}

import { cpuAfterFailure, ortProviders, type ProviderChoice } from '../engine/onnx-providers.ts';

// A FastExecutor (src/proxies/context.ts) by its shape; src/scoring/executor-choice.ts checks that
// at compile time (executors sit below proxies, so this file does not import the interface).
export class OnnxExecutor {
  identity: string;
  private readonly threads: number;
  /** The execution providers (src/engine/onnx-providers.ts: CUDA where its libraries are installed, else CPU). */
  private providers: ProviderChoice;

  constructor(opts: OnnxExecutorOptions = {}) {
    loadOrt();
    this.threads = opts.threads ?? 1;
    this.providers = ortProviders();
    this.identity = this.identityFor();
  }

  private identityFor(): string {
    return `onnxruntime-node@${ortVersion()}/${this.providers.providers[0]}/model-v${ONNX_MODEL_VERSION}`;
  }

  unsupported(graph: NetworkGraph): string | null {
    return unsupportedOp(graph);
  }

  /** Serialises the graph with these weights and opens a session for images of this size. */
  async session(graph: NetworkGraph, weights: ParamValues, image: { height: number; width: number }, reluKernel: boolean) {
    const ort = loadOrt();
    const bytes = buildOnnxModel(graph, weights, { height: image.height, width: image.width, reluKernel });
    const options = (providers: readonly string[]) => ({
      executionProviders: [...providers],
      intraOpNumThreads: this.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential' as const,
      graphOptimizationLevel: 'all' as const,
    });
    try {
      return await ort.InferenceSession.create(bytes, options(this.providers.providers));
    } catch (err) {
      if (!this.providers.providers.includes('cuda')) throw err;
      // CUDA libraries present but unusable (driver, CUDA version): CPU, said once on stderr
      this.providers = cpuAfterFailure(this.providers, err);
      this.identity = this.identityFor();
      process.stderr.write(`onnx executor: ${this.providers.reason}\n`);
      return ort.InferenceSession.create(bytes, options(this.providers.providers));
    }
  }

  /**
   * One train-mode forward pass of any supported graph (a cell network, a supernet path) on the
   * batch: logits and, with `reluKernel`, NASWOT's K. The session is released before returning.
   */
  async forwardGraph(graph: NetworkGraph, weights: ParamValues, batch: ImageBatch, opts: { reluKernel: boolean }): Promise<{ logits: Float32Array; K?: Float32Array }> {
    if (batch.channels !== 3) throw new RangeError(`the ONNX executor needs 3-channel images, got ${batch.channels}`);
    const ort = loadOrt();
    const session = await this.session(graph, weights, batch, opts.reluKernel);
    try {
      const images = new ort.Tensor('float32', batch.x instanceof Float32Array ? batch.x : Float32Array.from(batch.x), [batch.n, batch.height, batch.width, 3]);
      const out = await session.run({ images });
      const result: { logits: Float32Array; K?: Float32Array } = { logits: out.logits!.data as Float32Array };
      if (opts.reluKernel) result.K = out.K!.data as Float32Array;
      for (const t of Object.values(out)) t.dispose();
      return result;
    } finally {
      await session.release();
    }
  }

  private async run(network: WeightedGraph, batch: ImageBatch, reluKernel: boolean): Promise<{ logits: Float32Array; K?: Float32Array }> {
    const weights = await weightsOf(network);
    return this.forwardGraph(network.graph, (name) => weights.get(name)!, batch, { reluKernel });
  }

  /** Logits of one train-mode forward pass (agreement tests, benches). */
  async logits(network: WeightedGraph, batch: ImageBatch): Promise<Float32Array> {
    return (await this.run(network, batch, false)).logits;
  }

  async reluKernel(network: WeightedGraph, batch: ImageBatch): Promise<Float64Array> {
    return Float64Array.from((await this.run(network, batch, true)).K!);
  }
}

/**
 * The ONNX executor, or undefined with `why` when onnxruntime-node cannot load here (a missing
 * native binary): callers fall back to tfjs and say so in one line.
 */
export function tryOnnxExecutor(opts: OnnxExecutorOptions = {}): { executor?: OnnxExecutor; why?: string } {
  try {
    return { executor: new OnnxExecutor(opts) };
  } catch (e) {
    return { why: `onnxruntime-node could not be loaded (${(e as Error).message.split('\n')[0]})` };
  }
}
