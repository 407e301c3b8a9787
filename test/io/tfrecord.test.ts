import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataFile } from '../helpers/data.ts';
import { DataError } from '../../src/util/errors.ts';
import { crc32c, encodeTfrecord, maskCrc32c, readTfrecord } from '../../src/io/tfrecord.ts';
import { errorOf } from '../helpers/errors.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'nasrepro-tfrecord-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeRecords(name: string, payloads: Buffer[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, Buffer.concat(payloads.map((p) => encodeTfrecord(p))));
  return file;
}

async function readAll(file: string, chunkBytes?: number): Promise<{ payloads: Buffer[]; offsets: number[] }> {
  const payloads: Buffer[] = [];
  const offsets: number[] = [];
  await readTfrecord(file, (p, o) => {
    payloads.push(p);
    offsets.push(o);
  }, { chunkBytes });
  return { payloads, offsets };
}

describe('crc32c', () => {
  it('matches the standard check value and the RFC 3720 vectors', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    const inc = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
    expect(crc32c(inc)).toBe(0x46dd794e);
  });

  it('gives the same value over a sub-range as over a copy of it (slicing by 8 and the tail agree)', () => {
    const b = Buffer.from(Array.from({ length: 61 }, (_, i) => (i * 37 + 11) & 0xff));
    for (const [s, e] of [[0, 61], [3, 60], [5, 12], [7, 8]]) {
      expect(crc32c(b, s, e)).toBe(crc32c(Buffer.from(b.subarray(s, e))));
    }
  });

  it('masks as TFRecord does', () => {
    expect(maskCrc32c(0)).toBe(0xa282ead8);
    // Rotation by 15: bit 15 lands on bit 0.
    expect(maskCrc32c(1 << 15)).toBe((1 + 0xa282ead8) >>> 0);
  });
});

describe('readTfrecord', () => {
  it('reads the shared NB101 sample: 4,000 records, every CRC valid, whole file consumed', async () => {
    const file = dataFile('nb101', 'nb101-sample.tfrecord');
    let first = '';
    const s = await readTfrecord(file, (p, o) => {
      if (o === 0) first = p.toString('utf8');
    });
    expect(s.records).toBe(4000);
    expect(s.bytes).toBe(readFileSync(file).length);
    expect(first.startsWith('["00005c142e6f48ac74fdcf73e3439874", 4,')).toBe(true);
  });

  it('round-trips payloads across chunk boundaries and payloads larger than a chunk', async () => {
    const payloads = [Buffer.from('a'), Buffer.alloc(0), Buffer.alloc(100, 7), Buffer.from('hello world'), Buffer.alloc(37, 1)];
    const file = writeRecords('roundtrip.tfrecord', payloads);
    for (const chunk of [16, 17, 50, 1 << 20]) {
      const { payloads: got, offsets } = await readAll(file, chunk);
      expect(got).toEqual(payloads);
      expect(offsets).toEqual([0, 17, 33, 149, 176]);
    }
  });

  it('reports a flipped payload byte as a CRC mismatch at the record offset', async () => {
    const file = writeRecords('flip.tfrecord', [Buffer.from('first'), Buffer.from('second')]);
    const bytes = readFileSync(file);
    bytes[21 + 12 + 2] ^= 0x01; // inside the second payload (first record is 12+5+4 = 21 bytes)
    writeFileSync(file, bytes);
    const e = await errorOf(readAll(file));
    expect(e.message).toMatch(/payload CRC mismatch/);
    expect(e.offset).toBe(21);
    expect(e.file).toBe(file);
  });

  it('reports a flipped length byte as a length CRC mismatch', async () => {
    const file = writeRecords('flip-len.tfrecord', [Buffer.from('first')]);
    const bytes = readFileSync(file);
    bytes[0] ^= 0x02;
    writeFileSync(file, bytes);
    const e = await errorOf(readAll(file));
    expect(e.message).toMatch(/length CRC mismatch/);
    expect(e.offset).toBe(0);
  });

  it('reports a truncated record and a truncated header with their offsets', async () => {
    const file = writeRecords('trunc.tfrecord', [Buffer.from('first'), Buffer.from('second record')]);
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 3));
    let e = await errorOf(readAll(file));
    expect(e.message).toMatch(/truncated TFRecord: header says 13 payload bytes/);
    expect(e.offset).toBe(21);
    writeFileSync(file, bytes.subarray(0, 21 + 5));
    e = await errorOf(readAll(file));
    expect(e.message).toMatch(/truncated TFRecord header: 5 of 12 bytes/);
    expect(e.offset).toBe(21);
  });

  it('reads an empty file as zero records', async () => {
    const file = path.join(dir, 'empty.tfrecord');
    writeFileSync(file, Buffer.alloc(0));
    expect(await readTfrecord(file, () => undefined)).toEqual({ records: 0, bytes: 0 });
  });
});
