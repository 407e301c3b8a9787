/**
 * Analytic parameter count and FLOPs of the NB201 network (nb201-network.ts), without building it.
 *
 * Parameters: exactly what PyTorch's `sum(p.numel() for p in model.parameters())` counts: conv
 * weights (and conv biases where the BN variant gives the cell convs one), BN gamma and beta of
 * affine BNs, linear weight and bias. BN running statistics are buffers and do not count. The
 * official NB201 `params` (and the `params_M` column of the shared accuracies table) is this count
 * for bn 'standard' divided by 1e6 (the v1.0-era xautodl `count_parameters_in_MB` used 1e6; later
 * xautodl code switched to 2^20, the benchmark files keep 1e6).
 *
 * FLOPs, NB201's `flop` convention (xautodl `get_model_infos`): per image, the multiply-adds of
 * every Conv2d (k*k*in*out per output position, + out per position when the conv has a bias) and
 * every Linear (in*out, + out for the bias), in units of 1e6. Pools, BN, ReLU and the additions
 * of node sums are not counted (xautodl hooks pools but leaves them out of the total). Checked
 * against the official files' `flop` for cells 0, 11 and 284 on CIFAR (32x32) and ImageNet16 (16x16).
 */
import { asNB201Cell, convKernelSize, isConvOp, type NB201Cell } from './nb201-cell.ts';
import type { BnVariant } from './nb201-network.ts';

export interface NB201CostOptions {
  C?: number;
  N?: number;
  numClasses: number;
  /** Input height = width (32 for CIFAR, 16 for ImageNet16-120). Only FLOPs depend on it. */
  inputSize?: number;
  bn?: BnVariant;
  fair?: boolean;
}

export interface NB201Cost {
  /** Trainable parameters (a count). */
  params: number;
  /** params / 1e6, NB201's `params` unit. */
  paramsM: number;
  /** Multiply-adds per image, NB201's convention (see above). */
  flops: number;
  /** flops / 1e6, NB201's `flop` unit. */
  flopsM: number;
}

/** Spatial output size of a conv/pool: floor((size + 2 pad - k) / stride) + 1. */
function outSize(size: number, k: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - k) / stride) + 1;
}

/** Accumulates parameters and FLOPs layer by layer. */
class Tally {
  params = 0;
  flops = 0;

  conv(k: number, inC: number, outC: number, outH: number, outW: number, bias: boolean): void {
    this.params += k * k * inC * outC + (bias ? outC : 0);
    this.flops += (k * k * inC * outC + (bias ? outC : 0)) * outH * outW;
  }

  bn(channels: number, affine: boolean): void {
    if (affine) this.params += 2 * channels;
  }

  linear(inF: number, outF: number): void {
    this.params += inF * outF + outF;
    this.flops += inF * outF + outF;
  }
}

export function nb201Cost(cellOps: readonly string[], opts: NB201CostOptions): NB201Cost {
  const cell: NB201Cell = asNB201Cell(cellOps);
  const { C = 16, N = 5, numClasses, inputSize = 32, bn = 'standard', fair = false } = opts;
  if (fair && bn === 'none-in-cells') {
    throw new RangeError("fair (a BN after every op) contradicts bn 'none-in-cells' (no BN in the cells)");
  }
  // The same rules as nb201-network.ts: which BNs exist, which are affine, which convs get a bias.
  const outerBn = bn !== 'none-in-cells';
  const cellBnExists = bn !== 'none-in-cells';
  const cellBnAffine = bn === 'standard';
  const cellConvBias = !cellBnAffine;

  const t = new Tally();
  let size = inputSize;
  t.conv(3, 3, C, size, size, false);
  if (outerBn) t.bn(C, true);

  let channels = C;
  for (let stage = 0; stage < 3; stage++) {
    if (stage > 0) {
      const outC = channels * 2;
      const reduced = outSize(size, 3, 2, 1);
      t.conv(3, channels, outC, reduced, reduced, false);
      t.bn(outC, true);
      t.conv(3, outC, outC, reduced, reduced, false);
      t.bn(outC, true);
      const pooled = outSize(size, 2, 2, 0);
      t.conv(1, channels, outC, pooled, pooled, false);
      channels = outC;
      size = reduced;
    }
    for (let i = 0; i < N; i++) {
      for (const op of cell) {
        if (isConvOp(op)) {
          t.conv(convKernelSize(op), channels, channels, size, size, cellConvBias);
          if (cellBnExists) t.bn(channels, cellBnAffine);
        } else if (fair && op !== 'none') {
          t.bn(channels, cellBnAffine);
        }
      }
    }
  }
  if (outerBn) t.bn(channels, true);
  t.linear(channels, numClasses);
  return { params: t.params, paramsM: t.params / 1e6, flops: t.flops, flopsM: t.flops / 1e6 };
}
