/**
 * An image dataset split held in memory as raw bytes (what the official files store), with
 * labels 0-based. Normalisation to floats happens only for the images of a batch, so a 50,000-image
 * split costs 150 MB, not 600 MB.
 */
export type DatasetName = 'cifar10' | 'cifar100' | 'ImageNet16-120';
export type SplitName = 'train' | 'test' | 'valid';

export interface ImageSet {
  dataset: DatasetName;
  split: SplitName;
  /** Files the images were read from, for provenance in result files. */
  files: string[];
  height: number;
  width: number;
  /** Always 3 (RGB). */
  channels: number;
  numClasses: number;
  /** Number of images. */
  size: number;
  /** Raw pixels, NHWC, row-major: image i, row y, column x, channel c at ((i*H + y)*W + x)*3 + c. */
  images: Uint8Array;
  /** 0-based class labels, one per image. */
  labels: Int32Array;
}

/** A normalised batch ready to become a tensor of shape [n, height, width, channels]. */
export interface ImageBatch {
  dataset: DatasetName;
  split: SplitName;
  /** Which images of the split (in batch order), so a batch is reproducible and cacheable. */
  indices: number[];
  n: number;
  height: number;
  width: number;
  channels: number;
  /** NHWC float32, normalised with the dataset's per-channel mean and std. */
  x: Float32Array;
  /** 0-based labels, one per image. */
  labels: Int32Array;
}
