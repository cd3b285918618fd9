/**
 * One `service` key per line however a logger got it (a bound child, an
 * explicit field, a grandchild binding it again), ISO timestamps, level names.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';

function capture() {
  const stream = new PassThrough();
  const lines: string[] = [];
  let buf = '';
  stream.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  return { logger: createLogger({ destination: stream, level: 'debug' }), lines };
}

const serviceKeys = (line: string) => line.match(/"service":/g)?.length ?? 0;

describe('logger line shape', () => {
  it('writes one service key whether bound, repeated in the call, or bound again by a grandchild', async () => {
    const { logger, lines } = capture();
    const worker = logger.child({ service: 'api' });
    worker.warn({ event: 'connection_rejected', service: 'api', reason: 'policy' }, 'refused');
    worker.child({ service: 'api', component: 'mcp-front' }).child({ service: 'api' }).info({ event: 'x', service: 'api' }, 'nested');
    logger.info({ event: 'top', service: 'db' }, 'unbound service stays');
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(serviceKeys(line), line).toBe(1);
    const [a, b, c] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(a).toMatchObject({ level: 'warn', service: 'api', event: 'connection_rejected', reason: 'policy', msg: 'refused' });
    expect(b).toMatchObject({ level: 'info', service: 'api', component: 'mcp-front', event: 'x' });
    expect(c).toMatchObject({ level: 'info', service: 'db' });
    expect(a!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('still logs errors and plain messages', async () => {
    const { logger, lines } = capture();
    logger.child({ service: 'api' }).error(new Error('boom'));
    logger.child({ service: 'api' }).info('plain');
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['boom', 'plain']);
    for (const line of lines) expect(serviceKeys(line)).toBe(1);
  });
});
