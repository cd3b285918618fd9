/** tlsmcp_cert_revoke on an instance that follows a Hub: refused with the way to revoke as a Hub admin, nothing revoked locally. */
import { afterEach, describe, expect, it } from 'vitest';
import { createMcpHarness, textOf, type McpHarness } from '../../helpers/mcp-harness.js';

describe('tlsmcp_cert_revoke with hub.url set', () => {
  let h: McpHarness;
  afterEach(async () => h?.close());

  it('refuses with ERR_FORBIDDEN naming the admin route, and revokes nothing in the local CA', async () => {
    h = await createMcpHarness({ config: { hub: 'https://127.0.0.1:9/', service_id: 'api', listen: '127.0.0.1:0', backend: '127.0.0.1:18080' } });
    const issued = await h.pki.ca.issue({ type: 'client', service: 'api', cn: 'agent-1' });
    const result = await h.call('tlsmcp_cert_revoke', { id: issued.record.id });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/ERR_FORBIDDEN/);
    expect(textOf(result)).toMatch(/--hub-cert/);
    expect((await h.deps.ca.get(issued.record.id)).status).not.toBe('revoked');
  });
});
