/**
 * Kernel fixes for the tfjs wasm backend (see docs/shared engine.md):
 *
 * - Conv2DBackpropFilter is missing on wasm, so no convolution can be differentiated there. We
 *   build it from the backend's own forward Conv2D by making the batch the reduction axis:
 *   dW[kh,kw,ci,co] = sum_{n,oh,ow} x[n, oh*s+kh-pt, ow*s+kw-pl, ci] * dy[n,oh,ow,co]
 *   is a convolution of x' = x^T[ci,h,w,n] (batch ci, channels n) with the "filter"
 *   dy' = dy^T[oh,ow,n,co], whose stride is the original dilation (1) and whose dilation is the
 *   original stride s. Output [ci,kh,kw,co] is transposed back to [kh,kw,ci,co].
 *
 * - The stock Conv2DBackpropInput is slow (~1-3 GFLOP/s). For stride 1 the input gradient is a
 *   plain convolution of dy with the spatially flipped, in/out-swapped filter, padded with
 *   (k-1-pad) on each side, which runs on XNNPACK ~10x faster; for stride s, dy is first spread
 *   out with s-1 zeros between entries. Layouts or paddings this cannot express go to the stock
 *   kernel, whose config we keep before overriding.
 *
 * Only NHWC and dilation 1 (what tfjs's conv2d gradient itself supports) are handled; anything
 * else throws (filter) or falls back to the stock kernel (input).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { EngineError } from './errors.ts';

const BACKEND = 'wasm';

/** Explicit NHWC padding in the form tfjs's conv attrs accept. */
type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];
type PadAttr = 'same' | 'valid' | number | ExplicitPad;

interface ConvGradAttrs {
  strides: number | [number, number];
  pad: PadAttr;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Calls another kernel of the same backend by name, as tfjs's own composite kernels do. */
function callKernel(name: string, backend: KernelBackend, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap): TensorInfo {
  const config = tf.getKernel(name, BACKEND);
  if (config === undefined) throw new EngineError(`wasm backend has no '${name}' kernel`);
  return config.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
}

function transpose(backend: KernelBackend, x: TensorInfo, perm: number[]): TensorInfo {
  return callKernel('Transpose', backend, { x }, { perm });
}

function conv2d(backend: KernelBackend, x: TensorInfo, filter: TensorInfo, pad: ExplicitPad, dilation: [number, number]): TensorInfo {
  return callKernel('Conv2D', backend, { x, filter }, {
    strides: [1, 1],
    pad,
    dataFormat: 'NHWC',
    dilations: dilation,
    dimRoundingMode: undefined as unknown as string,
  } as unknown as NamedAttrMap);
}

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

function requireNhwc(attrs: ConvGradAttrs, kernel: string): void {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') {
    throw new EngineError(`${kernel} on wasm: only NHWC is supported, got ${attrs.dataFormat}`);
  }
}

/** Disposes intermediate tensors made inside a kernel (refcount-aware, like tfjs kernels do). */
function release(backend: KernelBackend, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

const conv2DBackpropFilter: KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = anyBackend as KernelBackend;
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as ConvGradAttrs & { filterShape: [number, number, number, number] };
  requireNhwc(a, 'Conv2DBackpropFilter');
  const [kh, kw] = a.filterShape;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode,
  );
  const [h, w] = [x.shape[1]!, x.shape[2]!];
  const [oh, ow] = [dy.shape[1]!, dy.shape[2]!];
  const { top, left } = info.padInfo;
  const { strideHeight: sh, strideWidth: sw } = info;
  // Padding after the input so that the correlation yields exactly kh x kw positions. It is
  // negative when the forward pass never read the last rows/cols (e.g. 'valid', stride 2, odd
  // size); then we pad 0 and slice the surplus off the result instead.
  const bottom = kh + (oh - 1) * sh - h - top;
  const right = kw + (ow - 1) * sw - w - left;

  if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && top === 0 && left === 0 && h === oh && w === ow) {
    return pointwiseFilterGrad(backend, x, dy);
  }

  const xT = transpose(backend, x, [3, 1, 2, 0]); // [ci, h, w, n]
  const dyT = transpose(backend, dy, [1, 2, 0, 3]); // [oh, ow, n, co]
  const pad: ExplicitPad = [[0, 0], [top, Math.max(0, bottom)], [left, Math.max(0, right)], [0, 0]];
  let grad = conv2d(backend, xT, dyT, pad, [sh, sw]); // [ci, >=kh, >=kw, co]
  release(backend, xT, dyT);
  if (grad.shape[1] !== kh || grad.shape[2] !== kw) {
    const sliced = callKernel('Slice', backend, { x: grad }, { begin: [0, 0, 0, 0], size: [-1, kh, kw, -1] });
    release(backend, grad);
    grad = sliced;
  }
  const out = transpose(backend, grad, [1, 2, 0, 3]); // [kh, kw, ci, co]
  release(backend, grad);
  return out;
};

/**
 * A 1x1 stride-1 unpadded convolution is a matrix product over pixels, so its filter gradient is
 * x^T dy with x as [pixels, ci] and dy as [pixels, co]. Measured ~8x faster than the convolution
 * route above, whose 'filter' would be the whole image.
 */
function pointwiseFilterGrad(backend: KernelBackend, x: TensorInfo, dy: TensorInfo): TensorInfo {
  const ci = x.shape[3]!;
  const co = dy.shape[3]!;
  const pixels = x.shape[0]! * x.shape[1]! * x.shape[2]!;
  const x2 = callKernel('Reshape', backend, { x }, { shape: [pixels, ci] });
  // An explicit transpose then a plain product: measured 3x faster than BatchMatMul's transposeA.
  const xT = transpose(backend, x2, [1, 0]);
  const xT3 = callKernel('Reshape', backend, { x: xT }, { shape: [1, ci, pixels] });
  const dy3 = callKernel('Reshape', backend, { x: dy }, { shape: [1, pixels, co] });
  const product = callKernel('BatchMatMul', backend, { a: xT3, b: dy3 }, { transposeA: false, transposeB: false });
  const out = callKernel('Reshape', backend, { x: product }, { shape: [1, 1, ci, co] });
  release(backend, x2, xT, xT3, dy3, product);
  return out;
}

/** The stock wasm Conv2DBackpropInput, kept so that strides other than 1 still work. */
let stockBackpropInput: KernelConfig | undefined;

const conv2DBackpropInput: KernelFunc = (args) => {
  const { inputs, attrs } = args;
  const backend = args.backend as KernelBackend;
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const a = attrs as unknown as ConvGradAttrs & { inputShape: [number, number, number, number] };
  const fallback = (): TensorInfo | TensorInfo[] => {
    if (stockBackpropInput === undefined) throw new EngineError('stock wasm Conv2DBackpropInput was not saved');
    return stockBackpropInput.kernelFunc(args);
  };
  if (a.dataFormat !== undefined && a.dataFormat !== 'NHWC') return fallback();

  const [kh, kw] = [filter.shape[0]!, filter.shape[1]!];
  const info = tf.backend_util.computeConv2DInfo(
    a.inputShape, filter.shape as [number, number, number, number], a.strides, 1, a.pad, a.dimRoundingMode,
  );
  const { strideHeight: sh, strideWidth: sw } = info;
  const [h, w] = [a.inputShape[1], a.inputShape[2]];
  const [oh, ow] = [dy.shape[1]!, dy.shape[2]!];
  // dx is the stride-1 correlation of (dy spread out by the stride, zeros between) with the
  // flipped filter; pad so that exactly h x w outputs come out.
  const padTop = kh - 1 - info.padInfo.top;
  const padLeft = kw - 1 - info.padInfo.left;
  const pad: ExplicitPad = [[0, 0], [padTop, h + kh - 1 - sh * oh - padTop], [padLeft, w + kw - 1 - sw * ow - padLeft], [0, 0]];
  // Paddings larger than the filter have no equivalent with non-negative padding.
  if (!pad.every(([p, q]) => p >= 0 && q >= 0)) return fallback();

  const flipped = callKernel('Reverse', backend, { x: filter }, { dims: [0, 1] });
  const swapped = transpose(backend, flipped, [0, 1, 3, 2]); // [kh, kw, co, ci]
  const spread = sh === 1 && sw === 1 ? dy : spreadByStride(backend, dy, sh, sw);
  const out = conv2d(backend, spread, swapped, pad, [1, 1]);
  release(backend, flipped, swapped);
  if (spread !== dy) release(backend, spread);
  return out;
};

/**
 * [n, oh, ow, c] -> [n, oh*sh, ow*sw, c] with dy[i, j] at (i*sh, j*sw) and zeros elsewhere. For
 * stride 2 the convolution then does 4x the necessary multiplies, but XNNPACK's convolution is
 * still ~3x faster than the stock backprop-input kernel (see bench/engine-kernels.ts).
 */
function spreadByStride(backend: KernelBackend, dy: TensorInfo, sh: number, sw: number): TensorInfo {
  const [n, oh, ow, c] = dy.shape as [number, number, number, number];
  const split = callKernel('Reshape', backend, { x: dy }, { shape: [n, oh, 1, ow, 1, c] });
  const paddings = [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]];
  const padded = callKernel('PadV2', backend, { x: split }, { paddings, constantValue: 0 } as unknown as NamedAttrMap);
  const out = callKernel('Reshape', backend, { x: padded }, { shape: [n, oh * sh, ow * sw, c] });
  release(backend, split, padded);
  return out;
}

/**
 * Registers the wasm kernel fixes. Safe to call more than once; only the first call saves the
 * stock Conv2DBackpropInput (later calls would otherwise save our own kernel as "stock").
 */
export function registerWasmKernels(): void {
  if (stockBackpropInput === undefined) {
    stockBackpropInput = tf.getKernel('Conv2DBackpropInput', BACKEND);
    if (stockBackpropInput === undefined) {
      throw new EngineError('wasm backend is not loaded: it has no Conv2DBackpropInput kernel to wrap');
    }
  }
  replaceKernel({ kernelName: 'Conv2DBackpropFilter', backendName: BACKEND, kernelFunc: conv2DBackpropFilter });
  replaceKernel({ kernelName: 'Conv2DBackpropInput', backendName: BACKEND, kernelFunc: conv2DBackpropInput });
}

/** Restores the stock Conv2DBackpropInput (for benchmarks comparing stock vs ours). */
export function useStockBackpropInput(): void {
  if (stockBackpropInput === undefined) return;
  replaceKernel(stockBackpropInput);
}

// tfjs warns (and then overwrites) when a kernel is registered twice; unregistering first keeps
// the log clean.
function replaceKernel(config: KernelConfig): void {
  if (tf.getKernel(config.kernelName, config.backendName) !== undefined) {
    tf.unregisterKernel(config.kernelName, config.backendName);
  }
  tf.registerKernel(config);
}
