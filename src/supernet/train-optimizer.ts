/**
 * SGD with momentum and weight decay, PyTorch's `torch.optim.SGD` semantics (no dampening, no
 * Nesterov), with the two things the BN-NAS reference does around it:
 *   1. parameters whose gradient is exactly zero get NO update at all: the reference sets such
 *      gradients to None ("Fix a bug of pytorch"), and PyTorch's SGD skips parameters without a
 *      gradient, so neither weight decay nor the momentum buffer moves them. In single-path
 *      training this is what keeps the ops off the sampled path (and ops on the path whose output
 *      a `none` edge cuts off) untouched;
 *   2. every gradient entry is clipped to [-clip, clip] first (clip_grad_value_).
 * Then, per parameter p with gradient g:
 *   d = clip(g) + weightDecay · p;  buf = d on its first update, else momentum · buf + d;
 *   p = p - lr · buf.
 *
 * Why not tf.train.momentum: its state cannot be read back and restored exactly, and checkpoints
 * must hold the optimiser state (a resumed run has to equal the uninterrupted one bit for bit).
 * The momentum buffers are plain tensors keyed by parameter name; `exportState` / `importState`
 * move them in and out as float32 arrays. A parameter that has never been updated has no buffer,
 * as in PyTorch, and that difference survives a checkpoint.
 */
import * as tf from '@tensorflow/tfjs';

export interface SgdSettings {
  momentum: number;
  weightDecay: number;
  gradClip: number;
}

export interface OptimisedParam {
  name: string;
  variable: tf.Variable;
}

export class SgdMomentum {
  private readonly byName = new Map<string, tf.Variable>();
  private readonly buffers = new Map<string, tf.Tensor>();

  constructor(
    params: readonly OptimisedParam[],
    private readonly settings: SgdSettings,
  ) {
    for (const p of params) {
      if (this.byName.has(p.name)) throw new RangeError(`duplicate parameter name '${p.name}'`);
      this.byName.set(p.name, p.variable);
    }
  }

  /**
   * One update with `grads` (by parameter name; parameters absent from the map are not touched).
   * Returns the names of the parameters that were updated (non-zero gradient).
   */
  step(grads: ReadonlyMap<string, tf.Tensor>, lr: number): string[] {
    const names = [...grads.keys()];
    for (const n of names) {
      if (!this.byName.has(n)) throw new RangeError(`gradient for unknown parameter '${n}'`);
    }
    if (names.length === 0) return [];
    // One read-back for all: which gradients are exactly zero.
    const magnitudes = tf.tidy(() => tf.stack(names.map((n) => tf.sum(tf.abs(grads.get(n)!)))).dataSync());
    const { momentum, weightDecay, gradClip } = this.settings;
    const updated: string[] = [];
    names.forEach((name, i) => {
      if (magnitudes[i] === 0) return;
      const p = this.byName.get(name)!;
      const previous = this.buffers.get(name);
      const buf = tf.tidy(() => {
        let d = tf.clipByValue(grads.get(name)!, -gradClip, gradClip);
        if (weightDecay !== 0) d = tf.add(d, tf.mul(p, weightDecay));
        return previous ? tf.add(tf.mul(previous, momentum), d) : d;
      });
      const next = tf.tidy(() => tf.sub(p, tf.mul(buf, lr)));
      p.assign(next);
      next.dispose();
      previous?.dispose();
      this.buffers.set(name, buf);
      updated.push(name);
    });
    return updated;
  }

  /** The momentum buffers that exist, as float32 copies. */
  exportState(): Map<string, { shape: number[]; values: Float32Array }> {
    const out = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const [name, buf] of this.buffers) out.set(name, { shape: [...buf.shape], values: Float32Array.from(buf.dataSync() as Float32Array) });
    return out;
  }

  /** Replaces every buffer with `state` (shapes checked against the parameters). */
  importState(state: ReadonlyMap<string, { shape: readonly number[]; values: Float32Array }>): void {
    for (const [name, s] of state) {
      const p = this.byName.get(name);
      if (!p) throw new RangeError(`optimiser state for unknown parameter '${name}'`);
      if (p.shape.length !== s.shape.length || p.shape.some((d, i) => d !== s.shape[i])) {
        throw new RangeError(`optimiser state of '${name}' has shape [${s.shape.join(', ')}], the parameter [${p.shape.join(', ')}]`);
      }
    }
    this.disposeBuffers();
    for (const [name, s] of state) this.buffers.set(name, tf.tensor(s.values, [...s.shape], 'float32'));
  }

  dispose(): void {
    this.disposeBuffers();
  }

  private disposeBuffers(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}
