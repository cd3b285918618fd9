import { afterEach, describe, expect, it } from 'vitest';
import { createMcpHarness, type McpHarness } from '../../helpers/mcp-harness.js';

const CONFIG = {
  services: [{ name: 'api', listen: '127.0.0.1:0', backend: '127.0.0.1:18080' }],
};

describe('tlsmcp://certs/{service_id}', () => {
  let h: McpHarness;
  afterEach(async () => h?.close());

  it('lists every service from the config and the inventory', async () => {
    h = await createMcpHarness({ config: CONFIG });
    await h.pki.ca.issue({ type: 'client', service: 'billing', cn: 'x' });
    const { resources } = await h.client.listResources();
    const certs = resources.filter((r) => r.uri.startsWith('tlsmcp://certs/')).map((r) => r.uri);
    expect(certs).toEqual(['tlsmcp://certs/api', 'tlsmcp://certs/billing']);
    const { resourceTemplates } = await h.client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toContain('tlsmcp://certs/{service_id}');
  });

  it('reads the inventory of one service without key material', async () => {
    h = await createMcpHarness({ config: CONFIG });
    await h.pki.ca.issue({ type: 'client', service: 'api', cn: 'a' });
    await h.pki.ca.issue({ type: 'client', service: 'billing', cn: 'b' });
    const out = (await h.read('tlsmcp://certs/api')) as { service: string; count: number; certs: { cn: string; status: string }[] };
    expect(out).toMatchObject({ service: 'api', count: 1 });
    expect(out.certs[0]).toMatchObject({ cn: 'a', status: 'valid' });
    expect(JSON.stringify(out)).not.toMatch(/PRIVATE KEY/);
  });

  it('an unknown service is an error that says how to find the right one', async () => {
    h = await createMcpHarness({ config: CONFIG });
    await expect(h.read('tlsmcp://certs/ghost')).rejects.toThrow(/service_id: "ghost" is not configured/);
  });
});
