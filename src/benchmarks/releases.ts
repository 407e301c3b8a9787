/**
 * The official benchmark releases a researcher downloads, by their official names: which origin
 * each becomes in the store, which ground truths it holds, how its name or publisher lets us check
 * it, and where to get it again.
 *
 * Checksums:
 * - NB201 `.pth` names end with the last six hex digits of the file's MD5: "`e61699` is the last
 *   six digits for this file" (D-X-Y/AutoDL-Projects docs/NAS-Bench-201.md, both releases), and
 *   the same author's naming code takes the MD5 hex digest's last characters
 *   (AutoDL-Projects xautodl/utils/hash_utils.py `get_md5_file(file, post_truncated)` returns
 *   `md5.hexdigest()[-post_truncated:]`; exps/NATS-Bench/tss-collect.py names
 *   `NATS-tss-v1_0-<md5 suffix>.pickle.pbz2` with it). So a name's suffix is checked against the
 *   MD5's last digits, streamed (a 4.7 GB file is never held in memory). The full MD5 is not
 *   published, so a matching suffix is the check the publisher makes possible (1 in 16^6 chance
 *   for a corrupt file to pass).
 * - NATS-tss `-simple` directories carry the suffix of the `.pickle.pbz2` file they were unpacked
 *   beside, not of anything in the directory: they cannot be checked that way.
 * - NB101 tfrecords: SHA-256 published in google-research/nasbench README ("Download the dataset").
 * - nb201-accuracies.csv is this project's own joined table (shared/data/README.md), not a release.
 *
 * Coverage (which dataset/split/epoch budgets a release holds): NB201 evaluates cifar10-valid on
 * x-valid and ori-test, cifar10 on ori-test, cifar100 and ImageNet16-120 on x-valid, x-test and
 * ori-test (exps/NATS-Bench/tss-collect.py, `reset_pseudo_eval_times`), with `train` for each.
 * v1.0's 12-epoch ("less") results cover only cifar10-valid (lib/nas_201_api/api_201.py history:
 * "`LESS` only supports CIFAR10-VALID"); v1.1 and NATS-tss have 12 and 200 epochs everywhere.
 */
import path from 'node:path';
import { NB201_CSV_COLUMNS } from './nb201-csv.ts';

export interface ReleaseFile {
  benchmark: 'nb201' | 'nb101';
  /** Official file (or directory) name. */
  name: string;
  kind: 'pth' | 'nats-tss' | 'tfrecord' | 'csv';
  /** Store origin its values get. */
  origin: string;
  /** Last hex digits of the file's MD5, carried in its name. */
  md5Suffix?: string;
  /** Full SHA-256 published by the release's authors. */
  sha256?: string;
  checksumSource?: string;
  /** Where to download it (official links first). */
  mirrors: string[];
  /** Does it hold accuracies for (dataset, split, epochs)? */
  holds(dataset: string, split: string, epochs: number): boolean;
}

const NB201_EVALS: Record<string, readonly string[]> = {
  'cifar10-valid': ['x-valid', 'ori-test', 'train'],
  cifar10: ['ori-test', 'train'],
  cifar100: ['x-valid', 'x-test', 'ori-test', 'train'],
  'ImageNet16-120': ['x-valid', 'x-test', 'ori-test', 'train'],
};

function nb201Holds(epochsFor: (dataset: string) => number[]) {
  return (dataset: string, split: string, epochs: number): boolean =>
    (NB201_EVALS[dataset]?.includes(split) ?? false) && epochsFor(dataset).includes(epochs);
}

export const NB201_RELEASES: readonly ReleaseFile[] = [
  {
    benchmark: 'nb201',
    name: 'NAS-Bench-201-v1_0-e61699.pth',
    kind: 'pth',
    origin: 'nb201-v1_0',
    md5Suffix: 'e61699',
    checksumSource: "the file name's MD5 suffix (AutoDL-Projects docs/NAS-Bench-201.md)",
    mirrors: [
      'https://drive.google.com/file/d/1SKW0Cu0u8-gb18zDpaAGi0f74UdXeGKs',
      'https://pan.baidu.com/s/1CiaNH6C12zuZf7q-Ilm09w (code 6u5d)',
    ],
    holds: nb201Holds((d) => (d === 'cifar10-valid' ? [12, 200] : [200])),
  },
  {
    benchmark: 'nb201',
    name: 'NAS-Bench-201-v1_1-096897.pth',
    kind: 'pth',
    origin: 'nb201-v1_1',
    md5Suffix: '096897',
    checksumSource: "the file name's MD5 suffix (AutoDL-Projects docs/NAS-Bench-201.md)",
    mirrors: ['https://drive.google.com/file/d/16Y0UwGisiouVRxW-W5hEtbxmcHw_0hF_'],
    holds: nb201Holds(() => [12, 200]),
  },
  {
    benchmark: 'nb201',
    name: 'NATS-tss-v1_0-3ffb9-simple',
    kind: 'nats-tss',
    origin: 'nats-tss-v1_0',
    mirrors: ['https://drive.google.com/file/d/17_saCsj_krKjlCBLOJEpNtzPXArMCqxU (NATS-tss-v1_0-3ffb9-simple.tar; unpack with tar xf)'],
    holds: nb201Holds(() => [12, 200]),
  },
  {
    benchmark: 'nb201',
    name: 'nb201-accuracies.csv',
    kind: 'csv',
    origin: 'csv',
    mirrors: ["this project's shared data (shared/data/nb201/; columns in src/benchmarks/nb201-csv.ts)"],
    holds: (dataset, split, epochs) => Object.values(NB201_CSV_COLUMNS).some((c) => c.dataset === dataset && c.split === split && c.epochs === epochs),
  },
];

export const NB101_RELEASES: readonly ReleaseFile[] = [
  {
    benchmark: 'nb101',
    name: 'nasbench_full.tfrecord',
    kind: 'tfrecord',
    origin: 'nb101',
    sha256: '3d64db8180fb1b0207212f9032205064312b6907a3bbc81eabea10db2f5c7e9c',
    checksumSource: 'google-research/nasbench README',
    mirrors: ['https://storage.googleapis.com/nasbench/nasbench_full.tfrecord'],
    holds: (dataset, _split, epochs) => dataset === 'cifar10' && [4, 12, 36, 108].includes(epochs),
  },
  {
    benchmark: 'nb101',
    name: 'nasbench_only108.tfrecord',
    kind: 'tfrecord',
    origin: 'nb101',
    sha256: '4c39c3936e36a85269881d659e44e61a245babcb72cb374eacacf75d0e5f4fd1',
    checksumSource: 'google-research/nasbench README',
    mirrors: ['https://storage.googleapis.com/nasbench/nasbench_only108.tfrecord'],
    holds: (dataset, _split, epochs) => dataset === 'cifar10' && epochs === 108,
  },
];

/** The release a path is, by its official name; undefined for other names. */
export function releaseOf(file: string): ReleaseFile | undefined {
  const base = path.basename(file.replace(/\/+$/, ''));
  return [...NB201_RELEASES, ...NB101_RELEASES].find((r) => r.name === base);
}

/**
 * The MD5 suffix a file name carries, in the official NB201 pattern
 * `NAS-Bench-201-v<version>-<6 hex>.pth` (any version, so a future release is checked too).
 */
export function md5SuffixInName(file: string): string | undefined {
  const m = /^NAS-Bench-201-v\d+_\d+-([0-9a-f]{6})\.pth$/i.exec(path.basename(file));
  return m ? m[1]!.toLowerCase() : undefined;
}

/** The official files that would provide a ground truth, for a "missing" message. */
export function releasesHolding(benchmark: 'nb201' | 'nb101', dataset: string, split: string, epochs: number): ReleaseFile[] {
  return (benchmark === 'nb201' ? NB201_RELEASES : NB101_RELEASES).filter((r) => r.holds(dataset, split, epochs));
}

/** Where to get a release again, for error messages. */
export function mirrorsText(file: string): string {
  const r = releaseOf(file);
  if (r) return `official copies: ${r.mirrors.join('; ')}`;
  const v = /NAS-Bench-201-v(\d+_\d+)/.exec(path.basename(file))?.[1];
  const known = NB201_RELEASES.find((x) => v !== undefined && x.name.includes(`v${v}-`));
  return known ? `official copies: ${known.mirrors.join('; ')}` : 'see the README ("Where the data goes") for the official downloads';
}
