import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { importNB101 } from '../../src/benchmarks/import-nb101.ts';
import { readNB101Csv } from '../../src/benchmarks/nb101-csv.ts';
import { StoreBuilder } from '../../src/benchmarks/store-writer.ts';
import { reproduceNB101 } from '../../experiments/reproduce-nb101.ts';
import { DATA_DIR, dataFile } from '../helpers/data.ts';

// `make reproduce-nb101` end to end on a few cells at a small batch and stem. The ground truth is
// the hash-only 20k table; its matrices come from a space store (here built from the 1k cells
// with matrices instead of the 35 s full enumeration), so the join is exercised too.
// End to end on real data with worker processes: minutes on a loaded 2-core machine, so a
// generous safety net instead of the suite's 120 s default (speed lives in `make bench`).
const END_TO_END_TIMEOUT_MS = 600_000;

describe('reproduce-nb101 (quick)', () => {
  it('joins hash-only ground truth to the space, scores, correlates and writes the table', async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'nasrepro-repro101-'));
    const storeDir = path.join(tmp, 'store');
    mkdirSync(storeDir);
    await importNB101([dataFile('nb101', 'nb101-hash-accuracy-20k.csv')], path.join(storeDir, 'nb101.h5'));
    const space = new StoreBuilder('nb101', 1024);
    const withMatrix = new Set<string>();
    await readNB101Csv(dataFile('nb101', 'nb101-cells-1k.csv'), (r) => {
      space.setNB101Cell(space.row(r.hash), r.matrix!, r.ops!);
      withMatrix.add(r.hash);
    });
    await space.write(path.join(storeDir, 'nb101-space.h5'), []);
    const hashOnly = (parse(readFileSync(dataFile('nb101', 'nb101-hash-accuracy-20k.csv')), { columns: true }) as Record<string, string>[]).map((r) => r.key!);
    const expectedJoined = hashOnly.filter((h) => withMatrix.has(h)).length;

    // --store: this store (the hash-only table alone), not one built from every file in DATA/nb101/
    const page = await reproduceNB101({
      data: DATA_DIR, storeDir, store: path.join(storeDir, 'nb101.h5'), sample: '6', sampleSeed: '0', stem: '4', batch: '8', workers: '2',
      out: path.join(tmp, 'results'), cacheDir: path.join(tmp, 'cache'), zeroCostCells: '5', graspCells: '3', bnSteps: '4', fairBnCells: '4',
      only: 'naswot,zero-cost,bn-nas,fair-bn', // nbsz and newer-proxies: test/experiments/nbsz.test.ts
    });
    expect(expectedJoined).toBeGreaterThan(0);
    expect(page).toContain(`Cells with ground truth and a matrix: ${expectedJoined} (${expectedJoined} hash-only rows joined`);
    expect(page).toContain('6 computed this run');
    const rows = parse(readFileSync(path.join(tmp, 'results', 'naswot', 'correlation.csv')), { columns: true }) as Record<string, string>[];
    const tau = rows.find((r) => r.metric === 'kendall_tau')!;
    expect(Number(tau.n)).toBe(6);
    expect(Number(tau.published)).toBe(0.285);
    expect(tau.ground_truth).toMatch(/valid 108ep, one training run \(nb101-csv: nb101-hash-accuracy-20k\.csv\)/);
    expect(tau.notes).toMatch(/stem 4 channels/);
    expect(existsSync(path.join(tmp, 'results', 'naswot', 'scores-cifar10.csv'))).toBe(true);
    // the zero-cost rows: every proxy, |rho| beside the published NB101 value
    const zc = parse(readFileSync(path.join(tmp, 'results', 'zero-cost', 'correlation.csv')), { columns: true }) as Record<string, string>[];
    const synflow = zc.find((r) => r.method === 'synflow' && r.metric === 'spearman_abs')!;
    expect(Number(synflow.n) + Number(synflow.dropped)).toBe(5);
    expect(Number(synflow.published)).toBe(0.372);
    const grasp = zc.find((r) => r.method === 'grasp' && r.metric === 'spearman_abs')!;
    expect(Number(grasp.n) + Number(grasp.dropped)).toBe(3);
    expect(grasp.notes).toMatch(/batch 8 CIFAR-10 training images \(reference: 256\)/);
    // BN-NAS and the fair-BN reconstruction on the NB101 supernet: every indicator row measured
    const bn = parse(readFileSync(path.join(tmp, 'results', 'bn-nas', 'correlation.csv')), { columns: true }) as Record<string, string>[];
    for (const method of ['bn-nas (bn-only supernet)', 'bn-nas (standard supernet, equal time)', 'bn-nas (standard supernet, 2x time)', 'conv count (bn-nas at initialisation)']) {
      const r = bn.find((x) => x.method === method && x.metric === 'kendall_tau')!;
      expect(Number(r.n), method).toBe(6);
      expect(r.benchmark).toBe('nb101');
      expect(r.notes).toMatch(/channel-sliced weight sharing/);
    }
    const scores = parse(readFileSync(path.join(tmp, 'results', 'bn-nas', 'scores-cifar10.csv')), { columns: true }) as Record<string, string>[];
    for (const s of scores) expect(Number.isInteger(Number(s.conv_count) / 3)).toBe(true); // 3 modules x conv vertices
    expect(page).toContain('Training-time ratio for equal indicator quality');
    const fair = parse(readFileSync(path.join(tmp, 'results', 'fair-bn', 'correlation.csv')), { columns: true }) as Record<string, string>[];
    for (const method of ['fair-bn composite (reconstruction)', 'fair-bn expressivity (reconstruction)', 'fair-bn trainability (reconstruction)', 'fair-bn uncertainty (reconstruction)', 'bn-nas on the fair supernet']) {
      const r = fair.find((x) => x.method === method && x.metric === 'kendall_tau')!;
      expect(Number(r.n) + Number(r.dropped), method).toBe(4);
    }
    // the original-space supernet was the BN-NAS experiment's checkpoint, not trained twice
    expect(readdirSync(path.join(tmp, 'cache', 'supernets-nb101')).filter((f) => f.startsWith('bn-only-'))).toHaveLength(1);
  }, END_TO_END_TIMEOUT_MS);
});
