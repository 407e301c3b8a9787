import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The directory with the real benchmark files. Tests take it from DATA (CI passes ../shared/data)
 * and default to data/ like the Makefile. Tests that need a file under it fail loudly when it is
 * absent: a missing data directory is a broken setup, not a reason to skip.
 */
export const DATA_DIR = path.resolve(process.env.DATA ?? 'data');

export function dataFile(...parts: string[]): string {
  const p = path.join(DATA_DIR, ...parts);
  if (!existsSync(p)) {
    throw new Error(`test data missing: ${p} (set DATA to the shared data directory, e.g. DATA=../shared/data)`);
  }
  return p;
}
