/**
 * `nasrepro fetch cifar10|cifar100 [--data DIR]`: downloads the official binary archive from its
 * official URL, resumes a partial download, checks the publisher's MD5, and unpacks it into DATA
 * in the layout the loaders read (DATA/cifar10/cifar-10-batches-bin/, DATA/cifar100/cifar-100-binary/).
 *
 * `--url` fetches from a mirror instead; the archive is still checked against the published MD5,
 * so a mirror cannot substitute other bytes. `--md5` (hidden from --help) replaces the expected
 * checksum: it exists for the loopback tests, which serve a small generated archive, and is not
 * for normal use.
 */
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { DATASET_ARCHIVES, type DatasetArchive } from '../datasets/archives.ts';
import { extractTarGz } from '../io/tar.ts';
import { download } from '../util/download.ts';
import { DataError } from '../util/errors.ts';

interface FetchOptions {
  data: string;
  url?: string;
  md5?: string;
  keepArchive?: boolean;
  force?: boolean;
}

export interface FetchSummary {
  dir: string;
  files: number;
  bytes: number;
  resumedFrom: number;
  md5: string;
  skipped: boolean;
}

function missingFiles(root: string, a: DatasetArchive): string[] {
  return a.expectFiles.filter((f) => !existsSync(path.join(root, f)));
}

export async function fetchDataset(name: string, o: FetchOptions): Promise<FetchSummary> {
  const archive = DATASET_ARCHIVES[name as keyof typeof DATASET_ARCHIVES];
  if (!archive) {
    throw new DataError(
      `cannot fetch '${name}': known archives are ${Object.keys(DATASET_ARCHIVES).join(', ')} ` +
        '(ImageNet16-120 needs an image-net.org login; see the README for how to prepare it)',
    );
  }
  const root = path.join(o.data, archive.unpackInto);
  if (!o.force && missingFiles(root, archive).length === 0) {
    return { dir: root, files: archive.expectFiles.length, bytes: 0, resumedFrom: 0, md5: archive.md5, skipped: true };
  }
  const expected = o.md5
    ? { algorithm: 'md5' as const, hex: o.md5, source: 'given with --md5' }
    : { algorithm: 'md5' as const, hex: archive.md5, source: archive.checksumSource };
  const dest = path.join(root, archive.fileName);
  const got = await download({ url: o.url ?? archive.url, dest, expected });

  // Unpack next to the target and move the top-level folders into place only when the archive
  // held every file it should: an interrupted or odd archive never leaves a half-filled dataset.
  const staging = path.join(root, `.unpack-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  try {
    const unpacked = await extractTarGz(dest, staging);
    const missing = missingFiles(staging, archive);
    if (missing.length > 0) {
      throw new DataError(`the archive lacks ${missing.join(', ')}; it is not the ${archive.dataset} binary version`, { file: dest });
    }
    for (const top of readdirSync(staging)) {
      const target = path.join(root, top);
      rmSync(target, { recursive: true, force: true });
      renameSync(path.join(staging, top), target);
    }
    if (!o.keepArchive) rmSync(dest, { force: true });
    return { dir: root, files: unpacked.files.length, bytes: unpacked.bytes, resumedFrom: got.resumedFrom, md5: got.digest, skipped: false };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

export function registerFetch(program: Command): void {
  program
    .command('fetch')
    .description(`download, verify (published MD5) and unpack an image dataset into DATA (${Object.keys(DATASET_ARCHIVES).join(', ')})`)
    .argument('<dataset>', Object.keys(DATASET_ARCHIVES).join(' or '))
    .option('--data <dir>', 'data directory', process.env.DATA ?? 'data')
    .option('--url <url>', 'download from this mirror instead (still checked against the published MD5)')
    .option('--keep-archive', 'keep the downloaded .tar.gz after unpacking')
    .option('--force', 'download and unpack even if the files are already there')
    .addOption(new Option('--md5 <hex>', 'expected MD5 instead of the published one (tests only)').hideHelp())
    .action(async (name: string, o: FetchOptions) => {
      const s = await fetchDataset(name, o);
      if (s.skipped) {
        process.stdout.write(`${s.dir}: ${name} is already there (use --force to fetch it again)\n`);
        return;
      }
      const resumed = s.resumedFrom > 0 ? `, resumed after ${s.resumedFrom} bytes` : '';
      process.stdout.write(`${s.dir}: ${s.files} files (${(s.bytes / 2 ** 20).toFixed(1)} MiB) unpacked, md5 ${s.md5} verified${resumed}\n`);
    });
}
