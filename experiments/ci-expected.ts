/**
 * The small reproduction the project's own CI checks against a committed expected table
 * (results/expected/nb201-naswot-ci/), and the command that regenerates that table:
 *
 *   make expected-ci [DATA=data]        (node --import tsx experiments/ci-expected.ts --data DIR)
 *
 * It is `make reproduce-nb201 --only naswot` (the same function, reproduceNB201) on 24 cells
 * sampled with seed 0, one weight initialisation, a batch of 16 CIFAR-10 images, on the wasm
 * backend with 2 workers, with a fresh score cache: nothing is reused from an earlier run.
 *
 * Why these settings: the suite must stay under 15 minutes on 2 cores. NASWOT at its reference
 * batch of 128 took 17 s per cell per worker on a loaded 2-core machine (32 cells: 294 s); at a
 * batch of 16 the kernel matrix is 16 x 16 and a cell takes ~1 s, so the whole test stays within
 * a minute. The backend is pinned (wasm, the one every machine has) because the table records it
 * and another backend's float rounding is not a regression.
 *
 * How tight the check is: on the same backend the scores are bit-for-bit reproducible, so the
 * values match exactly. The test uses a tolerance of 0.005, below the smallest change a proxy can
 * make to Kendall's τ over 24 cells (one pair of cells changing order moves τ by 2/276 = 0.0072),
 * and it proves that on the run's own scores: swapping the ranks of two cells turns it red.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { reproduceNB201, type Options } from './reproduce-nb201.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CI_EXPECTED_DIR = path.join(REPO, 'results', 'expected', 'nb201-naswot-ci');
/** The check's tolerance for this table (see the header: below one pair swap of τ over 24 cells). */
export const CI_TOLERANCE = 0.005;

export const CI_SETTINGS = { only: 'naswot', sample: 24, sampleSeed: 0, batch: 16, initSeeds: '0', backend: 'wasm', workers: 2 } as const;

/** The command line equivalent, recorded in the provenance. */
export function ciCommand(data: string): string {
  const s = CI_SETTINGS;
  return `node --import tsx experiments/reproduce-nb201.ts --data ${data} --only ${s.only} --sample ${s.sample} --sample-seed ${s.sampleSeed} --batch ${s.batch} --init-seeds ${s.initSeeds} --backend ${s.backend} --workers ${s.workers}`;
}

/** Runs the CI reproduction into `work` (store, cache and results all fresh there); returns the results dir. */
export async function runCiReproduction(data: string, work: string): Promise<{ out: string; page: string; seconds: number }> {
  const s = CI_SETTINGS;
  const options: Options = {
    data,
    storeDir: path.join(work, 'store'),
    sample: String(s.sample),
    sampleSeed: String(s.sampleSeed),
    batch: String(s.batch),
    initSeeds: s.initSeeds,
    backend: s.backend,
    workers: String(s.workers),
    only: s.only,
    out: path.join(work, 'results'),
    cacheDir: path.join(work, 'cache'),
    zeroCostCells: '0',
    graspCells: '0',
  };
  const started = performance.now();
  const page = await reproduceNB201(options);
  return { out: options.out, page, seconds: (performance.now() - started) / 1000 };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const i = process.argv.indexOf('--data');
  const data = i > 0 ? process.argv[i + 1]! : (process.env.DATA ?? 'data');
  const work = mkdtempSync(path.join(tmpdir(), 'nasrepro-expected-'));
  const { out, seconds } = await runCiReproduction(data, work);
  rmSync(CI_EXPECTED_DIR, { recursive: true, force: true });
  mkdirSync(path.join(CI_EXPECTED_DIR, 'naswot'), { recursive: true });
  for (const f of ['correlation.csv', 'correlation.md', 'scores-cifar10.csv']) cpSync(path.join(out, 'naswot', f), path.join(CI_EXPECTED_DIR, 'naswot', f));
  const provenance = {
    command: ciCommand(data),
    regenerate: `make expected-ci DATA=${data}`,
    data: { dir: data, benchmark: 'nb201/nb201-accuracies.csv (+ the official samples beside it)', images: 'cifar10/cifar-10-batches-bin/data_batch_1.bin' },
    settings: CI_SETTINGS,
    backend: 'wasm 4.22.0 (tfjs-backend-wasm; the correlation.csv backend column)',
    date: new Date().toISOString(),
    seconds: Number(seconds.toFixed(1)),
    tolerance: CI_TOLERANCE,
  };
  writeFileSync(path.join(CI_EXPECTED_DIR, 'PROVENANCE.json'), `${JSON.stringify(provenance, null, 2)}\n`);
  rmSync(work, { recursive: true, force: true });
  process.stdout.write(`wrote ${CI_EXPECTED_DIR} in ${seconds.toFixed(1)} s\n`);
}
