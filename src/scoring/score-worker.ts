/**
 * Worker process of the scoring pool: loads the image batch once, then scores cells one by one.
 */
import { serveTasks } from '../engine/worker-serve.ts';
import type { ScoreTask, ScoreTaskResult, WorkerSetup } from './score-job.ts';
import { encodeScore } from './score-job.ts';
import { contextFor, scoreNB201Cell, type ScoreContext } from './score-one.ts';

serveTasks<ScoreTask, ScoreTaskResult, ScoreContext>(
  async (task, ctx) => {
    const { score, seconds } = await scoreNB201Cell(task.index, ctx);
    return { score: encodeScore(score), seconds };
  },
  { setup: (data) => contextFor((data as WorkerSetup).job) },
);
