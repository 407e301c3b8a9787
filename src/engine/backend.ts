/**
 * Chooses and initialises the tfjs backend at run time.
 *
 * Preference order when nothing is requested: 'tensorflow' (native libtensorflow through
 * @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node, optional dependencies that only install
 * where libtensorflow can be downloaded), then 'wasm' (XNNPACK, SIMD, always installed, with our
 * kernel fixes), then 'cpu' (pure JS, ~25x slower than wasm; a last resort and a reference).
 * 'webgpu' (Dawn through the `webgpu` package, see webgpu.ts) is used only when asked for: on a
 * CPU machine it finds at best a software adapter, slower than wasm.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as tfWasm from '@tensorflow/tfjs-backend-wasm';
import { EngineError } from './errors.ts';
import { registerWasmKernels } from './wasm-kernels.ts';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu' | 'webgpu';

export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu', 'webgpu'];

/** A `--backend` value checked: one of BACKEND_NAMES, or undefined for the best available. */
export function parseBackendName(value: string | undefined): BackendName | undefined {
  if (value === undefined || value === '' || value === 'auto') return undefined;
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new EngineError(`unknown backend '${value}' (expected one of ${BACKEND_NAMES.join(', ')}, or auto)`);
}

export interface BackendInfo {
  /** The tfjs backend now active: 'tensorflow', 'wasm', 'cpu' or 'webgpu'. */
  name: BackendName;
  /** tfjs version (all @tensorflow packages are pinned to the same one). */
  version: string;
  /** What was loaded and how, e.g. "simd, 1 thread, kernels: Conv2DBackpropFilter, ...". */
  detail: string;
}

/** Native packages in the order we try them: the GPU build first, it also runs on CPU. */
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

const initialised = new Map<BackendName, Promise<BackendInfo>>();
let active: BackendInfo | undefined;

/**
 * Makes `requested` (or the best available backend) the active tfjs backend and returns what it
 * is. Idempotent: repeated calls return the same info without re-initialising; asking for a
 * different backend later switches to it. An explicit request that cannot be met throws an
 * EngineError naming what is missing.
 */
export async function initBackend(requested?: BackendName): Promise<BackendInfo> {
  if (requested === undefined) {
    if (active !== undefined) return active;
    const failures: string[] = [];
    for (const name of ['tensorflow', 'wasm', 'cpu'] as const) {
      try {
        return await activate(name);
      } catch (err) {
        failures.push(`${name}: ${messageOf(err)}`);
      }
    }
    throw new EngineError(`no tfjs backend could be initialised (${failures.join('; ')})`);
  }
  return activate(requested);
}

/** The backend made active by initBackend, if any. */
export function activeBackend(): BackendInfo | undefined {
  return active;
}

async function activate(name: BackendName): Promise<BackendInfo> {
  let pending = initialised.get(name);
  if (pending === undefined) {
    pending = LOADERS[name]();
    initialised.set(name, pending);
    // A failed load may succeed later only in a different process; but do not cache the
    // rejection forever in this one either, so that a caller can retry after fixing things.
    pending.catch(() => initialised.delete(name));
  }
  const info = await pending;
  if (tf.getBackend() !== info.name) await switchTo(info.name);
  active = info;
  return info;
}

async function switchTo(name: BackendName): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new EngineError(`tfjs could not initialise the '${name}' backend`);
  await tf.ready();
}

const LOADERS: Record<BackendName, () => Promise<BackendInfo>> = {
  tensorflow: loadTensorflow,
  wasm: loadWasm,
  cpu: loadCpu,
  webgpu: loadWebgpu,
};

async function loadWebgpu(): Promise<BackendInfo> {
  const { installWebgpu } = await import('./webgpu.ts');
  const adapter = await installWebgpu();
  if (tf.findBackendFactory('webgpu') === null) {
    throw new EngineError(`backend 'webgpu' is unavailable: @tensorflow/tfjs-backend-webgpu registered no 'webgpu' backend`);
  }
  try {
    await switchTo('webgpu');
  } catch (err) {
    throw new EngineError(`backend 'webgpu' is unavailable: ${messageOf(err)} (adapter ${adapter.attempt}: ${adapter.description})`, { cause: err });
  }
  return { name: 'webgpu', version: tf.version.tfjs, detail: `Dawn ${adapter.attempt} adapter: ${adapter.description}` };
}

async function loadTensorflow(): Promise<BackendInfo> {
  const problems: string[] = [];
  for (const pkg of NATIVE_PACKAGES) {
    try {
      // A variable specifier: these packages are optional and usually absent, so the type
      // checker must not require them.
      const specifier: string = pkg;
      await import(specifier);
    } catch (err) {
      problems.push(`${pkg} cannot be imported (${firstLine(messageOf(err))})`);
      continue;
    }
    if (tf.findBackendFactory('tensorflow') === null) {
      problems.push(`${pkg} loaded but registered no 'tensorflow' backend`);
      continue;
    }
    await switchTo('tensorflow');
    return { name: 'tensorflow', version: tf.version.tfjs, detail: `native libtensorflow via ${pkg}` };
  }
  throw new EngineError(`backend 'tensorflow' is unavailable: ${problems.join('; ')}`);
}

async function loadWasm(): Promise<BackendInfo> {
  // Point the loader at the installed binaries so that nothing is fetched over the network.
  const require = createRequire(import.meta.url);
  const distDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  tfWasm.setWasmPaths(distDir + path.sep);
  try {
    await switchTo('wasm');
  } catch (err) {
    throw new EngineError(`backend 'wasm' is unavailable: ${messageOf(err)} (binaries in ${distDir})`, { cause: err });
  }
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const threads = tfWasm.getThreadsCount();
  registerWasmKernels();
  const detail = [
    simd ? 'simd' : 'no simd (slow build)',
    `${threads} thread${threads === 1 ? '' : 's'}`,
    'kernels: Conv2DBackpropFilter (added), Conv2DBackpropInput (as a convolution)',
  ].join(', ');
  return { name: 'wasm', version: tf.version.tfjs, detail };
}

async function loadCpu(): Promise<BackendInfo> {
  await switchTo('cpu');
  return { name: 'cpu', version: tf.version.tfjs, detail: 'pure JavaScript reference backend' };
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}

function firstLine(s: string): string {
  return s.split('\n', 1)[0]!;
}
