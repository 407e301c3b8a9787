import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverSources, openBenchmarkStore } from '../../src/pipeline/data-sources.ts';
import { dataFile } from '../helpers/data.ts';
import { errorOf } from '../helpers/errors.ts';

// What data discovery finds, ignores and imports (NB201's end-to-end run is in
// test/experiments/official-files.test.ts).

function tmp(): string {
  return mkdtempSync(path.join(tmpdir(), 'nasrepro-discover-'));
}

describe('discoverSources / openBenchmarkStore', () => {
  it('lists the benchmark files, and says why it ignores the rest', () => {
    const data = tmp();
    mkdirSync(path.join(data, 'nb201', 'empty-dir'), { recursive: true });
    symlinkSync(dataFile('nb201', 'NATS-tss-v1_0-3ffb9-simple'), path.join(data, 'nb201', 'NATS-tss-v1_0-3ffb9-simple'));
    writeFileSync(path.join(data, 'nb201', 'NATS-tss-v1_0-3ffb9.pickle.pbz2'), 'x');
    writeFileSync(path.join(data, 'nb201', 'NAS-Bench-201-v1_1-096897.pth.part'), 'x');
    const d = discoverSources(data, 'nb201');
    expect(d.sources.map((s) => [s.name, s.kind, s.release?.origin])).toEqual([['NATS-tss-v1_0-3ffb9-simple', 'nats-tss', 'nats-tss-v1_0']]);
    const why = Object.fromEntries(d.ignored.map((x) => [path.basename(x.path), x.why]));
    expect(why['NATS-tss-v1_0-3ffb9.pickle.pbz2']).toMatch(/unpack the matching "-simple.tar"/);
    expect(why['NAS-Bench-201-v1_1-096897.pth.part']).toMatch(/incomplete download/);
    expect(why['empty-dir']).toMatch(/not a NATS-tss/);
  });

  it('with no benchmark file and no store, names the directory and the files it looks for', async () => {
    const data = tmp();
    const e = await errorOf(openBenchmarkStore({ benchmark: 'nb201', data, storeDir: path.join(data, 'store'), log: () => {} }));
    expect(e.message).toContain(`${path.join(data, 'nb201')}: no NB201 benchmark files here: put NAS-Bench-201-v1_0-e61699.pth, NAS-Bench-201-v1_1-096897.pth`);
  });

  it('imports the NB101 files once, and again when one changes', async () => {
    const data = tmp();
    mkdirSync(path.join(data, 'nb101'));
    const csv = path.join(data, 'nb101', 'cells.csv');
    copyFileSync(dataFile('nb101', 'nb101-cells-1k.csv'), csv); // a copy: its mtime is changed below
    symlinkSync(dataFile('nb101', 'nb101-sample.tfrecord'), path.join(data, 'nb101', 'sample.tfrecord'));
    const storeDir = path.join(data, 'store');
    const first = await openBenchmarkStore({ benchmark: 'nb101', data, storeDir, log: () => {} });
    expect(first.imported.map((f) => path.basename(f))).toEqual(['cells.csv', 'sample.tfrecord']);
    expect(new Set(first.store.sources.map((s) => s.origin))).toEqual(new Set(['nb101', 'nb101-csv']));
    first.store.close();
    const second = await openBenchmarkStore({ benchmark: 'nb101', data, storeDir, log: () => {} });
    expect(second.imported).toEqual([]);
    second.store.close();
    // a replaced file (here: a new modification time) is imported again
    const when = new Date(Date.now() - 3_600_000);
    utimesSync(csv, when, when);
    const third = await openBenchmarkStore({ benchmark: 'nb101', data, storeDir, log: () => {} });
    expect(third.imported.length).toBe(2);
    third.store.close();
  });
});
