import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { activeBackend, initBackend } from '../../src/engine/backend.ts';

const require = createRequire(import.meta.url);
function installed(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}
const nativeInstalled = installed('@tensorflow/tfjs-node-gpu') || installed('@tensorflow/tfjs-node');

// Tests run in file order and share this process's tfjs state on purpose: idempotence and
// switching are properties of that state.
describe('initBackend', () => {
  it('with no request picks the best available backend (tensorflow if installed, else wasm)', async () => {
    const info = await initBackend();
    expect(info.name).toBe(nativeInstalled ? 'tensorflow' : 'wasm');
    expect(tf.getBackend()).toBe(info.name);
    expect(activeBackend()).toEqual(info);
  });

  it('wasm: SIMD build, tfjs version, kernel fixes registered', async () => {
    const info = await initBackend('wasm');
    expect(info).toMatchObject({ name: 'wasm', version: '4.22.0' });
    expect(info.detail).toMatch(/^simd, 1 thread/);
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it('is idempotent: repeated calls return the same info and keep one backend instance', async () => {
    const first = await initBackend('wasm');
    const backend = tf.backend();
    const second = await initBackend('wasm');
    expect(second).toBe(first);
    expect(tf.backend()).toBe(backend);
  });

  it('switches between backends on request and back', async () => {
    expect((await initBackend('cpu')).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect((await initBackend('wasm')).name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    // After switching back, gradients of convolutions still work on wasm (kernels survived).
    const g = tf.grad((f: tf.Tensor) => tf.sum(tf.conv2d(tf.ones([1, 4, 4, 2]) as tf.Tensor4D, f as tf.Tensor4D, 1, 'same')))(tf.ones([3, 3, 2, 1]));
    expect(g.shape).toEqual([3, 3, 2, 1]);
    // Corner tap of a 3x3 'same' conv over a 4x4 map of ones sees 3x3 = 9 inputs.
    expect(g.dataSync()[0]).toBe(9);
  });

  it.skipIf(nativeInstalled)('an explicit tensorflow request fails naming the missing packages', async () => {
    await expect(initBackend('tensorflow')).rejects.toThrow(/@tensorflow\/tfjs-node-gpu cannot be imported.*@tensorflow\/tfjs-node cannot be imported/);
    // The failed request leaves the previous backend active.
    expect(tf.getBackend()).toBe('wasm');
  });
});
