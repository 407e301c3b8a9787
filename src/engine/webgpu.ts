/**
 * The tfjs 'webgpu' backend in Node: Dawn (the `webgpu` npm package, a prebuilt dawn.node that
 * downloads nothing) exposed as `navigator.gpu`, then @tensorflow/tfjs-backend-webgpu, which
 * registers itself only when `globalThis.navigator.gpu` exists at import time.
 *
 * Adapters are tried in a fixed order and the first one found is used:
 *  1. 'native': Dawn's default backend (Vulkan on Linux, Metal, D3D12), core feature level: a
 *     real GPU through its driver's Vulkan ICD.
 *  2. 'gles-compat': Dawn's OpenGL ES backend at the 'compatibility' feature level, on an EGL
 *     display with no window (EGL_PLATFORM=surfaceless, set here when unset). This is how a CPU
 *     machine gets a software adapter: Mesa's llvmpipe. Dawn refuses Debian 12's lavapipe on
 *     Vulkan ("Vulkan shaderUniform*ArrayDynamicIndexing required": lavapipe 22.3 lacks dynamic
 *     indexing of sampled and storage image arrays), but accepts llvmpipe's OpenGL ES 3.2.
 * Choice: the software adapter is used only when no native one exists, and it is named in the
 * backend's detail (hence in the cache key), so scores from llvmpipe never pass for GPU ones.
 * NASREPRO_WEBGPU_ADAPTER=native|gles-compat restricts the search to one of them.
 *
 * tfjs reads GPU tensors through OffscreenCanvas in `dataSync()`, absent in Node: every read must
 * be `await t.data()` (the proxies already read asynchronously).
 */
import { EngineError } from './errors.ts';

/** One way of asking Dawn for an adapter. */
export interface AdapterAttempt {
  name: 'native' | 'gles-compat';
  /** Dawn instance toggles, passed to `create()`. */
  dawn: string[];
  /** Extra fields merged into every `requestAdapter` call tfjs makes. */
  options: Record<string, unknown>;
  /** Environment variables set (when unset) before the Dawn instance is created. */
  env: Record<string, string>;
}

export const ADAPTER_ATTEMPTS: readonly AdapterAttempt[] = [
  { name: 'native', dawn: [], options: {}, env: {} },
  { name: 'gles-compat', dawn: ['backend=opengles'], options: { featureLevel: 'compatibility' }, env: { EGL_PLATFORM: 'surfaceless' } },
];

/** What the adapter found says about itself, flattened to one line for reports and the cache key. */
export interface AdapterSummary {
  attempt: AdapterAttempt['name'];
  description: string;
}

interface GpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<{ info?: Record<string, unknown> } | null>;
}

/**
 * Finds an adapter, installs `navigator.gpu` so that tfjs requests the same one, imports the
 * webgpu backend and returns which adapter it is. Throws one line naming every attempt when no
 * adapter is found.
 */
export async function installWebgpu(): Promise<AdapterSummary> {
  let dawn: { create: (toggles: string[]) => GpuLike; globals: Record<string, unknown> };
  try {
    dawn = (await import('webgpu')) as unknown as typeof dawn;
  } catch (err) {
    throw new EngineError(`backend 'webgpu' is unavailable: the 'webgpu' package (Dawn) cannot be loaded (${firstLine(messageOf(err))})`);
  }
  const only = process.env.NASREPRO_WEBGPU_ADAPTER;
  const attempts = ADAPTER_ATTEMPTS.filter((a) => only === undefined || only === '' || a.name === only);
  if (attempts.length === 0) {
    throw new EngineError(`NASREPRO_WEBGPU_ADAPTER=${only} is not one of ${ADAPTER_ATTEMPTS.map((a) => a.name).join(', ')}`);
  }
  const tried: string[] = [];
  for (const attempt of attempts) {
    for (const [k, v] of Object.entries(attempt.env)) if (process.env[k] === undefined) process.env[k] = v;
    let adapter: Awaited<ReturnType<GpuLike['requestAdapter']>>;
    let gpu: GpuLike;
    try {
      gpu = dawn.create(attempt.dawn);
      adapter = await gpu.requestAdapter({ powerPreference: 'high-performance', ...attempt.options });
    } catch (err) {
      tried.push(`${describeAttempt(attempt)}: ${firstLine(messageOf(err))}`);
      continue;
    }
    if (adapter === null) {
      tried.push(`${describeAttempt(attempt)}: no adapter`);
      continue;
    }
    // tfjs uses the WebGPU constants (GPUBufferUsage, GPUMapMode, ...) as browser globals.
    for (const [k, v] of Object.entries(dawn.globals)) if (!(k in globalThis)) Object.defineProperty(globalThis, k, { value: v, configurable: true, writable: true });
    const wrapped: GpuLike = { requestAdapter: (o) => gpu.requestAdapter({ ...o, ...attempt.options }) };
    // Node 20 has no navigator; Node 21+ has a read-only one without `gpu`.
    const nav = (globalThis as { navigator?: object }).navigator;
    if (nav === undefined) Object.defineProperty(globalThis, 'navigator', { value: { gpu: wrapped }, configurable: true, writable: true });
    else Object.defineProperty(nav, 'gpu', { value: wrapped, configurable: true, writable: true });
    await import('@tensorflow/tfjs-backend-webgpu');
    return { attempt: attempt.name, description: describeAdapter(adapter.info ?? {}) };
  }
  throw new EngineError(`backend 'webgpu' is unavailable: Dawn found no GPU adapter (tried ${tried.join('; ')})`);
}

function describeAttempt(a: AdapterAttempt): string {
  const opts = [...a.dawn, ...Object.entries(a.options).map(([k, v]) => `${k}=${String(v)}`)];
  return `${a.name}${opts.length ? ` [${opts.join(', ')}]` : ''}`;
}

/** vendor / architecture / device / description, whichever the adapter fills in. */
export function describeAdapter(info: Record<string, unknown>): string {
  const parts = ['vendor', 'architecture', 'device', 'description']
    .map((k) => info[k])
    .filter((v): v is string => typeof v === 'string' && v !== '');
  return parts.length ? [...new Set(parts)].join(' / ') : 'adapter with no info';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function firstLine(s: string): string {
  return s.split('\n', 1)[0]!;
}
