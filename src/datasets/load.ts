/**
 * One entry point for images: (data directory, dataset, split) -> ImageSet, resolving the
 * official directory names NB201's code expects under its data root:
 *   <dataDir>/cifar10/cifar-10-batches-bin/   (CIFAR-10 binary version)
 *   <dataDir>/cifar100/cifar-100-binary/      (CIFAR-100 binary version)
 *   <dataDir>/ImageNet16/                     (ImageNet16-120: train_data_batch_1..10, val_data)
 * A missing directory is reported with where to get the dataset, since that is the usual cause.
 *
 * Splits: the official CIFAR files have only `train` and `test`, ImageNet16 only `train` and
 * `valid` (val_data). NB201's x-valid / x-test are index subsets of those (cifar-split.txt,
 * cifar100-test-split.txt, imagenet-16-120-test-split.txt) that are not shipped here, so any other
 * split is refused rather than silently substituted.
 */
import { loadImageNet16 } from './imagenet16.ts';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { DataError } from '../util/errors.ts';
import { loadCifar10, loadCifar100 } from './cifar.ts';
import type { DatasetName, ImageSet, SplitName } from './types.ts';

interface DatasetSource {
  /** Directory under dataDir, official name. */
  dir: string[];
  splits: readonly SplitName[];
  whereToGetIt: string;
}

export const DATASET_SOURCES: Readonly<Record<DatasetName, DatasetSource>> = Object.freeze({
  cifar10: {
    dir: ['cifar10', 'cifar-10-batches-bin'],
    splits: ['train', 'test'],
    whereToGetIt:
      'run `nasrepro fetch cifar10 --data <data>` (downloads and checks the binary version, https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz, into <data>/cifar10/)',
  },
  cifar100: {
    dir: ['cifar100', 'cifar-100-binary'],
    splits: ['train', 'test'],
    whereToGetIt:
      'run `nasrepro fetch cifar100 --data <data>` (downloads and checks the binary version, https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz, into <data>/cifar100/)',
  },
  'ImageNet16-120': {
    dir: ['ImageNet16'],
    splits: ['train', 'valid'],
    whereToGetIt:
      "get the 16x16 downsampled ImageNet of Chrabaszcz et al. 2017 (image-net.org, 'Downsampled ImageNet 16x16': " +
      'train_data_batch_1..10 and val_data), as NAS-Bench-201 uses it, and put the files in <data>/ImageNet16/ (README: "ImageNet16-120")',
  },
});

/** The directory a dataset is read from. */
export function datasetDir(dataDir: string, dataset: DatasetName): string {
  const source = DATASET_SOURCES[dataset];
  if (!source) throw new DataError(`unknown dataset ${JSON.stringify(dataset)} (known: ${Object.keys(DATASET_SOURCES).join(', ')})`);
  return path.join(dataDir, ...source.dir);
}

export function loadImageSet(dataDir: string, dataset: DatasetName, split: SplitName): ImageSet {
  const dir = datasetDir(dataDir, dataset);
  const source = DATASET_SOURCES[dataset];
  if (!source.splits.includes(split)) {
    throw new DataError(
      `${dataset} has no '${split}' split in its official files (available: ${source.splits.join(', ')}); ` +
        "NB201's x-valid / x-test subsets are index lists that are not part of these files",
    );
  }
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new DataError(`${dataset} directory not found; ${source.whereToGetIt.replaceAll('<data>', dataDir)}`, { file: dir });
  }
  switch (dataset) {
    case 'cifar10':
      return loadCifar10(dir, split as 'train' | 'test');
    case 'cifar100':
      return loadCifar100(dir, split as 'train' | 'test');
    case 'ImageNet16-120':
      return loadImageNet16(dir, split as 'train' | 'valid');
  }
}
