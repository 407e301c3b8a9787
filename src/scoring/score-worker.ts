/**
 * Worker process of the scoring pool: prepares each job's context once (image batches are
 * loaded once and shared), then scores cells one by one with the proxies each task names.
 */
import { serveTasks } from '../engine/worker-serve.ts';
import { OnnxExecutor } from '../executors/onnx-executor.ts';
import type { ScoreTask, ScoreTaskResult, WorkerSetup } from './score-job.ts';
import { contextFor, scoreCellWith, type ScoreContext } from './score-one.ts';

serveTasks<ScoreTask, ScoreTaskResult, ScoreContext[]>(
  async (task, contexts) => {
    const wanted = task.proxies ? contexts.filter((c) => task.proxies!.includes(c.proxy.name)) : contexts;
    const outcomes = await scoreCellWith(task, wanted);
    // When nothing succeeded, fail the task as a whole: the pool then retries it once on a fresh
    // worker (an engine fault can leave this one unreliable) and records the failure for all.
    const errors = Object.entries(outcomes).filter(([, o]) => 'error' in o);
    if (errors.length === wanted.length && errors.length > 0) {
      throw new Error(errors.map(([name, o]) => `${name}: ${(o as { error: string }).error}`).join('; '));
    }
    return { outcomes };
  },
  {
    setup: (data) => {
      const setup = data as WorkerSetup;
      // The parent loaded ONNX Runtime and keyed the cache with it: a worker that cannot must
      // fail (the error names why) rather than compute on tfjs under that key.
      const fast = setup.onnx ? new OnnxExecutor() : undefined;
      return setup.jobs.map((job) => contextFor(job, fast));
    },
  },
);
