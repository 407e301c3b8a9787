/**
 * Which ONNX Runtime execution providers to request, given what is installed.
 *
 * onnxruntime-node's npm tarball bundles only the CPU library. Its postinstall adds the CUDA
 * provider (CUDA 12 + cuDNN 9, from NuGet) next to the binding, in
 * `bin/napi-v6/<platform>/<arch>/`: `libonnxruntime_providers_cuda.so` and
 * `libonnxruntime_providers_shared.so` (`.dll` on Windows). Both present means the CUDA provider
 * can be asked for. ORT_CUDA overrides the detection: `ORT_CUDA=0` never asks for CUDA;
 * `ORT_CUDA=1` asks for it even when the files are not found there (a provider installed
 * elsewhere, on the loader path). CPU is always listed last, so that ONNX Runtime places on it the
 * nodes CUDA does not take. Choice: without ORT_CUDA a machine with the provider files uses them;
 * a session that then fails to start on CUDA (no driver, wrong CUDA) is the executor's to retry
 * with `cpuAfterFailure`, which keeps the reason for the report.
 *
 * The decision (`chooseProviders`) is pure; `installedProviderFiles` reads the directory.
 */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export type OrtProvider = 'cuda' | 'cpu';

export interface ProviderChoice {
  /** In ONNX Runtime's `executionProviders` order. */
  providers: OrtProvider[];
  /** One line: why these, for logs, reports and the cache key's executor detail. */
  reason: string;
}

export interface ProviderInputs {
  platform: string;
  arch: string;
  /** File names in onnxruntime-node's binary directory for this platform (empty if unknown). */
  files: readonly string[];
  /** Where those files were looked for, to name in the reason. */
  dir: string;
  /** The ORT_CUDA environment variable, if set. */
  ortCuda?: string | undefined;
}

/** The CUDA provider's files for a platform, or undefined where onnxruntime-node ships none. */
export function cudaProviderFiles(platform: string, arch: string): string[] | undefined {
  if (arch !== 'x64') return undefined;
  if (platform === 'linux') return ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'];
  if (platform === 'win32') return ['onnxruntime_providers_cuda.dll', 'onnxruntime_providers_shared.dll'];
  return undefined;
}

export function chooseProviders(inputs: ProviderInputs): ProviderChoice {
  const flag = inputs.ortCuda?.trim();
  if (flag !== undefined && flag !== '' && flag !== '0' && flag !== '1') {
    throw new RangeError(`ORT_CUDA=${inputs.ortCuda} is neither 0 nor 1`);
  }
  if (flag === '0') return { providers: ['cpu'], reason: 'CPU: ORT_CUDA=0' };
  const wanted = cudaProviderFiles(inputs.platform, inputs.arch);
  const missing = wanted?.filter((f) => !inputs.files.includes(f));
  if (flag === '1') {
    const found = missing !== undefined && missing.length === 0;
    return { providers: ['cuda', 'cpu'], reason: `CUDA: ORT_CUDA=1${found ? '' : ` (provider files not in ${inputs.dir}: expected on the loader path)`}` };
  }
  if (wanted === undefined) return { providers: ['cpu'], reason: `CPU: onnxruntime-node has no CUDA provider for ${inputs.platform}-${inputs.arch}` };
  if (missing!.length === 0) return { providers: ['cuda', 'cpu'], reason: `CUDA: provider installed in ${inputs.dir}` };
  return {
    providers: ['cpu'],
    reason: `CPU: no CUDA provider (${missing!.join(', ')} not in ${inputs.dir}; install onnxruntime-node with network access on a CUDA 12 machine, or set ORT_CUDA=1)`,
  };
}

/** After a session failed to start with CUDA: CPU, saying why. */
export function cpuAfterFailure(choice: ProviderChoice, err: unknown): ProviderChoice {
  const message = (err instanceof Error ? err.message : String(err)).split('\n', 1)[0]!;
  return { providers: ['cpu'], reason: `CPU: the CUDA provider failed to start (${message}); was ${choice.reason}` };
}

/** onnxruntime-node's binary directory for this process and the files in it (none if absent). */
export function installedProviderFiles(platform = process.platform, arch = process.arch): { dir: string; files: string[] } {
  let root: string;
  try {
    root = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
  } catch {
    return { dir: 'onnxruntime-node (not installed)', files: [] };
  }
  const dir = path.join(root, 'bin', 'napi-v6', platform, arch);
  try {
    return { dir, files: readdirSync(dir) };
  } catch {
    return { dir, files: [] };
  }
}

/** The providers to request in this process. */
export function ortProviders(env: NodeJS.ProcessEnv = process.env): ProviderChoice {
  const { dir, files } = installedProviderFiles();
  return chooseProviders({ platform: process.platform, arch: process.arch, files, dir, ortCuda: env.ORT_CUDA });
}
