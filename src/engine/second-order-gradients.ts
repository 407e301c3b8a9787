/**
 * Second-order gradients for grasp. tfjs (4.22) registers no gradient for two kernels that a
 * gradient's own graph contains, so a gradient of a gradient through a conv net fails:
 * - Conv2DBackpropFilter (dW = Σ x-patches ⊗ dy): its gradient w.r.t. x is the transposed
 *   convolution of dy with the upstream ddW, w.r.t. dy the convolution of x with ddW (as
 *   TensorFlow's _Conv2DBackpropFilterGrad);
 * - AvgPoolGrad (the adjoint of a 'valid' average pool): its gradient w.r.t. dy is the average
 *   pool of the upstream gradient (the adjoint of the adjoint), none w.r.t. the input (only its
 *   shape is used). Exact for 'valid' pools, the only ones the executors use; not registered for
 *   'same' pools (tfjs's own AvgPoolGrad is wrong there, see avgPool3x3Exclusive).
 * - MaxPoolGrad (the adjoint of a max pool, NB101's pools): its gradient w.r.t. dy gathers the
 *   upstream gradient at each window's maximum (tf.maxPoolWithArgmax), none w.r.t. the input and
 *   output (piecewise constant). Where a window's maximum is tied, MaxPoolGrad and the argmax may
 *   pick different positions; in NB101 tied maxima are zeros behind ReLUs whose gradient is zero
 *   there, so the choice does not reach the result.
 * `ensureSecondOrderGradients` registers them once, only where tfjs has none.
 */
import * as tf from '@tensorflow/tfjs';

let done = false;

export function ensureSecondOrderGradients(): void {
  if (done) return;
  done = true;
  if (!tf.getGradient('Conv2DBackpropFilter')) {
    tf.registerGradient({
      kernelName: 'Conv2DBackpropFilter',
      inputsToSave: ['x', 'dy'],
      gradFunc: (ddw, saved, attrs) => {
        const [x, dy] = saved as [tf.Tensor4D, tf.Tensor4D];
        const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as {
          strides: [number, number] | number;
          pad: 'valid' | 'same' | number;
          dataFormat: 'NHWC' | 'NCHW';
          dimRoundingMode?: 'floor' | 'round' | 'ceil';
        };
        if (dataFormat !== undefined && dataFormat !== 'NHWC') throw new Error('Conv2DBackpropFilter gradient: NHWC only');
        const w = ddw as tf.Tensor4D;
        return {
          x: () => tf.conv2dTranspose(dy, w, x.shape, strides, pad, dimRoundingMode),
          dy: () => tf.conv2d(x, w, strides, pad, 'NHWC', 1, dimRoundingMode),
        };
      },
    });
  }
  if (!tf.getGradient('MaxPoolGrad')) {
    tf.registerGradient({
      kernelName: 'MaxPoolGrad',
      inputsToSave: ['dy', 'input', 'output'],
      gradFunc: (ddx, saved, attrs) => {
        const [dy, input, output] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
        const { filterSize, strides, pad } = attrs as unknown as {
          filterSize: [number, number] | number;
          strides: [number, number] | number;
          pad: 'valid' | 'same' | number;
        };
        if (typeof pad === 'number') throw new Error(`MaxPoolGrad gradient: 'valid' or 'same' pools only (got pad ${pad})`);
        return {
          dy: () => {
            const { indexes } = tf.maxPoolWithArgmax(input, filterSize, strides, pad, true);
            return tf.reshape(tf.gather(tf.reshape(ddx as tf.Tensor, [-1]), tf.reshape(indexes, [-1])), dy.shape);
          },
          input: () => tf.zerosLike(input),
          output: () => tf.zerosLike(output),
        };
      },
    });
  }
  if (!tf.getGradient('AvgPoolGrad')) {
    tf.registerGradient({
      kernelName: 'AvgPoolGrad',
      inputsToSave: ['input'],
      gradFunc: (ddx, saved, attrs) => {
        const [input] = saved as [tf.Tensor4D];
        const { filterSize, strides, pad } = attrs as unknown as {
          filterSize: [number, number] | number;
          strides: [number, number] | number;
          pad: 'valid' | 'same' | number;
        };
        if (pad !== 'valid' && pad !== 0) throw new Error(`AvgPoolGrad gradient: only 'valid' pools (got pad ${String(pad)})`);
        return {
          dy: () => tf.avgPool(ddx as tf.Tensor4D, filterSize, strides, pad),
          input: () => tf.zerosLike(input),
        };
      },
    });
  }
}
