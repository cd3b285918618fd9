/**
 * `limits.workers` caps the proxy worker threads of a TCP listener: a one-service
 * sidecar can run one worker where the default is one per core. Seen from the
 * status (connections.max is max_connections per worker, summed) and from traffic.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { tryEcho } from '../helpers/proxy-fixture.js';
import { sidecarConfig, startSidecar } from '../helpers/proxy-sidecar.js';
import type { ProxySupervisor } from '../../src/supervisor/supervisor.js';
import type { AuditLog } from '../../src/state/audit-log.js';
import { restartNeededFor } from '../../src/supervisor/worker-spec.js';

let pki: TestPki;
let backend: CountingBackend;
let supervisor: ProxySupervisor | undefined;
let auditLog: AuditLog | undefined;

beforeEach(async () => {
  pki = await createTestPki();
  backend = await startEchoBackend();
});

afterEach(async () => {
  await supervisor?.close({ drainMs: 0 });
  await auditLog?.close();
  supervisor = undefined;
  await backend.close();
  pki.cleanup();
});

const service = (limits: Record<string, unknown>) => ({ name: 'api', listen: '127.0.0.1:0', backend: `127.0.0.1:${backend.port}`, mtls: { mode: 'required' }, limits });

describe('limits.workers', () => {
  it('runs one worker when set to 1 where the default would run two, and serves through it', async () => {
    // Two workers per listener by default here (as on a 2-core machine with reusePort).
    ({ supervisor, auditLog } = await startSidecar(pki, sidecarConfig(pki, [service({ max_connections: 100, workers: 1 })]), { workersPerListener: 2 }));
    const [status] = supervisor.status();
    expect(status).toMatchObject({ state: 'ready', connections: { max: 100 } });
    const port = supervisor.address('api')!.port;
    expect((await tryEcho({ port, caPem: pki.caPem, cert: await pki.client('alice') })).echoed).toBe(true);
  });

  it('leaves the default (one per core) when unset', async () => {
    ({ supervisor, auditLog } = await startSidecar(pki, sidecarConfig(pki, [service({ max_connections: 100 })]), { workersPerListener: 2 }));
    expect(supervisor.status()[0]).toMatchObject({ state: 'ready', connections: { max: 200 } });
  });

  it('is refused below 1, and a change needs a restart', () => {
    expect(() => sidecarConfig(pki, [service({ workers: 0 })])).toThrow(/workers/);
    const [a] = sidecarConfig(pki, [service({ workers: 1 })]).services;
    const [b] = sidecarConfig(pki, [service({ workers: 2 })]).services;
    expect(restartNeededFor(a!, b!)).toContain('limits.workers');
  });
});
