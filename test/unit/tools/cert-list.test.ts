import { afterEach, describe, expect, it } from 'vitest';
import { createMcpHarness, type McpHarness } from '../../helpers/mcp-harness.js';

describe('tlsmcp_cert_list', () => {
  let h: McpHarness;
  afterEach(async () => h?.close());

  it('lists certificates filtered by service, status and type, with no key material', async () => {
    h = await createMcpHarness();
    const a = await h.pki.ca.issue({ type: 'client', service: 'api', cn: 'a' });
    await h.pki.ca.issue({ type: 'client', service: 'api', cn: 'b' });
    await h.pki.ca.issue({ type: 'server', service: 'db', cn: 'localhost', dns: ['localhost'] });
    await h.pki.ca.revoke(a.record.id);

    const all = await h.call('tlsmcp_cert_list');
    expect(all.structuredContent).toMatchObject({ count: 3 });
    expect(JSON.stringify(all)).not.toMatch(/PRIVATE KEY/);

    const api = (await h.call('tlsmcp_cert_list', { service: 'api' })).structuredContent as { count: number; certs: { cn: string }[] };
    expect(api.certs.map((c) => c.cn).sort()).toEqual(['a', 'b']);

    const revoked = (await h.call('tlsmcp_cert_list', { status: 'revoked' })).structuredContent as { certs: { id: string; status: string }[] };
    expect(revoked.certs).toEqual([expect.objectContaining({ id: a.record.id, status: 'revoked' })]);

    const servers = (await h.call('tlsmcp_cert_list', { type: 'server' })).structuredContent as { count: number };
    expect(servers.count).toBe(1);
  });

  it('rejects an invalid status through the input schema', async () => {
    h = await createMcpHarness();
    const result = await h.call('tlsmcp_cert_list', { status: 'lost' });
    expect(result.isError).toBe(true);
  });
});
