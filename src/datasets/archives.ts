/**
 * The image archives `nasrepro fetch` downloads: official URL, the checksum the publisher prints
 * beside it, and where the archive unpacks under DATA (the layout src/datasets/load.ts reads).
 *
 * Checksums (MD5, as the publisher gives them; https://www.cs.toronto.edu/~kriz/cifar.html, the
 * "Version / Size / md5sum" tables):
 * - cifar-10-binary.tar.gz   "CIFAR-10 binary version (suitable for C programs)"   c32a1d4ab5d03f1284b67883e8d87530
 * - cifar-100-binary.tar.gz  "CIFAR-100 binary version (suitable for C programs)"  03b5dce01913d631647c71ecec9e9cb8
 *   (the CIFAR-100 row as that page's table gives it; quoted identically by independent
 *   downloaders that check it, e.g. the table "CIFAR-100 binary | 161 MB | 03b5dce0..." copied
 *   from the page)
 *
 * ImageNet16-120 has no entry: its source files (image-net.org "Downsampled ImageNet 16x16",
 * Chrabaszcz et al. 2017) need an image-net.org login, and the NAS-Bench-201 authors' copy is a
 * Google Drive folder; neither publishes a checksum. The README says how to prepare it.
 */
import type { DatasetName } from './types.ts';

export interface DatasetArchive {
  dataset: DatasetName;
  url: string;
  /** The archive's file name (also the name the download is saved under). */
  fileName: string;
  md5: string;
  /** Where the md5 is published. */
  checksumSource: string;
  /** Directory under DATA the archive is unpacked into (its top-level folder lands inside). */
  unpackInto: string;
  /** Files that must exist under unpackInto afterwards (checks the archive held what it should). */
  expectFiles: string[];
}

export const DATASET_ARCHIVES: Readonly<Record<'cifar10' | 'cifar100', DatasetArchive>> = Object.freeze({
  cifar10: {
    dataset: 'cifar10',
    url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
    fileName: 'cifar-10-binary.tar.gz',
    md5: 'c32a1d4ab5d03f1284b67883e8d87530',
    checksumSource: 'published at https://www.cs.toronto.edu/~kriz/cifar.html',
    unpackInto: 'cifar10',
    expectFiles: [1, 2, 3, 4, 5].map((i) => `cifar-10-batches-bin/data_batch_${i}.bin`).concat('cifar-10-batches-bin/test_batch.bin'),
  },
  cifar100: {
    dataset: 'cifar100',
    url: 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz',
    fileName: 'cifar-100-binary.tar.gz',
    md5: '03b5dce01913d631647c71ecec9e9cb8',
    checksumSource: 'published at https://www.cs.toronto.edu/~kriz/cifar.html',
    unpackInto: 'cifar100',
    expectFiles: ['cifar-100-binary/train.bin', 'cifar-100-binary/test.bin'],
  },
});
