/**
 * The one place that loads h5wasm. Its Node build reads and writes host paths directly
 * (Emscripten NODERAWFS), so stores are ordinary files and nothing is copied into wasm memory
 * beyond the datasets actually read.
 *
 * Loaded on first use, not at import: evaluating the module takes seconds (it embeds and compiles
 * the HDF5 library), and most commands (`nasrepro fetch`, `score`, an import that stops at a bad
 * header) should not pay for it before they need a store.
 */
import type h5wasm from 'h5wasm/node';

type H5Lib = typeof h5wasm;
export type H5File = InstanceType<H5Lib['File']>;
export type H5Group = InstanceType<H5Lib['Group']>;
export type H5Dataset = InstanceType<H5Lib['Dataset']>;

let loading: Promise<H5Lib> | undefined;
let loaded: H5Lib | undefined;

/** Resolves once the wasm module is loaded and instantiated; cheap after the first call. */
export async function h5(): Promise<H5Lib> {
  loading ??= import('h5wasm/node').then(async (m) => {
    await m.default.ready;
    loaded = m.default;
    return m.default;
  });
  return loading;
}

/** Returns the group at `path` below `root`, creating each missing level (h5wasm does not). */
export function ensureGroup(root: H5Group, path: string[]): H5Group {
  if (!loaded) throw new Error('ensureGroup before h5() resolved');
  let g: H5Group = root;
  for (const part of path) {
    const next = g.get(part);
    g = next instanceof loaded.Group ? next : g.create_group(part);
  }
  return g;
}
