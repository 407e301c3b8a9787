/**
 * Turns one NB201 / NATS-Bench ArchResults (as its state dict, which is how both the .pth files
 * and the NATS "-simple" files store it) into the flat MetricValue rows of records.ts.
 *
 * ArchResults: {arch_index, arch_str, all_results: {(dataset, seed): ResultsCount}, dataset_seed,
 * clear_net_done}. ResultsCount: {name, params, flop, seed, epochs, latency[], eval_names,
 * eval_acc1es {'x-valid@199': ...}, eval_losses, eval_times, train_acc1es {epoch: ...},
 * train_losses, train_times, net_state_dict, ...}.
 *
 * What we keep per (dataset, seed), at the final epoch `epochs - 1` (199 for hp 200, 11 for the
 * 12-epoch 'less' / '12' results; checked on the shared sample, where these are the last keys):
 *   - each eval split (x-valid, x-test, ori-test): accuracy, loss, and time = the sum of that
 *     split's per-epoch eval times over all epochs (the NB201 API's 'all_time');
 *   - split 'train': accuracy, loss, time = sum of per-epoch train times (again 'all_time');
 *   - split 'model': params_M (params), flops_M (flop), latency_s = mean of the latency list (the
 *     NB201 API also reports the mean; the files hold one measurement per run).
 * The seed is the one in the all_results key ('777'; the ResultsCount's own `seed` is '0777').
 * Seed means are left to the store.
 */
import { DataError, type DataErrorWhere } from '../util/errors.ts';
import { asDict, asNumber, PyDict, PyTuple, pyTypeName, type PyValue } from '../io/pickle-values.ts';
import type { MetricValue } from './records.ts';

export interface ArchResultsSummary {
  archIndex: number | undefined;
  arch: string;
  metrics: MetricValue[];
}

/** `what` names the record in messages, e.g. 'arch2infos[11]["full"]'. */
export function archResultsToMetrics(v: PyValue, what: string, where: DataErrorWhere): ArchResultsSummary {
  const bad = (m: string): never => {
    throw new DataError(`${what}: ${m}`, where);
  };
  const ar = asDict(v) ?? bad(`expected an ArchResults (dict), got ${pyTypeName(v)}`);
  const arch = ar.get('arch_str');
  if (typeof arch !== 'string') bad(`arch_str is ${pyTypeName(arch)}`);
  const archIndex = asNumber(ar.get('arch_index'));
  const all = asDict(ar.get('all_results')) ?? bad(`all_results is ${pyTypeName(ar.get('all_results'))}`);
  const metrics: MetricValue[] = [];
  for (const [key, value] of all.entries()) {
    const pair = key instanceof PyTuple && key.items.length === 2 && typeof key.items[0] === 'string' ? key.items : undefined;
    if (pair === undefined) bad(`all_results key is ${pyTypeName(key)}, expected a (dataset, seed) tuple`);
    const dataset = pair![0] as string;
    const seedValue = pair![1];
    const seed = typeof seedValue === 'number' || typeof seedValue === 'bigint' || typeof seedValue === 'string' ? String(seedValue) : bad(`seed of ${dataset} is ${pyTypeName(seedValue)}`);
    const rc = asDict(value) ?? bad(`all_results[(${dataset}, ${seed})] is ${pyTypeName(value)}`);
    resultsCountMetrics(rc, dataset, seed, `${what}.all_results[(${dataset}, ${seed})]`, bad, metrics);
  }
  return { archIndex, arch: arch as string, metrics };
}

function resultsCountMetrics(
  rc: PyDict,
  dataset: string,
  seed: string,
  what: string,
  bad: (m: string) => never,
  out: MetricValue[],
): void {
  const epochs = asNumber(rc.get('epochs'));
  if (epochs === undefined || !Number.isInteger(epochs) || epochs < 1) bad(`${what}.epochs is ${pyTypeName(rc.get('epochs'))}`);
  const last = epochs! - 1;
  const push = (split: string, metric: string, value: number | undefined): void => {
    if (value !== undefined) out.push({ dataset, split, metric, epochs: epochs!, seed, value });
  };

  const evalNames = rc.get('eval_names');
  const names = Array.isArray(evalNames) ? evalNames : bad(`${what}.eval_names is ${pyTypeName(evalNames)}`);
  const acc = asDict(rc.get('eval_acc1es')) ?? bad(`${what}.eval_acc1es is ${pyTypeName(rc.get('eval_acc1es'))}`);
  const losses = asDict(rc.get('eval_losses'));
  const times = asDict(rc.get('eval_times'));
  for (const name of names) {
    if (typeof name !== 'string') bad(`${what}.eval_names holds a ${pyTypeName(name)}`);
    const k = `${name}@${last}`;
    const a = asNumber(acc.get(k));
    if (a === undefined) bad(`${what}.eval_acc1es has no '${k}' (the final epoch of ${epochs})`);
    push(name as string, 'accuracy', a);
    push(name as string, 'loss', asNumber(losses?.get(k)));
    push(name as string, 'time', sumOverEpochs(times, last, (e) => `${name}@${e}`));
  }

  const trainAcc = asDict(rc.get('train_acc1es'));
  push('train', 'accuracy', asNumber(trainAcc?.get(last)));
  push('train', 'loss', asNumber(asDict(rc.get('train_losses'))?.get(last)));
  push('train', 'time', sumOverEpochs(asDict(rc.get('train_times')), last, (e) => e));

  push('model', 'params_M', asNumber(rc.get('params')));
  push('model', 'flops_M', asNumber(rc.get('flop')));
  const latency = rc.get('latency');
  if (Array.isArray(latency) && latency.length > 0) {
    const xs = latency.map((x) => asNumber(x));
    if (xs.every((x): x is number => x !== undefined)) push('model', 'latency_s', xs.reduce((s, x) => s + x, 0) / xs.length);
  }
}

/** Sum of per-epoch values 0..last, or undefined when any epoch is missing (then we keep none). */
function sumOverEpochs(d: PyDict | undefined, last: number, key: (e: number) => PyValue): number | undefined {
  if (d === undefined) return undefined;
  let s = 0;
  for (let e = 0; e <= last; e++) {
    const x = asNumber(d.get(key(e)));
    if (x === undefined) return undefined;
    s += x;
  }
  return s;
}
