/**
 * The workers' small JSON writer (src/protocol/worker-log.ts) writes the lines
 * src/logger.ts's pino logger writes: the same keys in the same order, ISO time,
 * level names, one `service` key, errors serialized, secrets redacted, levels filtered.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { createWorkerLogger } from '../../../src/protocol/worker-log.js';

function pinoLines(level: string) {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  return { logger: createLogger({ destination: stream, level: level as never, name: 'tlsmcp-worker' }), lines };
}

function workerLines(level: string) {
  const lines: string[] = [];
  return { logger: createWorkerLogger({ level, name: 'tlsmcp-worker', sink: (l) => lines.push(l.trimEnd()) }), lines };
}

const serviceKeys = (line: string) => line.match(/"service":/g)?.length ?? 0;

describe('worker logger', () => {
  it('writes the same keys as the pino logger, with one service key however it was given', async () => {
    const runs = [pinoLines('debug'), workerLines('debug')];
    for (const { logger } of runs) {
      const bound = logger.child({ service: 'api' });
      bound.warn({ event: 'connection_rejected', service: 'api', reason: 'policy' }, 'refused');
      bound.child({ service: 'api', component: 'mcp-front' }).info({ event: 'x', service: 'api' }, 'nested');
      logger.info({ event: 'top', service: 'db' }, 'unbound service stays');
    }
    await new Promise((r) => setImmediate(r));
    const [pino, worker] = runs.map((r) => r.lines);
    expect(worker).toHaveLength(3);
    for (const line of worker!) expect(serviceKeys(line), line).toBe(1);
    const keys = (l: string) => Object.keys(JSON.parse(l) as object);
    expect(worker!.map(keys)).toEqual(pino!.map(keys));
    const first = JSON.parse(worker![0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ level: 'warn', pid: process.pid, name: 'tlsmcp-worker', service: 'api', event: 'connection_rejected', reason: 'policy', msg: 'refused' });
    expect(first.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('filters by level, serializes errors and redacts key material', () => {
    const { logger, lines } = workerLines('info');
    logger.debug({ event: 'hidden' }, 'not written');
    logger.error(new Error('boom'));
    logger.info({ event: 'material', keyPem: 'SECRET', tls: { key: 'SECRET' }, err: new Error('inner') }, 'with secrets');
    expect(lines).toHaveLength(2);
    expect(lines.join('\n')).not.toContain('SECRET');
    const [a, b] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(a).toMatchObject({ level: 'error', msg: 'boom', err: { type: 'Error', message: 'boom' } });
    expect(b).toMatchObject({ keyPem: '[redacted]', tls: { key: '[redacted]' }, err: { message: 'inner' } });
    expect(createWorkerLogger({ level: 'silent', name: 'x', sink: () => expect.fail('silent logs nothing') }).isLevelEnabled('fatal')).toBe(false);
  });
});
