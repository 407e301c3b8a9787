/**
 * Second-order gradients for grasp. tfjs (4.22) registers no gradient for two kernels that a
 * gradient's own graph contains, so a gradient of a gradient through a conv net fails:
 * - Conv2DBackpropFilter (dW = Σ x-patches ⊗ dy): its gradient w.r.t. x is the transposed
 *   convolution of dy with the upstream ddW, w.r.t. dy the convolution of x with ddW (as
 *   TensorFlow's _Conv2DBackpropFilterGrad);
 * - AvgPoolGrad (the adjoint of a 'valid' average pool): its gradient w.r.t. dy is the average
 *   pool of the upstream gradient (the adjoint of the adjoint), none w.r.t. the input (only its
 *   shape is used). Exact for 'valid' pools, the only ones zcForward uses; not registered for
 *   'same' pools (tfjs's own AvgPoolGrad is wrong there, see avgPool3x3Exclusive).
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
