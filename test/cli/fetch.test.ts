import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchDataset } from '../../src/cli/fetch.ts';
import { loadCifar10 } from '../../src/datasets/cifar.ts';
import { safeEntryPath } from '../../src/io/tar.ts';
import { createPrng } from '../../src/stats/prng.ts';
import { errorOf } from '../helpers/errors.ts';

// `nasrepro fetch` against a loopback HTTP server that serves a small CIFAR-10-shaped archive
// (made by GNU tar, so the reader is tested on another program's output): success, resume of a
// partial download with a Range request, a response cut short, a wrong checksum and a 404.

const RECORD = 3073;
const IMAGES_PER_FILE = 2;
const FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'];

const tmp = mkdtempSync(path.join(tmpdir(), 'nasrepro-fetch-'));
let archive: Buffer;
let md5: string;
let base: string;
let server: http.Server;
const ranges: Array<string | undefined> = [];

function makeArchive(): Buffer {
  const src = path.join(tmp, 'src', 'cifar-10-batches-bin');
  mkdirSync(src, { recursive: true });
  const rng = createPrng(3);
  FILES.forEach((f, k) => {
    // seeded noise, so the archive does not compress to a few hundred bytes
    const b = Buffer.alloc(RECORD * IMAGES_PER_FILE);
    for (let i = 0; i < b.length; i++) b[i] = rng.nextInt(256);
    for (let i = 0; i < IMAGES_PER_FILE; i++) b[i * RECORD] = (k + i) % 10; // label
    writeFileSync(path.join(src, f), b);
  });
  writeFileSync(path.join(src, 'batches.meta.txt'), 'airplane\nautomobile\n');
  const out = path.join(tmp, 'cifar-10-binary.tar.gz');
  const r = spawnSync('tar', ['-czf', out, '-C', path.join(tmp, 'src'), 'cifar-10-batches-bin']);
  expect(r.status, String(r.stderr)).toBe(0);
  return readFileSync(out);
}

beforeAll(async () => {
  archive = makeArchive();
  md5 = createHash('md5').update(archive).digest('hex');
  server = http.createServer((req, res) => {
    ranges.push(req.headers.range);
    if (req.url === '/ok.tar.gz') {
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (m) {
        const start = Number(m[1]);
        if (start >= archive.length) {
          res.writeHead(416, { 'content-range': `bytes */${archive.length}` }).end();
          return;
        }
        res.writeHead(206, { 'content-length': archive.length - start, 'content-range': `bytes ${start}-${archive.length - 1}/${archive.length}` });
        res.end(archive.subarray(start));
        return;
      }
      res.writeHead(200, { 'content-length': archive.length }).end(archive);
    } else if (req.url === '/truncated.tar.gz') {
      // Promises the whole file, sends the first half, then drops the connection.
      res.writeHead(200, { 'content-length': archive.length });
      res.write(archive.subarray(0, Math.floor(archive.length / 2)), () => res.socket?.destroy());
    } else {
      res.writeHead(404).end('not here');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function dataDir(name: string): string {
  return path.join(tmp, name);
}

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/nasrepro.js', ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('nasrepro fetch (loopback server)', () => {
  it('downloads, verifies the checksum and unpacks into the layout the loader reads', async () => {
    const data = dataDir('ok');
    const r = await cli('fetch', 'cifar10', '--data', data, '--url', `${base}/ok.tar.gz`, '--md5', md5);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`md5 ${md5} verified`);
    const dir = path.join(data, 'cifar10', 'cifar-10-batches-bin');
    const train = loadCifar10(dir, 'train');
    expect(train.size).toBe(5 * IMAGES_PER_FILE);
    expect(readFileSync(path.join(dir, 'test_batch.bin')).equals(readFileSync(path.join(tmp, 'src', 'cifar-10-batches-bin', 'test_batch.bin')))).toBe(true);
    // the archive is removed after unpacking, no partial or staging file is left
    expect(existsSync(path.join(data, 'cifar10', 'cifar-10-binary.tar.gz'))).toBe(false);
    expect(existsSync(path.join(data, 'cifar10', 'cifar-10-binary.tar.gz.part'))).toBe(false);
    // a second run finds the files and downloads nothing
    const again = await cli('fetch', 'cifar10', '--data', data, '--url', `${base}/ok.tar.gz`, '--md5', md5);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already there/);
  });

  it('resumes a partial download with a Range request', async () => {
    const data = dataDir('resume');
    mkdirSync(path.join(data, 'cifar10'), { recursive: true });
    writeFileSync(path.join(data, 'cifar10', 'cifar-10-binary.tar.gz.part'), archive.subarray(0, 1000));
    ranges.length = 0;
    const s = await fetchDataset('cifar10', { data, url: `${base}/ok.tar.gz`, md5 });
    expect(ranges).toEqual(['bytes=1000-']);
    expect(s.resumedFrom).toBe(1000);
    expect(s.md5).toBe(md5);
    expect(loadCifar10(path.join(data, 'cifar10', 'cifar-10-batches-bin'), 'test').size).toBe(IMAGES_PER_FILE);
  });

  it('stops on a truncated response, keeps the partial file, and the next run resumes it', async () => {
    const data = dataDir('truncated');
    const e = await errorOf(fetchDataset('cifar10', { data, url: `${base}/truncated.tar.gz`, md5 }));
    expect(e.message).toMatch(/interrupted after \d+ bytes of \d+|ended after \d+ of \d+ bytes/);
    expect(e.message).toMatch(/next run resumes/);
    const part = path.join(data, 'cifar10', 'cifar-10-binary.tar.gz.part');
    const kept = statSync(part).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(archive.length);
    expect(existsSync(path.join(data, 'cifar10', 'cifar-10-batches-bin'))).toBe(false);
    ranges.length = 0;
    const s = await fetchDataset('cifar10', { data, url: `${base}/ok.tar.gz`, md5 });
    expect(ranges).toEqual([`bytes=${kept}-`]);
    expect(s.md5).toBe(md5);
  });

  it('refuses a checksum mismatch, naming the expected and the found digest, and unpacks nothing', async () => {
    const data = dataDir('badsum');
    const wrong = 'f'.repeat(32);
    const r = await cli('fetch', 'cifar10', '--data', data, '--url', `${base}/ok.tar.gz`, '--md5', wrong);
    expect(r.code).toBe(2);
    // stderr: the download's one-line summary (not a TTY), then the refusal on one line
    const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('nasrepro:'));
    expect(lines).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(lines[0]).toMatch(/^nasrepro: .*cifar-10-binary\.tar\.gz: checksum mismatch/);
    expect(lines[0]).toContain(`md5 is ${md5}`);
    expect(lines[0]).toContain(`published value is ${wrong}`);
    expect(existsSync(path.join(data, 'cifar10', 'cifar-10-binary.tar.gz.bad'))).toBe(true);
    expect(existsSync(path.join(data, 'cifar10', 'cifar-10-batches-bin'))).toBe(false);
  });

  it('reports a 404 in one line and leaves no partial file', async () => {
    const data = dataDir('missing');
    const e = await errorOf(fetchDataset('cifar10', { data, url: `${base}/gone.tar.gz`, md5 }));
    expect(e.message).toMatch(/gone\.tar\.gz: HTTP 404/);
    expect(existsSync(path.join(data, 'cifar10', 'cifar-10-binary.tar.gz.part'))).toBe(false);
  });

  it('refuses an unknown dataset and an archive entry that would escape the destination', async () => {
    expect((await errorOf(fetchDataset('ImageNet16-120', { data: tmp }))).message).toMatch(/image-net\.org login/);
    expect(() => safeEntryPath('/d', '../etc/passwd', 'a.tar.gz')).toThrow(/outside the destination/);
    expect(() => safeEntryPath('/d', '/etc/passwd', 'a.tar.gz')).toThrow(/outside the destination/);
    expect(safeEntryPath('/d', 'x/./y', 'a.tar.gz')).toBe(path.join('/d', 'x', 'y'));
  });
});
