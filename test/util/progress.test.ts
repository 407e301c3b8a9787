import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress, type ProgressStream } from '../../src/util/progress.ts';

function capture(isTTY: boolean): { stream: ProgressStream; text: () => string } {
  const stream = new PassThrough() as PassThrough & ProgressStream;
  stream.isTTY = isTTY;
  stream.columns = 120;
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  return { stream, text: () => chunks.join('') };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('createProgress', () => {
  it('stays silent while ticking when not a TTY, then writes one summary line', async () => {
    const { stream, text } = capture(false);
    const p = createProgress('scoring', 5, { stream });
    for (let i = 0; i < 5; i++) p.tick();
    await flush();
    expect(text()).toBe('');
    p.done();
    p.done(); // idempotent
    await flush();
    expect(text()).toMatch(/^scoring: 5\/5 in \d+\.\d s \([\d.]+\/s\)\n$/);
  });

  it('writes nothing at all when not a TTY and the summary is off', async () => {
    const { stream, text } = capture(false);
    const p = createProgress('scoring', 3, { stream, summary: false });
    p.tick(3);
    p.done();
    await flush();
    expect(text()).toBe('');
  });

  it('draws a bar with the count on a TTY', async () => {
    const { stream, text } = capture(true);
    const p = createProgress('scoring', 10, { stream });
    p.tick(2);
    p.tick();
    p.done();
    p.tick(5); // after done: ignored
    await flush();
    expect(text()).toContain('scoring');
    expect(text()).toContain('3/10');
    expect(text()).not.toContain('8/10');
  });
});
