import { describe, expect, it } from 'vitest';
import { createProxyMetrics } from '../../../src/admin/metrics.js';
import { createAdminApp } from '../../../src/admin/server.js';
import { createSilentLogger } from '../../../src/logger.js';
import type { ServiceStatus } from '../../../src/supervisor/types.js';

const service = (over: Partial<ServiceStatus> = {}): ServiceStatus => ({
  name: 'api',
  mode: 'server',
  protocol: 'tcp',
  listen: '127.0.0.1:8443',
  backend: '127.0.0.1:8080',
  state: 'ready',
  worker: { restarts: 0 },
  connections: { active: 0, accepted: 0, rejected: 0, rejected_by_reason: {} },
  bytes: { in: 0, out: 0 },
  certificate: { source: 'ca', not_after: new Date(Date.now() + 86_400_000).toISOString(), days_left: 1 },
  ...over,
});

function app(status: ServiceStatus[]) {
  // A fixed clock: the gauge is computed at scrape time, so wall time would make it flaky.
  const now = new Date('2026-01-01T00:00:00Z');
  const metrics = createProxyMetrics({ clock: () => now });
  metrics.certificate('api', new Date(now.getTime() + 10 * 86_400_000 - 3_600_000));
  metrics.connections('api', [
    { time: '', result: 'accepted', bytes_in: 10, bytes_out: 20, duration_ms: 1, handshake_s: 0.002 },
    { time: '', result: 'rejected', reason: 'policy', bytes_in: 0, bytes_out: 0, duration_ms: 0 },
  ]);
  metrics.revocations(2);
  return createAdminApp({ status: () => status, reload: async (svc) => [{ service: svc ?? 'api', reloaded: true, applied: ['certificate'], needs_restart: [] }], registry: metrics.registry, version: '9.9.9', startedAt: new Date(), logger: createSilentLogger() });
}

describe('admin endpoint', () => {
  it('is ready only when every worker is ready', async () => {
    expect((await app([service()]).request('/ready')).status).toBe(200);
    const res = await app([service(), service({ name: 'db', state: 'not_ready', state_reason: 'backend down' })]).request('/ready');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ready: false, problems: ['db: not_ready (backend down)'] });
  });

  it('serves the Prometheus metrics named in the contract', async () => {
    const text = await (await app([service()]).request('/metrics')).text();
    expect(text).toContain('tlsmcp_connections_total{service="api",status="success"} 1');
    expect(text).toContain('tlsmcp_connections_total{service="api",status="failed"} 1');
    expect(text).toContain('tlsmcp_bytes_total{service="api",direction="in"} 10');
    expect(text).toContain('tlsmcp_handshake_duration_seconds_count{service="api"} 1');
    expect(text).toContain('tlsmcp_cert_expiry_days{service="api"} 9.95');
    expect(text).toContain('tlsmcp_revocation_events_total 2');
    expect(text).toContain('tlsmcp_active_connections');
  });

  it('POST /reload passes the service through', async () => {
    const res = await app([service()]).request('/reload', { method: 'POST', body: JSON.stringify({ service: 'api' }), headers: { 'content-type': 'application/json' } });
    expect(await res.json()).toEqual({ results: [{ service: 'api', reloaded: true, applied: ['certificate'], needs_restart: [] }] });
  });

  it('GET /info and /health', async () => {
    const a = app([service()]);
    expect(await (await a.request('/health')).json()).toEqual({ status: 'ok' });
    expect(await (await a.request('/info')).json()).toMatchObject({ service: 'tlsmcp', version: '9.9.9', services: [{ name: 'api', state: 'ready' }] });
  });
});

describe('readiness tells the truth about capacity', () => {
  it('is not ready while a service has limits.max_connections established connections', async () => {
    const { readiness } = await import('../../../src/admin/server.js');
    const base = { name: 'api', mode: 'server' as const, protocol: 'tcp' as const, listen: '127.0.0.1:1', backend: '127.0.0.1:2', state: 'ready' as const, worker: { restarts: 0 }, bytes: { in: 0, out: 0 }, certificate: { source: 'ca' as const } };
    expect(readiness([{ ...base, connections: { active: 99, max: 100, accepted: 0, rejected: 0, rejected_by_reason: {} } }]).ready).toBe(true);
    const full = readiness([{ ...base, connections: { active: 100, max: 100, accepted: 0, rejected: 0, rejected_by_reason: {} } }]);
    expect(full.ready).toBe(false);
    expect(full.problems[0]).toMatch(/limits\.max_connections \(100\)/);
  });
});
