import { afterEach, describe, expect, it } from 'vitest';
import { createMcpHarness, type McpHarness } from '../../helpers/mcp-harness.js';

describe('tlsmcp://audit/{service_id}', () => {
  let h: McpHarness;
  afterEach(async () => h?.close());

  it('returns recent connections, tool calls and revocations of one service, newest first', async () => {
    h = await createMcpHarness({ config: { services: [{ name: 'api', listen: '127.0.0.1:0', backend: '127.0.0.1:18080' }] } });
    h.deps.auditLog.append({ time: new Date().toISOString(), kind: 'connection', service: 'api', result: 'rejected', reason: 'no_certificate' });
    h.deps.auditLog.append({ time: new Date().toISOString(), kind: 'connection', service: 'other', result: 'accepted' });
    const issued = await h.call('tlsmcp_cert_issue', { service: 'api', cn: 'agent' });
    await h.call('tlsmcp_cert_revoke', { id: (issued.structuredContent as { id: string }).id });

    const out = (await h.read('tlsmcp://audit/api')) as { service: string; events: { kind: string; tool?: string; service: string }[] };
    expect(out.service).toBe('api');
    expect(out.events.every((e) => e.service === 'api')).toBe(true);
    const kinds = out.events.map((e) => (e.kind === 'tool_call' ? `tool:${e.tool}` : e.kind));
    expect(kinds).toEqual(['tool:tlsmcp_cert_revoke', 'revocation', 'tool:tlsmcp_cert_issue', 'cert', 'connection']);

    const { resources } = await h.client.listResources();
    expect(resources.map((r) => r.uri)).toContain('tlsmcp://audit/api');
  });
});
