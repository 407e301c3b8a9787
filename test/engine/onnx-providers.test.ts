import { describe, expect, it } from 'vitest';
import { chooseProviders, cpuAfterFailure, installedProviderFiles, ortProviders } from '../../src/engine/onnx-providers.ts';

const CUDA_FILES = ['libonnxruntime.so.1', 'onnxruntime_binding.node', 'libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'];
const CPU_FILES = ['libonnxruntime.so.1', 'onnxruntime_binding.node'];
const base = { platform: 'linux', arch: 'x64', dir: '/ort/bin' };

describe('chooseProviders', () => {
  it('asks for CUDA then CPU when both provider libraries are installed', () => {
    const c = chooseProviders({ ...base, files: CUDA_FILES });
    expect(c.providers).toEqual(['cuda', 'cpu']);
    expect(c.reason).toContain('/ort/bin');
  });

  it('falls back to CPU, naming the missing files, when only the CPU build is there', () => {
    const c = chooseProviders({ ...base, files: CPU_FILES });
    expect(c.providers).toEqual(['cpu']);
    expect(c.reason).toContain('libonnxruntime_providers_cuda.so');
    // one of the two is not enough: the CUDA provider loads through the shared one
    expect(chooseProviders({ ...base, files: [...CPU_FILES, 'libonnxruntime_providers_cuda.so'] }).providers).toEqual(['cpu']);
  });

  it('ORT_CUDA=0 disables CUDA; ORT_CUDA=1 forces it and says the files were not found', () => {
    expect(chooseProviders({ ...base, files: CUDA_FILES, ortCuda: '0' })).toEqual({ providers: ['cpu'], reason: 'CPU: ORT_CUDA=0' });
    const forced = chooseProviders({ ...base, files: CPU_FILES, ortCuda: '1' });
    expect(forced.providers).toEqual(['cuda', 'cpu']);
    expect(forced.reason).toMatch(/not in \/ort\/bin/);
    expect(() => chooseProviders({ ...base, files: CPU_FILES, ortCuda: 'yes' })).toThrow(/ORT_CUDA=yes/);
  });

  it('knows the Windows names and that macOS / arm64 builds ship no CUDA provider', () => {
    expect(chooseProviders({ ...base, platform: 'win32', files: ['onnxruntime_providers_cuda.dll', 'onnxruntime_providers_shared.dll'] }).providers).toEqual(['cuda', 'cpu']);
    expect(chooseProviders({ ...base, platform: 'darwin', arch: 'arm64', files: [] }).reason).toMatch(/no CUDA provider for darwin-arm64/);
  });

  it('cpuAfterFailure keeps the first line of the error and the earlier reason', () => {
    const c = cpuAfterFailure(chooseProviders({ ...base, files: CUDA_FILES }), new Error('libcudnn.so.9: cannot open\nmore'));
    expect(c.providers).toEqual(['cpu']);
    expect(c.reason).toBe('CPU: the CUDA provider failed to start (libcudnn.so.9: cannot open); was CUDA: provider installed in /ort/bin');
  });
});

describe('on this machine', () => {
  it('finds the installed onnxruntime-node binaries and decides from them', () => {
    const { dir, files } = installedProviderFiles();
    expect(files).toContain('onnxruntime_binding.node');
    const c = ortProviders({ ORT_CUDA: undefined });
    expect(c.providers).toEqual(files.includes('libonnxruntime_providers_cuda.so') ? ['cuda', 'cpu'] : ['cpu']);
    expect(c.reason).toContain(dir);
  });
});
