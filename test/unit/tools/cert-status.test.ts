import { afterEach, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '../../../src/ca/index.js';
import { TEST_POLICY } from '../../helpers/ca-fixture.js';
import { createFakeSupervisor, serviceStatus } from '../../helpers/mcp-fake-supervisor.js';
import { createMcpHarness, textOf, type McpHarness } from '../../helpers/mcp-harness.js';

const DAY = 86_400_000;

describe('tlsmcp_cert_status', () => {
  let h: McpHarness;
  afterEach(async () => h?.close());

  it('reports each certificate of a service with what to do about it', async () => {
    h = await createMcpHarness({ supervisor: createFakeSupervisor([serviceStatus('api')]) });
    const ok = await h.pki.ca.issue({ type: 'client', service: 'api', cn: 'fresh', ttlMs: 20 * DAY });
    const past = createCertificateAuthority({ stateDir: h.pki.stateDir, policy: TEST_POLICY, clock: () => new Date(Date.now() - 3 * DAY) });
    const old = await past.issue({ type: 'client', service: 'api', cn: 'stale', ttlMs: DAY });
    const earlier = createCertificateAuthority({ stateDir: h.pki.stateDir, policy: TEST_POLICY, clock: () => new Date(Date.now() - 9 * DAY) });
    const soon = await earlier.issue({ type: 'client', service: 'api', cn: 'soon', ttlMs: 10 * DAY });

    const result = await h.call('tlsmcp_cert_status', { service: 'api' });
    expect(result.isError).toBeFalsy();
    const out = result.structuredContent as { healthy: boolean; counts: Record<string, number>; certs: { id: string; status: string; action: string }[]; listener_certificate: unknown };
    expect(out.healthy).toBe(false);
    expect(out.counts).toEqual({ valid: 1, expiring: 1, expired: 1, revoked: 0 });
    const by = (id: string) => out.certs.find((c) => c.id === id)!;
    expect(by(ok.record.id).action).toMatch(/^none: valid/);
    expect(by(old.record.id).action).toMatch(/^replace it: it expired/);
    expect(by(soon.record.id).action).toMatch(/^renew soon/);
    expect(by(soon.record.id).action).toContain(`tlsmcp cert renew ${soon.record.id}`);
    expect(out.listener_certificate).toMatchObject({ source: 'ca', serial: 'abcd' });
  });

  it('reports one certificate by id', async () => {
    h = await createMcpHarness();
    const issued = await h.pki.ca.issue({ type: 'client', service: 'api', cn: 'one' });
    const out = (await h.call('tlsmcp_cert_status', { id: issued.record.id })).structuredContent as { scope: string; healthy: boolean; certs: unknown[] };
    expect(out).toMatchObject({ scope: 'certificate', healthy: true });
    expect(out.certs).toHaveLength(1);
  });

  it('returns isError for an unknown service or id, and when given neither or both', async () => {
    h = await createMcpHarness();
    expect(textOf(await h.call('tlsmcp_cert_status', { service: 'ghost' }))).toMatch(/ERR_ARGUMENT_INVALID: service: "ghost" is not configured/);
    expect(textOf(await h.call('tlsmcp_cert_status', { id: 'ghost' }))).toMatch(/ERR_CERT_NOT_FOUND/);
    expect(textOf(await h.call('tlsmcp_cert_status', {}))).toMatch(/give exactly one of id or service/);
  });
});
