import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CI_EXPECTED_DIR, CI_SETTINGS, CI_TOLERANCE, runCiReproduction } from '../../experiments/ci-expected.ts';
import { checkTables, readCheckSide } from '../../src/report/check.ts';
import { correlate } from '../../src/stats/correlate.ts';
import { DATA_DIR, dataFile } from '../helpers/data.ts';

// The project's own regression check: the small NASWOT reproduction (reproduce-nb201 --only
// naswot on 24 cells, batch 16, wasm, a fresh cache) against the committed expected table
// results/expected/nb201-naswot-ci/ (regenerate: make expected-ci). ~55 s on a loaded 2-core
// machine; a generous net instead of the suite's default.
const TIMEOUT_MS = 300_000;

describe('CI reproduction against results/expected/nb201-naswot-ci', () => {
  it('reproduces the committed table, and the smallest change a proxy can make turns it red', async () => {
    dataFile('cifar10', 'cifar-10-batches-bin', 'data_batch_1.bin');
    const work = mkdtempSync(path.join(tmpdir(), 'nasrepro-ci-'));
    const { out } = await runCiReproduction(DATA_DIR, work);
    const ours = readCheckSide(out);
    const expected = readCheckSide(CI_EXPECTED_DIR);
    const result = checkTables(ours, expected, CI_TOLERANCE);
    const failures = result.lines.filter((l) => l.verdict !== 'ok');
    expect(failures, JSON.stringify(failures, null, 1)).toEqual([]);
    const tauRow = ours.find((r) => r.method === 'naswot' && r.metric === 'kendall_tau' && r.dataset === 'cifar10' && r.groundTruth.startsWith('cifar10-valid x-valid'))!;
    expect(tauRow.n).toBe(CI_SETTINGS.sample);

    // A proxy change: the two cells adjacent in score order swap places (the least a changed
    // proxy can do to a ranking). τ over 24 cells moves by 2/276 = 0.0072 > the tolerance.
    const scores = parse(readFileSync(path.join(out, 'naswot', 'scores-cifar10.csv')), { columns: true }) as Record<string, string>[];
    const truth = Object.keys(scores[0]!).find((k) => k.startsWith('cifar10-valid x-valid'))!;
    const x = scores.map((r) => Number(r.naswot));
    const y = scores.map((r) => Number(r[truth]));
    expect(correlate('kendall_tau', x, y).value).toBeCloseTo(tauRow.value, 6);
    const byScore = x.map((_, i) => i).sort((a, b) => x[a]! - x[b]!);
    const [i, j] = [byScore[10]!, byScore[11]!];
    const swapped = x.slice();
    [swapped[i], swapped[j]] = [x[j]!, x[i]!];
    const moved = correlate('kendall_tau', swapped, y).value;
    // (the table holds τ to 6 decimals)
    expect(Math.abs(moved - tauRow.value)).toBeCloseTo(2 / 276, 5);
    const changed = ours.map((r) => (r === tauRow ? { ...r, value: moved } : r));
    const red = checkTables(changed, expected, CI_TOLERANCE);
    expect(red.lines.filter((l) => l.verdict !== 'ok').map((l) => [l.method, l.metric, l.verdict])).toEqual([['naswot', 'kendall_tau', 'drift']]);
  }, TIMEOUT_MS);
});
