/**
 * The reference loaders' train-time augmentation, for proxies whose reference drew its batch from
 * a training loader (the zero-cost suite's NB201 CIFAR loader: RandomCrop(32, padding=4), then
 * RandomHorizontalFlip). Off by default: our batches are plain images; this exists to measure
 * what the difference does to a proxy (`nasrepro score ... --augment`).
 *
 * Per image, from seedrandom(`nasrepro-augment:${seed}`) in batch order: the crop offsets
 * dy, dx in 0..2·pad (torchvision's randint draws), then a flip with probability 1/2. Padding is
 * black (byte 0) before normalisation, i.e. the normalised value of byte 0 in each channel.
 */
import seedrandom from 'seedrandom';
import { normalizedValue } from './normalize.ts';
import type { ImageBatch } from './types.ts';

export function augmentBatch(batch: ImageBatch, seed: number, pad = 4): ImageBatch {
  const { n, height: h, width: w, channels: c } = batch;
  const rng = seedrandom(`nasrepro-augment:${seed}`);
  const black = Array.from({ length: c }, (_, ch) => normalizedValue(batch.dataset, ch, 0));
  const x = new Float32Array(batch.x.length);
  for (let b = 0; b < n; b++) {
    const dy = Math.floor(rng() * (2 * pad + 1));
    const dx = Math.floor(rng() * (2 * pad + 1));
    const flip = rng() < 0.5;
    const base = b * h * w * c;
    for (let y = 0; y < h; y++) {
      for (let xo = 0; xo < w; xo++) {
        const xc = flip ? w - 1 - xo : xo; // flip after the crop: output column xo shows crop column xc
        const sy = y + dy - pad;
        const sx = xc + dx - pad;
        const inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
        for (let ch = 0; ch < c; ch++) {
          x[base + (y * w + xo) * c + ch] = inside ? batch.x[base + (sy * w + sx) * c + ch]! : black[ch]!;
        }
      }
    }
  }
  return { ...batch, x };
}
