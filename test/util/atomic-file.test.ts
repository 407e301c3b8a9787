import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/util/atomic-file.ts';

describe('writeFileAtomic', () => {
  it('writes new content, replaces old content, and leaves no temporary file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atomic-'));
    const file = path.join(dir, 'table.csv');
    writeFileSync(file, 'old');
    writeFileAtomic(file, 'a,b\n1,2\n');
    expect(readFileSync(file, 'utf8')).toBe('a,b\n1,2\n');
    writeFileAtomic(file, new Uint8Array([104, 105]));
    expect(readFileSync(file, 'utf8')).toBe('hi');
    expect(readdirSync(dir)).toEqual(['table.csv']);
  });

  it('creates missing parent directories', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atomic-'));
    const file = path.join(dir, 'a', 'b', 'out.md');
    writeFileAtomic(file, '# x\n');
    expect(readFileSync(file, 'utf8')).toBe('# x\n');
  });

  it('keeps the old file and removes the temporary one when the rename fails', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atomic-'));
    const target = path.join(dir, 'is-a-dir');
    // Renaming a file over a non-empty directory fails: the write must not leave debris.
    writeFileAtomic(path.join(target, 'inner'), 'x');
    expect(() => writeFileAtomic(target, 'data')).toThrow();
    expect(readdirSync(dir)).toEqual(['is-a-dir']);
    expect(readFileSync(path.join(target, 'inner'), 'utf8')).toBe('x');
  });
});
