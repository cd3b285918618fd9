/**
 * The scanner stays bounded and clear when the other end is not a TLS server:
 * a plain TCP service, one that accepts and never answers, a refused port.
 * Each gives a report with a finding, never a hang or a thrown stack.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { scanTarget } from '../../src/scan/scan.js';
import { createSilentLogger } from '../../src/logger.js';
import { TlsmcpError } from '../../src/errors.js';
import { refusedPort, startPlainServer, startSilentServer, type TestServer } from '../helpers/scan-servers.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const scan = (port: number, probeTimeoutMs = 500) =>
  scanTarget({ host: '127.0.0.1', port, probeTimeoutMs, deadlineMs: 5_000 }, { logger: createSilentLogger() });

describe('scan: not a TLS server', () => {
  it('a plain TCP server that answers with text is reported as not TLS', async () => {
    const s = await startPlainServer();
    servers.push(s);
    const r = await scan(s.port);
    expect(r).toMatchObject({ reachable: true, tls: false, grade: null });
    expect(r.error).toMatch(/not a TLS server/);
    expect(r.findings.map((f) => f.id)).toEqual(['not-tls']);
  });

  it('a server that accepts and never answers is cut off by the probe timeout', async () => {
    const s = await startSilentServer();
    servers.push(s);
    const r = await scan(s.port, 300);
    expect(r).toMatchObject({ reachable: true, tls: false, grade: null });
    expect(r.error).toMatch(/sent no TLS answer within 300 ms/);
    expect(r.findings[0]?.id).toBe('not-tls');
  });

  it('a refused port is reported as unreachable', async () => {
    const r = await scan(await refusedPort());
    expect(r).toMatchObject({ reachable: false, tls: false, error: 'connection refused', grade: null });
    expect(r.findings[0]?.id).toBe('unreachable');
  });

  it('a target outside scan.allow is refused before any connection', async () => {
    const err = await scanTarget({ host: '127.0.0.1', port: 1, policy: { allow: ['10.0.0.0/8'], deny: [] } }, { logger: createSilentLogger() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsmcpError);
    expect((err as TlsmcpError).code).toBe('ERR_SCAN_TARGET_REFUSED');
  });

  it('rejects --cert without --key as a bad argument', async () => {
    const err = await scanTarget({ host: '127.0.0.1', port: 1, clientCertPem: 'x' }, { logger: createSilentLogger() }).catch((e: unknown) => e);
    expect((err as TlsmcpError).code).toBe('ERR_ARGUMENT_INVALID');
  });
});
