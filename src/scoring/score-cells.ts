/**
 * Scores many cells with one or several proxies: skips the cells already in the score cache, runs the rest in
 * worker processes (tfjs computes on one core per process), and writes each score to the cache
 * the moment it arrives, so a run killed at any point loses at most the cells in flight and the
 * next run resumes from the cache.
 *
 * Cells that failed (an error, a crash, a timeout twice) are recorded with status 'error' and
 * retried by the next run; NaN and infinite scores are recorded as such and are final (they are
 * the proxy's real output and are counted, then excluded, by the statistics).
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { initBackend, type BackendInfo, type BackendName } from '../engine/backend.ts';
import { runPool } from '../engine/worker-pool.ts';
import { getProxy } from '../proxies/registry.ts';
import { openScoreCache, scoreStatus, type CachedScore } from '../results/score-cache.ts';
import { createProgress } from '../util/progress.ts';
import { TFJS_EXECUTOR_VERSION } from '../executors/tfjs-forward.ts';
import { NB101_GRAPH_VERSION } from '../models/nb101-graph.ts';
import { NB201_GRAPH_VERSION } from '../models/nb201-graph.ts';
import { variantOptions } from '../proxies/variants.ts';
import type { ScoreCacheKey } from '../results/score-cache.ts';
import { executorChoiceOf, fastServes, resolveFastExecutor } from './executor-choice.ts';
import { batchId, decodeScore, type ExecutorChoice, type ScoreJob, type ScoreTask, type ScoreTaskResult, type WorkerSetup } from './score-job.ts';
import { IMAGE_SIZE, NB101_CPU_STEM_CHANNELS, NUM_CLASSES } from './score-one.ts';

/** NB201 cells by index, as score tasks. */
export function nb201Tasks(indices: readonly number[]): ScoreTask[] {
  return indices.map((i) => ({ key: String(i) }));
}

export interface ScoreCellsOptions {
  /** Cells to score: `nb201Tasks(indices)` for NB201; hash + spec for NB101. */
  cells: readonly ScoreTask[];
  /** Score cache directory (default results/cache). */
  cacheDir: string;
  /** Backend to use; default: the best available (tensorflow > wasm > cpu). */
  backend?: BackendName;
  /** Worker processes (default: the number of cores). */
  workers?: number;
  /** Progress label (shown only on a TTY). */
  label?: string;
  /** Fast executor (executor-choice.ts); default NASREPRO_EXECUTOR, else 'auto'. */
  executor?: ExecutorChoice;
}

export interface ScoredCell {
  /** The cache key: the NB201 index as a string, or the NB101 hash. */
  key: string;
  /** NaN/Infinity for non-finite scores; NaN also for cells that failed (status 'error'). */
  score: number;
  /** The score's named parts, for proxies that report them. */
  parts?: Record<string, number>;
  status: CachedScore['status'];
  seconds: number;
  error?: string;
}

export interface ScoreCellsResult {
  cells: ScoredCell[];
  backend: BackendInfo;
  /** The fast executor the workers used where it serves the proxy (identity), or 'tfjs'. */
  executor: string;
  /** Cells computed in this run (the rest came from the cache). */
  computed: number;
  failed: number;
  wallSeconds: number;
  cacheFile: string;
}

const WORKER_MODULE = fileURLToPath(new URL('./score-worker.ts', import.meta.url));

export async function scoreCells(job: ScoreJob, options: ScoreCellsOptions): Promise<ScoreCellsResult> {
  return (await scoreProxies([job], options))[0]!;
}

/**
 * Scores the cells with several proxies in one pass over the cells: each cell goes to a worker
 * once, with the proxies whose cache lacks it, and each proxy's result goes to that proxy's own
 * cache (so a later single-proxy run finds it). The jobs must differ only in proxy and settings.
 * Returns one result per job, in order.
 */
export async function scoreProxies(jobs: readonly ScoreJob[], options: ScoreCellsOptions): Promise<ScoreCellsResult[]> {
  const started = performance.now();
  if (jobs.length === 0) return [];
  const first = jobs[0]!;
  for (const j of jobs) {
    if (j.space !== first.space || j.dataset !== first.dataset || j.batchSeed !== first.batchSeed || j.initSeed !== first.initSeed || j.dataDir !== first.dataDir) {
      throw new RangeError(`scoreProxies: jobs must share space, dataset, seeds and data (${j.proxy} differs from ${first.proxy})`);
    }
  }
  if (new Set(jobs.map((j) => j.proxy)).size !== jobs.length) throw new RangeError('scoreProxies: a proxy is listed twice');
  // The parent resolves the backend so that the cache key names the backend actually used.
  const backend = await initBackend(options.backend);
  // ... and the fast executor, loaded here once so that the key names what the workers run.
  const fast = resolveFastExecutor(executorChoiceOf(options.executor));
  const caches = jobs.map((job) => openScoreCache(options.cacheDir, scoreCacheKeyOf(job, backend, fast?.identity)));
  const unique = [...new Map(options.cells.map((t) => [t.key, t])).values()];
  const todo: ScoreTask[] = [];
  for (const t of unique) {
    const missing = jobs.filter((_j, i) => {
      const c = caches[i]!.get(t.key);
      return c === undefined || c.status === 'error';
    });
    if (missing.length > 0) todo.push({ ...t, ...(missing.length < jobs.length ? { proxies: missing.map((j) => j.proxy) } : {}) });
  }
  const failed = jobs.map(() => 0);
  const cacheOf = new Map(jobs.map((j, i) => [j.proxy, caches[i]!]));
  const indexOf = new Map(jobs.map((j, i) => [j.proxy, i]));
  try {
    if (todo.length > 0) {
      const progress = createProgress(options.label ?? `${jobs.map((j) => j.proxy).join('+')} on ${first.space}`, todo.length);
      const setup: WorkerSetup = { jobs: [...jobs], onnx: fast !== undefined };
      await runPool<ScoreTask, ScoreTaskResult>({
        workerModule: WORKER_MODULE,
        tasks: todo,
        workers: Math.min(options.workers ?? availableParallelism(), todo.length),
        backend: backend.name,
        workerData: setup,
        onResult: (task, result) => {
          for (const [name, outcome] of Object.entries(result.outcomes)) {
            const cache = cacheOf.get(name)!;
            if ('error' in outcome) {
              cache.put(task.key, { score: null, status: 'error', seconds: outcome.seconds, error: outcome.error });
              failed[indexOf.get(name)!]!++;
            } else {
              const score = decodeScore(outcome.score);
              const parts = outcome.parts ? Object.fromEntries(Object.entries(outcome.parts).map(([k, v]) => [k, decodeScore(v)])) : undefined;
              cache.put(task.key, { score, status: scoreStatus(score), seconds: outcome.seconds, ...(parts ? { parts } : {}) });
            }
          }
          progress.tick();
        },
        onFailure: (task, failure) => {
          for (const name of task.proxies ?? jobs.map((j) => j.proxy)) {
            cacheOf.get(name)!.put(task.key, { score: null, status: 'error', seconds: 0, error: `${failure.kind}: ${failure.message}` });
            failed[indexOf.get(name)!]!++;
          }
          progress.tick();
        },
      });
      progress.done();
    }
    const wallSeconds = (performance.now() - started) / 1000;
    return jobs.map((job, i) => {
      const cache = caches[i]!;
      const cells = unique.map((t): ScoredCell => {
        const c = cache.get(t.key)!;
        return { key: t.key, score: c.score ?? NaN, status: c.status, seconds: c.seconds, ...(c.parts ? { parts: c.parts } : {}), ...(c.error ? { error: c.error } : {}) };
      });
      const computed = todo.filter((t) => !t.proxies || t.proxies.includes(job.proxy)).length;
      const executor = fast && fastServes({}, getProxy(job.proxy)) ? fast.identity : 'tfjs';
      return { cells, backend, executor, computed, failed: failed[i]!, wallSeconds, cacheFile: cache.file };
    });
  } finally {
    for (const c of caches) c.close();
  }
}

/**
 * The backend as the cache records it: name, version and, for the native backend, which build
 * (tfjs-node's CPU build and tfjs-node-gpu compute differently) and, for webgpu, which adapter.
 */
export function backendIdentity(backend: BackendInfo): string {
  // The webgpu detail names the adapter: a software llvmpipe adapter and a GPU are different runs.
  return backend.name === 'tensorflow' || backend.name === 'webgpu' ? `${backend.name}@${backend.version} (${backend.detail})` : `${backend.name}@${backend.version}`;
}

/**
 * Everything that can change a proxy's score, as the score cache key: the proxy's settings and
 * needs, the network variant resolved for the job's space (NB101's stem, BN and initialisation;
 * never an NB201 variant for an NB101 job), the image size data-free proxies feed, the versions of
 * the proxy, of the space's network description and of the executors, the seeds, the batch and
 * the backend with its version. Two configurations that can give different scores never share
 * an entry; a changed implementation (a bumped version) never reuses the old one's scores.
 */
export function scoreCacheKeyOf(job: ScoreJob, backend: BackendInfo, fastExecutor?: string): ScoreCacheKey {
  const proxy = getProxy(job.proxy);
  // The fast executor (ONNX Runtime) is named only for proxies whose numbers it computes
  // (executor-choice.ts fastServes); it has no gradient pass yet.
  const fast = fastExecutor !== undefined && fastServes({}, proxy) ? fastExecutor : undefined;
  const numClasses = NUM_CLASSES[job.dataset];
  const stem = job.nb101StemChannels ?? NB101_CPU_STEM_CHANNELS;
  const network = variantOptions(job.space, { variant: proxy.network, numClasses, nb101StemChannels: stem, ...(job.initScheme ? { initScheme: job.initScheme } : {}) });
  const images = proxy.needs.images === 'batch';
  return {
    space: job.space,
    proxy: job.proxy,
    config: {
      settings: job.settings,
      needs: proxy.needs,
      network: { variant: proxy.network, ...network },
      dataset: job.dataset,
      ...(images ? {} : { imageSize: IMAGE_SIZE[job.dataset] }),
      code: {
        proxy: proxy.version,
        graph: job.space === 'nb201' ? NB201_GRAPH_VERSION : NB101_GRAPH_VERSION,
        tfjsExecutor: TFJS_EXECUTOR_VERSION,
        ...(fast ? { fastExecutor: fast } : {}),
      },
    },
    batch: batchId(job, images, proxy.needs.batches ?? 1),
    seed: job.initSeed,
    backend: backendIdentity(backend),
  };
}
