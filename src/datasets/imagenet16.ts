/**
 * ImageNet16-120 from the official downsampled-ImageNet 16x16 pickles (Chrabaszcz et al. 2017),
 * as NB201 uses them (D-X-Y lib/datasets/DownsampledImageNet.py, ImageNet16):
 *   train: train_data_batch_1 .. train_data_batch_10; valid: val_data.
 * Each file is a pickled dict {'data': uint8 array N x 768 (3 x 16 x 16), 'labels': [1-based class ids], ...}.
 * A row holds three 16x16 channel planes R, G, B; NB201 reshapes to (N, 3, 16, 16) and transposes
 * to HWC, which is what we store (ImageSet is NHWC). ImageNet16-120 keeps labels 1..120 and
 * shifts them to 0..119.
 * The files were written by Python 2 or 3 pickle, read by NB201 with encoding='latin1'; the pickle
 * VM reads both (Python 2 str payloads come back as bytes).
 */
import { closeSync, existsSync, fstatSync, openSync } from 'node:fs';
import path from 'node:path';
import { DataError } from '../util/errors.ts';
import { ByteSource } from '../io/byte-source.ts';
import { PickleVM } from '../io/pickle.ts';
import { asDict, asNumber, PyNdarray, pyTypeName, type PyValue } from '../io/pickle-values.ts';
import type { ImageSet } from './types.ts';

const SIDE = 16;
const PIXELS = SIDE * SIDE;
const ROW = 3 * PIXELS;
const NUM_CLASSES = 120;

export function imageNet16Files(split: 'train' | 'valid'): string[] {
  return split === 'train' ? Array.from({ length: 10 }, (_, i) => `train_data_batch_${i + 1}`) : ['val_data'];
}

function readBatch(file: string): { data: Buffer; labels: number[] } {
  const fd = openSync(file, 'r');
  let root: PyValue;
  try {
    root = new PickleVM(ByteSource.fromFd(fd, 0, fstatSync(fd).size, { file })).load();
  } finally {
    closeSync(fd);
  }
  const d = asDict(root);
  if (d === undefined) throw new DataError(`expected a pickled dict, got ${pyTypeName(root)}`, { file });
  const data = d.get('data') ?? d.get(Buffer.from('data'));
  const labelsV = d.get('labels') ?? d.get(Buffer.from('labels'));
  if (!(data instanceof PyNdarray) || data.data === null) throw new DataError(`'data' is a ${pyTypeName(data)}, expected a uint8 numpy array`, { file });
  const code = data.dtype?.code.replace(/^[|<>=]/, '');
  if (code !== 'u1') throw new DataError(`'data' has dtype ${data.dtype?.code}, expected uint8`, { file });
  const [n, width] = data.shape;
  if (data.shape.length !== 2 || width !== ROW || n === undefined) {
    throw new DataError(`'data' has shape (${data.shape.join(', ')}), expected (N, ${ROW})`, { file });
  }
  if (data.fortranOrder) throw new DataError(`'data' is Fortran-ordered; expected C order`, { file });
  if (data.data.length !== n * ROW) throw new DataError(`'data' holds ${data.data.length} bytes, shape says ${n * ROW}`, { file });
  let labels: number[];
  if (Array.isArray(labelsV)) {
    labels = labelsV.map((x, i) => {
      const v = asNumber(x);
      if (v === undefined || !Number.isInteger(v)) throw new DataError(`labels[${i}] is ${pyTypeName(x)}`, { file });
      return v;
    });
  } else if (labelsV instanceof PyNdarray && labelsV.data !== null && labelsV.dtype !== null) {
    labels = ndarrayInts(labelsV, file);
  } else {
    throw new DataError(`'labels' is a ${pyTypeName(labelsV)}, expected a list of ints`, { file });
  }
  if (labels.length !== n) throw new DataError(`${labels.length} labels for ${n} images`, { file });
  return { data: data.data, labels };
}

function ndarrayInts(a: PyNdarray, file: string): number[] {
  const m = /^[|<>=]?([iu])(\d)$/.exec(a.dtype!.code);
  if (!m) throw new DataError(`'labels' has dtype ${a.dtype!.code}, expected ints`, { file });
  const size = Number(m[2]);
  const out: number[] = [];
  for (let at = 0; at + size <= a.data!.length; at += size) {
    out.push(size === 8 ? Number(a.data!.readBigInt64LE(at)) : size === 4 ? a.data!.readInt32LE(at) : size === 2 ? a.data!.readInt16LE(at) : a.data![at]!);
  }
  return out;
}

export function loadImageNet16(dir: string, split: 'train' | 'valid'): ImageSet {
  const files = imageNet16Files(split).map((f) => path.join(dir, f));
  for (const f of files) {
    if (!existsSync(f)) throw new DataError(`missing ImageNet16 file (expected ${imageNet16Files(split).join(', ')} in ${dir})`, { file: f });
  }
  const parts: { images: Uint8Array; labels: Int32Array }[] = [];
  let total = 0;
  for (const file of files) {
    const { data, labels } = readBatch(file);
    const keep: number[] = [];
    labels.forEach((y, i) => {
      if (y < 1) throw new DataError(`label ${y} of image ${i} is not 1-based`, { file });
      if (y <= NUM_CLASSES) keep.push(i);
    });
    const images = new Uint8Array(keep.length * ROW);
    const out = new Int32Array(keep.length);
    keep.forEach((src, j) => {
      out[j] = labels[src]! - 1;
      // planes R,G,B of 16x16 -> HWC (NB201: reshape(-1, 3, 16, 16).transpose(0, 2, 3, 1))
      const row = src * ROW;
      const dst = j * ROW;
      for (let p = 0; p < PIXELS; p++) {
        images[dst + p * 3] = data[row + p]!;
        images[dst + p * 3 + 1] = data[row + PIXELS + p]!;
        images[dst + p * 3 + 2] = data[row + 2 * PIXELS + p]!;
      }
    });
    parts.push({ images, labels: out });
    total += keep.length;
  }
  const images = new Uint8Array(total * ROW);
  const labels = new Int32Array(total);
  let at = 0;
  for (const p of parts) {
    images.set(p.images, at * ROW);
    labels.set(p.labels, at);
    at += p.labels.length;
  }
  return {
    dataset: 'ImageNet16-120',
    split,
    files,
    height: SIDE,
    width: SIDE,
    channels: 3,
    numClasses: NUM_CLASSES,
    size: total,
    images,
    labels,
  };
}
