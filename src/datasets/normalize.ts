/**
 * Per-channel normalisation, exactly as the reference code does it.
 *
 * The numbers (RGB, on the 0..255 scale) are those of `get_datasets` in D-X-Y/AutoDL-Projects
 * (lib/datasets/get_dataset_with_transform.py), which NB201 trained with, and which
 * BayesWatch/nas-without-training (datasets/data.py) copies unchanged:
 *   cifar10        mean [125.3, 123.0, 113.9]    std [63.0, 62.1, 66.7]
 *   cifar100       mean [129.3, 124.1, 112.4]    std [68.2, 65.4, 70.4]
 *   ImageNet16-120 mean [122.68, 116.66, 104.01] std [63.22, 61.26, 65.09]
 * Both pass `x / 255` of these to torchvision's `Normalize` after `ToTensor`. We reproduce that
 * arithmetic in float32 step by step (pixel / 255, minus mean / 255, divided by std / 255, each
 * rounded to float32 as torch does), so our inputs match the reference's bit for bit rather than
 * differing in the last place from computing (pixel - mean) / std in double.
 */
import { DataError } from '../util/errors.ts';
import type { DatasetName, ImageBatch, ImageSet } from './types.ts';

export interface ChannelStats {
  /** Per-channel mean, RGB, 0..255 scale (as written in the reference code). */
  readonly mean: readonly [number, number, number];
  /** Per-channel standard deviation, RGB, 0..255 scale. */
  readonly std: readonly [number, number, number];
}

export const CHANNEL_STATS: Readonly<Record<DatasetName, ChannelStats>> = Object.freeze({
  cifar10: { mean: [125.3, 123.0, 113.9], std: [63.0, 62.1, 66.7] },
  cifar100: { mean: [129.3, 124.1, 112.4], std: [68.2, 65.4, 70.4] },
  'ImageNet16-120': { mean: [122.68, 116.66, 104.01], std: [63.22, 61.26, 65.09] },
});

const f32 = Math.fround;

/** lut[c * 256 + v] = normalised value of byte v in channel c, computed like torchvision. */
function lookupTable(stats: ChannelStats, channels: number): Float32Array {
  const lut = new Float32Array(channels * 256);
  for (let c = 0; c < channels; c++) {
    const mean = f32(stats.mean[c]! / 255);
    const std = f32(stats.std[c]! / 255);
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = f32(f32(f32(v / 255) - mean) / std);
  }
  return lut;
}

const tables = new Map<DatasetName, Float32Array>();

/** The normalised float value of pixel byte `value` in channel `channel` of `dataset`. */
export function normalizedValue(dataset: DatasetName, channel: number, value: number): number {
  return tableFor(dataset)[channel * 256 + value]!;
}

function tableFor(dataset: DatasetName): Float32Array {
  let lut = tables.get(dataset);
  if (!lut) {
    const stats = CHANNEL_STATS[dataset];
    if (!stats) throw new DataError(`no normalisation constants for dataset ${JSON.stringify(dataset)}`);
    lut = lookupTable(stats, 3);
    tables.set(dataset, lut);
  }
  return lut;
}

/**
 * The images `indices` of `set`, in that order, as a normalised NHWC float32 batch with their
 * labels. No augmentation: proxies score networks on plain images.
 */
export function normalizeBatch(set: ImageSet, indices: readonly number[]): ImageBatch {
  if (set.channels !== 3) throw new DataError(`expected 3 channels, ${set.dataset} set has ${set.channels}`);
  const lut = tableFor(set.dataset);
  const pixels = set.height * set.width;
  const imageBytes = pixels * 3;
  const x = new Float32Array(indices.length * imageBytes);
  const labels = new Int32Array(indices.length);
  indices.forEach((index, b) => {
    if (!Number.isInteger(index) || index < 0 || index >= set.size) {
      throw new RangeError(`image index ${index} is outside the ${set.dataset} ${set.split} set (0..${set.size - 1})`);
    }
    const src = index * imageBytes;
    const dst = b * imageBytes;
    for (let p = 0; p < imageBytes; p += 3) {
      x[dst + p] = lut[set.images[src + p]!]!;
      x[dst + p + 1] = lut[256 + set.images[src + p + 1]!]!;
      x[dst + p + 2] = lut[512 + set.images[src + p + 2]!]!;
    }
    labels[b] = set.labels[index]!;
  });
  return {
    dataset: set.dataset,
    split: set.split,
    indices: [...indices],
    n: indices.length,
    height: set.height,
    width: set.width,
    channels: 3,
    x,
    labels,
  };
}
