/**
 * Worker process of the scoring pool: loads the image batch once, then scores cells one by one.
 */
import { serveTasks } from '../engine/worker-serve.ts';
import type { ScoreTask, ScoreTaskResult, WorkerSetup } from './score-job.ts';
import { encodeScore } from './score-job.ts';
import { contextFor, scoreCell, type ScoreContext } from './score-one.ts';

serveTasks<ScoreTask, ScoreTaskResult, ScoreContext>(
  async (task, ctx) => {
    const { score, seconds } = await scoreCell(task, ctx);
    return { score: encodeScore(score), seconds };
  },
  { setup: (data) => contextFor((data as WorkerSetup).job) },
);
