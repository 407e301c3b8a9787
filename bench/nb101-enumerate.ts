/**
 * Enumerates the whole NB101 space (src/spaces/nb101-enumerate.ts), reports the count (the paper's
 * 423,624), the time, and whether every hash of the shared 20k table is among the enumerated ones.
 *
 *   npx tsx bench/nb101-enumerate.ts [--max-vertices N] [--data DIR]
 *
 * Too slow for the test suite (tens of seconds), hence a script.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { enumerateNB101 } from '../src/spaces/nb101-enumerate.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const maxVertices = Number(arg('--max-vertices', '7'));
const dataDir = path.resolve(arg('--data', process.env.DATA ?? 'data'));

const hashes = new Set<string>();
const started = performance.now();
const summary = enumerateNB101((cell) => hashes.add(cell.hash), { maxVertices });
const seconds = (performance.now() - started) / 1000;
console.log(`max vertices ${maxVertices}: ${summary.cells} unique cells from ${summary.labelledGraphs} labelled graphs in ${seconds.toFixed(1)} s`);
console.log(`unique cells up to each vertex count: ${JSON.stringify(summary.cellsUpTo)}`);
if (maxVertices === 7) console.log(`matches the published 423,624: ${summary.cells === 423624}`);

const table = path.join(dataDir, 'nb101', 'nb101-hash-accuracy-20k.csv');
if (existsSync(table)) {
  const lines = readFileSync(table, 'utf8').trim().split(/\r?\n/);
  const keyColumn = lines[0].split(',').indexOf('key');
  const missing = lines.slice(1).map((l) => l.split(',')[keyColumn]).filter((h) => !hashes.has(h));
  console.log(`${table}: ${lines.length - 1} hashes, ${missing.length} not enumerated${missing.length ? ` (first: ${missing.slice(0, 5).join(', ')})` : ''}`);
} else {
  console.log(`(${table} not found: pass --data DIR to check the 20k hashes)`);
}
