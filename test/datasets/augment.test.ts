import { describe, expect, it } from 'vitest';
import { augmentBatch } from '../../src/datasets/augment.ts';
import { normalizedValue } from '../../src/datasets/normalize.ts';
import type { ImageBatch } from '../../src/datasets/types.ts';

function codedBatch(n: number, h: number, w: number): ImageBatch {
  // every value unique and far from the normalised black values, so a match identifies its source
  const x = Float32Array.from({ length: n * h * w * 3 }, (_, i) => 10 + i);
  return { dataset: 'cifar10', split: 'train', indices: [], n, height: h, width: w, channels: 3, x, labels: new Int32Array(n) };
}

describe('augmentBatch (RandomCrop(pad 4) + RandomHorizontalFlip)', () => {
  it('turns each image into one crop-and-maybe-flip of itself, with black padding, deterministically', () => {
    const b = codedBatch(12, 6, 7);
    const a = augmentBatch(b, 3);
    expect(augmentBatch(b, 3).x).toEqual(a.x);
    const black = [0, 1, 2].map((c) => normalizedValue('cifar10', c, 0));
    const { height: h, width: w } = b;
    let flips = 0;
    for (let i = 0; i < b.n; i++) {
      const base = i * h * w * 3;
      const matches: string[] = [];
      for (let dy = 0; dy <= 8; dy++)
        for (let dx = 0; dx <= 8; dx++)
          for (const flip of [false, true]) {
            let ok = true;
            for (let y = 0; y < h && ok; y++)
              for (let xo = 0; xo < w && ok; xo++) {
                const sy = y + dy - 4;
                const sx = (flip ? w - 1 - xo : xo) + dx - 4;
                for (let c = 0; c < 3 && ok; c++) {
                  const want = sy >= 0 && sy < h && sx >= 0 && sx < w ? b.x[base + (sy * w + sx) * 3 + c]! : black[c]!;
                  ok = a.x[base + (y * w + xo) * 3 + c] === Math.fround(want);
                }
              }
            if (ok) matches.push(`${dy},${dx},${flip}`);
          }
      expect(matches.length).toBe(1);
      if (matches[0]!.endsWith('true')) flips++;
    }
    expect(flips).toBeGreaterThan(0);
    expect(flips).toBeLessThan(b.n);
  });
});
