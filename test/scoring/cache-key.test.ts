/**
 * The score cache key names everything that can change a score (issue 16, item 2; issue 17,
 * item 5): two configurations that can give different scores never share an entry.
 */
import { describe, expect, it } from 'vitest';
import type { BackendInfo } from '../../src/engine/backend.ts';
import { getProxy } from '../../src/proxies/registry.ts';
import { backendIdentity, scoreCacheKeyOf } from '../../src/scoring/score-cells.ts';
import type { ScoreJob } from '../../src/scoring/score-job.ts';
import { parseExecutorChoice, resolveFastExecutor } from '../../src/scoring/executor-choice.ts';
import { scoreCachePath } from '../../src/results/score-cache.ts';

const WASM: BackendInfo = { name: 'wasm', version: '4.22.0', detail: 'simd, 1 thread' };

function job(proxy: string, over: Partial<ScoreJob> = {}): ScoreJob {
  return { space: 'nb201', proxy, settings: getProxy(proxy).defaults, dataset: 'cifar10', batchSeed: 0, initSeed: 0, dataDir: 'data', ...over };
}

const path = (j: ScoreJob, b: BackendInfo = WASM) => scoreCachePath('/cache', scoreCacheKeyOf(j, b));

describe('score cache key', () => {
  it("an NB101 job records NB101's own network (stem, BN, initialisation), never an NB201 variant", () => {
    const key = scoreCacheKeyOf(job('synflow', { space: 'nb101', nb101StemChannels: 16 }), WASM);
    const network = (key.config as { network: Record<string, unknown> }).network;
    expect(network).toMatchObject({ variant: 'zero-cost-no-bn', bn: false, stemChannels: 16, initScheme: 'nb101-reference' });
    expect(network).not.toHaveProperty('C');
    expect(network).not.toHaveProperty('N');
    // grad_norm's NB101 network has BN: a different entry from synflow's BN-free copy
    const gn = (scoreCacheKeyOf(job('grad_norm', { space: 'nb101', nb101StemChannels: 16 }), WASM).config as { network: Record<string, unknown> }).network;
    expect(gn).toMatchObject({ bn: true });
    // stems differ -> entries differ
    expect(path(job('synflow', { space: 'nb101', nb101StemChannels: 16 }))).not.toBe(path(job('synflow', { space: 'nb101', nb101StemChannels: 128 })));
  });

  it('names the backend with its version, and which tfjs-node build', () => {
    expect(backendIdentity(WASM)).toBe('wasm@4.22.0');
    const cpuNode: BackendInfo = { name: 'tensorflow', version: '4.22.0', detail: 'native libtensorflow via @tensorflow/tfjs-node' };
    const gpuNode: BackendInfo = { name: 'tensorflow', version: '4.22.0', detail: 'native libtensorflow via @tensorflow/tfjs-node-gpu' };
    expect(path(job('naswot'), cpuNode)).not.toBe(path(job('naswot'), gpuNode));
    expect(path(job('naswot'), WASM)).not.toBe(path(job('naswot'), { ...WASM, version: '4.23.0' }));
  });

  it("changes with the proxy's code version, the initialisation, the seeds, the settings and the data-free image size", () => {
    const base = path(job('naswot'));
    const proxy = getProxy('naswot');
    const version = proxy.version;
    try {
      (proxy as { version: number }).version = version + 1;
      expect(path(job('naswot'))).not.toBe(base);
    } finally {
      (proxy as { version: number }).version = version;
    }
    expect(path(job('naswot'))).toBe(base);
    expect(path(job('naswot', { initScheme: 'gaussian' }))).not.toBe(base);
    expect(path(job('naswot', { initSeed: 1 }))).not.toBe(base);
    expect(path(job('naswot', { batchSeed: 1 }))).not.toBe(base);
    expect(path(job('naswot', { settings: { batchSize: 64 } }))).not.toBe(base);
    expect(path(job('naswot', { settings: { batchSize: 128, augment: true } }))).not.toBe(base);
    // synflow feeds the dataset's image size: CIFAR-100 (32) and ImageNet16-120 (16) differ beyond classes
    const s100 = scoreCacheKeyOf(job('synflow', { dataset: 'cifar100' }), WASM).config as Record<string, unknown>;
    const s16 = scoreCacheKeyOf(job('synflow', { dataset: 'ImageNet16-120' }), WASM).config as Record<string, unknown>;
    expect(s100.imageSize).toBe(32);
    expect(s16.imageSize).toBe(16);
    expect((s16.code as Record<string, number>).graph).toBeGreaterThan(0);
  });

  // issue 11, group A: the new proxies' own settings and zen's Gaussian-initialised variant
  it("separates zico's gradient accumulation, zen's γ, meco's resolution and two batches from one", () => {
    expect(path(job('zico'))).not.toBe(path(job('zico', { settings: { ...getProxy('zico').defaults, accumulate: false } as never })));
    expect(path(job('zen'))).not.toBe(path(job('zen', { settings: { ...getProxy('zen').defaults, mixupGamma: 0.1 } as never })));
    expect(path(job('meco'))).not.toBe(path(job('meco', { settings: { ...getProxy('meco').defaults, resolution: 32 } as never })));
    const zen = (scoreCacheKeyOf(job('zen'), WASM).config as { network: Record<string, unknown> }).network;
    expect(zen).toMatchObject({ variant: 'gaussian', initScheme: 'gaussian', bn: 'standard' });
    expect(scoreCacheKeyOf(job('zico'), WASM).batch).toMatch(/b128x2/);
  });
});

describe('score cache key: group B settings (issue 11)', () => {
  it("separates SWAP's repeats and regulariser, TE-NAS's region inputs and AZ-NAS's noise seed", () => {
    const differs = (proxy: string, over: object): void => {
      const s = getProxy(proxy).defaults;
      expect(path(job(proxy, { settings: { ...s, ...over } }))).not.toBe(path(job(proxy)));
    };
    differs('swap', { repeats: 8 });
    differs('reg_swap', { mu: 1000 });
    differs('reg_swap', { sigma: 2e6 });
    differs('te_nas', { regionBatch: 500 });
    differs('te_nas', { regionCrop: 8 });
    differs('az_nas', { noiseSeed: 1 });
    // swap and reg_swap score the same network and batch, but never share an entry
    expect(path(job('swap'))).not.toBe(path(job('reg_swap')));
  });
});

describe('score cache key: the fast executor', () => {
  it('names the fast executor actually used, for the proxies it serves (issue 17)', () => {
    const onnx = resolveFastExecutor('onnx')!;
    expect(onnx.identity).toMatch(/^onnxruntime-node@\d+\.\d+\.\d+\/cpu/);
    expect(resolveFastExecutor('tfjs')).toBeUndefined();
    const key = scoreCacheKeyOf(job('naswot'), WASM, onnx.identity);
    expect((key.config as { code: Record<string, unknown> }).code.fastExecutor).toBe(onnx.identity);
    // NASWOT on ONNX Runtime and on tfjs: different entries; another ORT version: another entry
    expect(path(job('naswot'))).not.toBe(scoreCachePath('/cache', key));
    expect(scoreCachePath('/cache', scoreCacheKeyOf(job('naswot'), WASM, 'onnxruntime-node@9.9.9/cpu/model-v1'))).not.toBe(scoreCachePath('/cache', key));
    // gradient proxies stay on tfjs (no ORT gradient pass): their entries do not move
    expect(scoreCachePath('/cache', scoreCacheKeyOf(job('grad_norm'), WASM, onnx.identity))).toBe(path(job('grad_norm')));
    expect(() => parseExecutorChoice('torch')).toThrow(/--executor must be one of auto, tfjs, onnx, got 'torch'/);
  });
});
