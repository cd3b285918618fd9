import { describe, expect, it } from 'vitest';
import { fromWorkerSchema, toWorkerSchema } from '../../../src/protocol/messages.js';

describe('supervisor ↔ worker messages', () => {
  it('accepts well-formed messages each way', () => {
    expect(toWorkerSchema.parse({ type: 'revoke', id: 1, serials: ['ab'] })).toEqual({ type: 'revoke', id: 1, serials: ['ab'] });
    expect(fromWorkerSchema.parse({ type: 'ready', address: { host: '127.0.0.1', port: 8443 } }).type).toBe('ready');
  });

  it('refuses unknown types and missing fields', () => {
    expect(toWorkerSchema.safeParse({ type: 'explode' }).success).toBe(false);
    expect(toWorkerSchema.safeParse({ type: 'revoke', id: 1 }).success).toBe(false);
    expect(fromWorkerSchema.safeParse({ type: 'ready', address: { host: 'x', port: 70000 } }).success).toBe(false);
  });
});

describe('errors across the worker boundary keep their code and fix', () => {
  it('a TlsmcpError crosses as { code, message, fix } and comes back with its code', async () => {
    const { TlsmcpError } = await import('../../../src/errors.js');
    const { fromWireError, toWireError } = await import('../../../src/protocol/errors.js');
    const wire = toWireError(new TlsmcpError('ERR_CONFIG_INVALID', 'mtls.required_cn_pattern: bad', { fix: 'write a valid regex' }));
    expect(fromWorkerSchema.parse({ type: 'start_failed', error: wire })).toMatchObject({ error: { code: 'ERR_CONFIG_INVALID', fix: 'write a valid regex' } });
    const back = fromWireError(wire, 'service "web" could not start', 'see the log');
    expect(back).toMatchObject({ code: 'ERR_CONFIG_INVALID', fix: 'write a valid regex' });
    expect(back.message).toBe('service "web" could not start: mtls.required_cn_pattern: bad');
  });

  it('an errno error (EADDRINUSE) crosses with a fix naming the address, under ERR_WORKER', async () => {
    const { fromWireError, toWireError } = await import('../../../src/protocol/errors.js');
    const err = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:8443'), { code: 'EADDRINUSE' });
    const wire = toWireError(err, '127.0.0.1:8443');
    expect(wire).toMatchObject({ code: 'EADDRINUSE', fix: expect.stringContaining('127.0.0.1:8443') });
    expect(fromWireError(wire, 'x', 'y')).toMatchObject({ code: 'ERR_WORKER', details: { code: 'EADDRINUSE' } });
  });

  it('refuses a bare-string error (the old wire format)', () => {
    expect(fromWorkerSchema.safeParse({ type: 'start_failed', error: 'boom' }).success).toBe(false);
  });
});
