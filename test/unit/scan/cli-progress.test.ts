/** The CLI's scan progress on stderr: lines when piped, one redrawn bar on a terminal. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createCliProgress } from '../../../src/cli/progress-line.js';

function capture(tty: boolean): { stream: PassThrough; text(): string } {
  const stream = new PassThrough();
  if (tty) Object.assign(stream, { isTTY: true });
  let out = '';
  stream.on('data', (d: Buffer) => (out += d.toString()));
  return { stream, text: () => out };
}

describe('CLI scan progress', () => {
  it('writes one line per group when stderr is not a terminal', () => {
    const c = capture(false);
    const p = createCliProgress(c.stream, 'scan');
    p.listener({ step: 1, total: 7, group: 'target', detail: 'allowed' });
    p.listener({ step: 7, total: 7, group: 'grade', detail: 'A+' });
    p.end();
    expect(c.text()).toBe('scan [1/7] target: allowed\nscan [7/7] grade: A+\n');
  });

  it('redraws one bar on a terminal and clears it at the end', () => {
    const c = capture(true);
    const p = createCliProgress(c.stream, 'scan');
    p.listener({ step: 7, total: 7, group: 'grade', detail: 'A+' });
    p.end();
    expect(c.text()).toBe(`\r\x1b[2Kscan [${'#'.repeat(20)}] 7/7 grade\r\x1b[2K`);
    expect(c.text()).not.toContain('\n');
  });
});
