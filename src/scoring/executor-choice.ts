/**
 * Which fast executor a scoring run uses (ExecutorChoice in score-job.ts), resolved once in the
 * parent process so that the score cache key names the executor the workers actually run:
 *   - 'tfjs': none; everything on tfjs.
 *   - 'onnx': ONNX Runtime (src/executors/onnx-executor.ts); an error when it cannot load.
 *   - 'auto' (default): ONNX Runtime where it loads; otherwise one line on stderr and tfjs.
 * The default can be set for every run of a process with NASREPRO_EXECUTOR (so the reproduce
 * scripts pass it through without an option of their own).
 *
 * What the fast executor serves (context.ts CellSession): NASWOT's ReLU-code kernel, the only
 * forward-only work it runs today; it has no gradient pass. So the cache key names it for
 * forward-only proxies (needs.gradients 'none'), the ones whose numbers it can produce, and not
 * for gradient proxies, whose scores stay on tfjs and keep their cache entries.
 */
import { OnnxExecutor, tryOnnxExecutor } from '../executors/onnx-executor.ts';
import type { FastExecutor } from '../proxies/context.ts';
import type { ProxyDefinition, ProxySettings } from '../proxies/types.ts';
import { DataError } from '../util/errors.ts';
import type { ExecutorChoice } from './score-job.ts';

export const EXECUTOR_CHOICES: readonly ExecutorChoice[] = ['auto', 'tfjs', 'onnx'];

export function parseExecutorChoice(v: string | undefined, where = '--executor'): ExecutorChoice {
  if (v === undefined || v === '') return 'auto';
  if (!(EXECUTOR_CHOICES as readonly string[]).includes(v)) throw new DataError(`${where} must be one of ${EXECUTOR_CHOICES.join(', ')}, got '${v}'`);
  return v as ExecutorChoice;
}

/** The run's choice: the caller's, else NASREPRO_EXECUTOR, else 'auto'. */
export function executorChoiceOf(choice?: ExecutorChoice): ExecutorChoice {
  return choice ?? parseExecutorChoice(process.env.NASREPRO_EXECUTOR, 'NASREPRO_EXECUTOR');
}

const noted = new Set<string>();

/** Compile-time check that the ONNX executor has the FastExecutor shape the proxy context takes. */
const _onnxIsFast: (e: OnnxExecutor) => FastExecutor = (e) => e;
void _onnxIsFast;

/** The fast executor for a choice (undefined: tfjs only). `log` gets the one-line fallback note. */
export function resolveFastExecutor(
  choice: ExecutorChoice,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  load: () => { executor?: OnnxExecutor; why?: string } = tryOnnxExecutor,
): OnnxExecutor | undefined {
  if (choice === 'tfjs') return undefined;
  const { executor, why } = load();
  if (executor) return executor;
  if (choice === 'onnx') throw new DataError(`--executor onnx: ${why}`);
  if (!noted.has(why!)) {
    noted.add(why!);
    log(`nasrepro: ${why}; scoring on tfjs`);
  }
  return undefined;
}

/** Whether the fast executor can produce this proxy's numbers (see the file comment). */
export function fastServes(fast: Pick<FastExecutor, 'grads'>, proxy: ProxyDefinition<ProxySettings>): boolean {
  return proxy.needs.gradients === 'none' || (proxy.needs.gradients === 'first' && fast.grads !== undefined);
}
