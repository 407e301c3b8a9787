/** NB101 cells that exercise every part of the network builder; shared by the NB101 tests. */
import type { ModelSpec } from '../../src/spaces/nb101.ts';

export const C3 = 'conv3x3-bn-relu';
export const C1 = 'conv1x1-bn-relu';
export const MP = 'maxpool3x3';

/** Input -> output edge plus interior vertices, one a max-pool; three vertices feed the output. */
export const RESIDUAL_POOL: ModelSpec = {
  matrix: [
    [0, 1, 1, 0, 0, 1],
    [0, 0, 0, 1, 0, 1],
    [0, 0, 0, 0, 1, 1],
    [0, 0, 0, 0, 1, 1],
    [0, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0],
  ],
  // vertex 4 (a conv) has no out-edge: pruned.
  ops: ['input', C3, MP, C1, C3, 'output'],
};
/** The first row of the shared table: a chain with a max-pool, no input -> output edge. */
export const CHAIN: ModelSpec = {
  matrix: [
    [0, 1, 0, 0, 1, 1, 0],
    [0, 0, 0, 1, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 0],
  ],
  ops: ['input', C3, MP, C3, C3, C1, 'output'],
};
/** Input -> output only: every module is one projection. */
export const PROJECTION_ONLY: ModelSpec = { matrix: [[0, 1], [0, 0]], ops: ['input', 'output'] };
/** Odd split (3 vertices feed the output, 8 channels = 3 + 3 + 2) with truncation 1 -> 3. */
export const TRUNCATING: ModelSpec = {
  matrix: [
    [0, 1, 1, 1, 0],
    [0, 0, 0, 1, 1],
    [0, 0, 0, 0, 1],
    [0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0],
  ],
  ops: ['input', C3, MP, C1, 'output'],
};
