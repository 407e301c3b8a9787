import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importNB101 } from '../../src/benchmarks/import-nb101.ts';
import { importNB201 } from '../../src/benchmarks/import-nb201.ts';
import { md5SuffixInName } from '../../src/benchmarks/releases.ts';
import { sourceDigests } from '../../src/benchmarks/source-info.ts';
import { dataFile } from '../helpers/data.ts';
import { errorOf } from '../helpers/errors.ts';

// A downloaded benchmark file is checked before it is imported: the MD5 suffix an NB201 name
// carries, the published SHA-256 of the NB101 tfrecords, and a saved web page in its place.

const tmp = mkdtempSync(path.join(tmpdir(), 'nasrepro-verify-'));

describe('checksums of official files on import', () => {
  it("refuses an NB201 .pth whose MD5 does not end with its name's digits, naming the found MD5 and the mirrors", async () => {
    const sample = dataFile('nb201', 'NAS-Bench-201-sample-legacy.pth');
    const { md5 } = await sourceDigests(sample);
    const renamed = path.join(tmp, 'NAS-Bench-201-v1_0-e61699.pth');
    copyFileSync(sample, renamed);
    const e = await errorOf(importNB201(renamed, path.join(tmp, 'a.h5')));
    expect(e.message).toContain(`${renamed}: checksum mismatch: the name says its MD5 ends in e61699, this file's MD5 is ${md5}`);
    expect(e.message).toContain('https://drive.google.com/file/d/1SKW0Cu0u8-gb18zDpaAGi0f74UdXeGKs');
    expect(e.message).toContain('--skip-checksum');
    // --skip-checksum imports it anyway
    expect((await importNB201(renamed, path.join(tmp, 'b.h5'), { skipChecksum: true })).records).toBe(3);
  });

  it('accepts a .pth whose MD5 ends with the digits its name carries', async () => {
    const sample = dataFile('nb201', 'NAS-Bench-201-sample-legacy.pth');
    const { md5 } = await sourceDigests(sample);
    const named = path.join(tmp, `NAS-Bench-201-v1_1-${md5.slice(-6)}.pth`);
    expect(md5SuffixInName(named)).toBe(md5.slice(-6));
    copyFileSync(sample, named);
    expect((await importNB201(named, path.join(tmp, 'c.h5'))).records).toBe(3);
  });

  it('refuses an official NB101 tfrecord name whose SHA-256 is not the published one', async () => {
    const renamed = path.join(tmp, 'nasbench_only108.tfrecord');
    copyFileSync(dataFile('nb101', 'nb101-sample.tfrecord'), renamed);
    const e = await errorOf(importNB101([renamed], path.join(tmp, 'd.h5')));
    expect(e.message).toMatch(/checksum mismatch: the published SHA-256 of nasbench_only108\.tfrecord is 4c39c393/);
    expect(e.message).toContain('https://storage.googleapis.com/nasbench/nasbench_only108.tfrecord');
  });

  it('recognises a web page saved under a benchmark name', async () => {
    const page = path.join(tmp, 'NAS-Bench-201-v1_1-096897.pth');
    writeFileSync(page, '<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title></head><body>...</body></html>');
    const e = await errorOf(importNB201(page, path.join(tmp, 'e.h5')));
    expect(e.message).toMatch(/NAS-Bench-201-v1_1-096897\.pth: is an HTML page, not the benchmark file/);
    expect(e.message).toContain('https://drive.google.com/file/d/16Y0UwGisiouVRxW-W5hEtbxmcHw_0hF_');
  });
});
