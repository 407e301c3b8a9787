/**
 * CIFAR-10 and CIFAR-100 in the official binary versions (https://www.cs.toronto.edu/~kriz/cifar.html):
 *
 * - CIFAR-10 (`cifar-10-batches-bin/`): `data_batch_1.bin` .. `data_batch_5.bin` (train, 10,000
 *   images each) and `test_batch.bin` (10,000). Record = 1 label byte (0..9), then 3,072 pixel bytes.
 * - CIFAR-100 (`cifar-100-binary/`): `train.bin` (50,000) and `test.bin` (10,000). Record = coarse
 *   label byte (0..19), fine label byte (0..99), then 3,072 pixel bytes. We use the fine label: the
 *   100-class task NB201 reports.
 *
 * Pixels are stored as three 32x32 planes (all red, then green, then blue; rows top to bottom); we
 * convert to NHWC because that is tfjs's layout. Files shorter than the official ones are accepted
 * when their size is a whole number of records (the shared test data holds the first 4,000 / 846
 * images), so a truncated download is caught only when it cuts a record in half: `files` and
 * `size` in the ImageSet say exactly what was read.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DataError } from '../util/errors.ts';
import type { ImageSet } from './types.ts';

export const CIFAR_SIDE = 32;
export const CIFAR_CHANNELS = 3;
/** Pixel bytes per image: 3 planes of 32x32. */
export const CIFAR_PIXEL_BYTES = CIFAR_SIDE * CIFAR_SIDE * CIFAR_CHANNELS;

/** Where the label sits in a record and how many label bytes precede the pixels. */
export interface CifarRecordLayout {
  dataset: 'cifar10' | 'cifar100';
  /** Label bytes before the pixels (1 for CIFAR-10, 2 for CIFAR-100). */
  labelBytes: number;
  /** Which of those bytes is the label we use (CIFAR-100: 1 = fine). */
  labelByte: number;
  numClasses: number;
  /** Official file names per split, in the order their images are concatenated. */
  files: { train: readonly string[]; test: readonly string[] };
}

export const CIFAR10_LAYOUT: CifarRecordLayout = {
  dataset: 'cifar10',
  labelBytes: 1,
  labelByte: 0,
  numClasses: 10,
  files: {
    train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
    test: ['test_batch.bin'],
  },
};

export const CIFAR100_LAYOUT: CifarRecordLayout = {
  dataset: 'cifar100',
  labelBytes: 2,
  labelByte: 1,
  numClasses: 100,
  files: { train: ['train.bin'], test: ['test.bin'] },
};

export function cifarRecordBytes(layout: CifarRecordLayout): number {
  return layout.labelBytes + CIFAR_PIXEL_BYTES;
}

/**
 * Decodes the records of one file into NHWC pixels and labels, written into `images` / `labels`
 * starting at image `first`. `file` is only for error messages.
 */
export function decodeCifarRecords(
  bytes: Uint8Array,
  file: string,
  layout: CifarRecordLayout,
  images: Uint8Array,
  labels: Int32Array,
  first: number,
): void {
  const recordBytes = cifarRecordBytes(layout);
  const count = bytes.length / recordBytes;
  const plane = CIFAR_SIDE * CIFAR_SIDE;
  for (let r = 0; r < count; r++) {
    const record = r * recordBytes;
    const labelOffset = record + layout.labelByte;
    const label = bytes[labelOffset]!;
    if (label >= layout.numClasses) {
      throw new DataError(`record ${r}: label ${label} is out of range 0..${layout.numClasses - 1}`, { file, offset: labelOffset });
    }
    labels[first + r] = label;
    const pixels = record + layout.labelBytes;
    const out = (first + r) * CIFAR_PIXEL_BYTES;
    for (let p = 0; p < plane; p++) {
      images[out + p * 3] = bytes[pixels + p]!;
      images[out + p * 3 + 1] = bytes[pixels + plane + p]!;
      images[out + p * 3 + 2] = bytes[pixels + 2 * plane + p]!;
    }
  }
}

/** Checks that a file holds a whole, non-zero number of records; returns that number. */
export function cifarRecordCount(file: string, size: number, layout: CifarRecordLayout): number {
  const recordBytes = cifarRecordBytes(layout);
  if (size === 0 || size % recordBytes !== 0) {
    const whole = Math.floor(size / recordBytes);
    throw new DataError(
      `size ${size} bytes is not a whole, non-zero number of ${layout.dataset} records of ${recordBytes} bytes ` +
        `(${whole} records and ${size - whole * recordBytes} bytes left over): truncated or not a ${layout.dataset} binary file`,
      { file },
    );
  }
  return size / recordBytes;
}

/**
 * Reads one split from a directory in the official layout. Missing files of a split are skipped
 * (partial copies are common, e.g. only data_batch_1), but a split with none of its files is an
 * error naming every file looked for.
 */
export function loadCifarSplit(dir: string, layout: CifarRecordLayout, split: 'train' | 'test'): ImageSet {
  const wanted = layout.files[split].map((name) => path.join(dir, name));
  const present = wanted.filter((file) => existsSync(file));
  if (present.length === 0) {
    throw new DataError(`no ${layout.dataset} ${split} files found; looked for ${wanted.join(', ')}`, { file: dir });
  }
  const contents = present.map((file) => ({ file, bytes: new Uint8Array(readFileSync(file)) }));
  const counts = contents.map(({ file, bytes }) => cifarRecordCount(file, bytes.length, layout));
  const size = counts.reduce((a, b) => a + b, 0);
  const images = new Uint8Array(size * CIFAR_PIXEL_BYTES);
  const labels = new Int32Array(size);
  let first = 0;
  contents.forEach(({ file, bytes }, k) => {
    decodeCifarRecords(bytes, file, layout, images, labels, first);
    first += counts[k]!;
  });
  return {
    dataset: layout.dataset,
    split,
    files: present,
    height: CIFAR_SIDE,
    width: CIFAR_SIDE,
    channels: CIFAR_CHANNELS,
    numClasses: layout.numClasses,
    size,
    images,
    labels,
  };
}

/** CIFAR-10 from `cifar-10-batches-bin/` (the directory holding data_batch_*.bin). */
export function loadCifar10(dir: string, split: 'train' | 'test'): ImageSet {
  return loadCifarSplit(dir, CIFAR10_LAYOUT, split);
}

/** CIFAR-100 from `cifar-100-binary/` (the directory holding train.bin, test.bin); fine labels. */
export function loadCifar100(dir: string, split: 'train' | 'test'): ImageSet {
  return loadCifarSplit(dir, CIFAR100_LAYOUT, split);
}
