/**
 * The one place that loads h5wasm. Its Node build reads and writes host paths directly
 * (Emscripten NODERAWFS), so stores are ordinary files and nothing is copied into wasm memory
 * beyond the datasets actually read.
 */
import h5wasm from 'h5wasm/node';

export type H5File = InstanceType<typeof h5wasm.File>;
export type H5Group = InstanceType<typeof h5wasm.Group>;
export type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

let ready: Promise<unknown> | undefined;

/** Resolves once the wasm module is instantiated; cheap after the first call. */
export async function h5(): Promise<typeof h5wasm> {
  ready ??= h5wasm.ready;
  await ready;
  return h5wasm;
}

/** Returns the group at `path` below `root`, creating each missing level (h5wasm does not). */
export function ensureGroup(root: H5Group, path: string[]): H5Group {
  let g: H5Group = root;
  for (const part of path) {
    const next = g.get(part);
    g = next instanceof h5wasm.Group ? next : g.create_group(part);
  }
  return g;
}
