/**
 * The workflow prompts and completion through the real `tlsmcp-mcp` bin over
 * stdio: what an MCP client such as Claude Desktop sees.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStdioFixture, type StdioFixture } from '../helpers/mcp-stdio.js';
import { openStdioSession, type StdioSession } from '../helpers/mcp-stdio-session.js';

describe('tlsmcp-mcp prompts over stdio', () => {
  let fx: StdioFixture;
  let session: StdioSession | undefined;
  beforeEach(() => {
    fx = createStdioFixture({
      version: 1,
      admin: { enabled: false },
      services: [
        { name: 'payments', listen: '127.0.0.1:0', backend: '127.0.0.1:9', mtls: { mode: 'required' } },
        { name: 'partner-api', listen: '127.0.0.1:0', backend: '127.0.0.1:9', mtls: { mode: 'required' } },
      ],
    });
  });
  afterEach(async () => {
    await session?.close();
    session = undefined;
    fx.cleanup();
  });

  it('lists the three prompts, gets tlsmcp_incident_response naming the tools in order, and completes service names', async () => {
    session = await openStdioSession(fx);
    const { client } = session;
    expect(client.getServerCapabilities()).toMatchObject({ prompts: {}, completions: {}, resources: { subscribe: true } });

    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual(['tlsmcp_incident_response', 'tlsmcp_posture_review', 'tlsmcp_rotate_certificates']);

    const issued = await session.call('tlsmcp_cert_issue', { service: 'payments', cn: 'billing' });
    const id = (issued.structuredContent as { id: string }).id;
    const got = await client.getPrompt({ name: 'tlsmcp_incident_response', arguments: { service: 'payments' } });
    const text = got.messages.map((m) => (m.content.type === 'text' ? m.content.text : '')).join('\n');
    const order = ['tlsmcp_cert_list', 'tlsmcp_proxy_status', 'tlsmcp_cert_revoke', 'tlsmcp_scan', 'tlsmcp_cert_status'].map((t) => text.indexOf(`. ${t}`));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(text).toContain(`id ${id}: client CN=billing`);
    // The bound port of the running listener, not the configured 0.
    expect(text).toMatch(/"target":"127\.0\.0\.1:[1-9]\d*"/);

    const services = await client.complete({ ref: { type: 'ref/prompt', name: 'tlsmcp_incident_response' }, argument: { name: 'service', value: 'pa' } });
    expect(services.completion.values).toEqual(['partner-api', 'payments']);
    const certs = await client.complete({
      ref: { type: 'ref/prompt', name: 'tlsmcp_rotate_certificates' },
      argument: { name: 'certificate', value: '' },
      context: { arguments: { service: 'payments' } },
    });
    // The client certificate and the server certificate the supervisor issued for the listener, of payments only.
    const listed = (await session.call('tlsmcp_cert_list', { service: 'payments' })).structuredContent as { certs: { id: string }[] };
    expect(certs.completion.values).toContain(id);
    expect([...certs.completion.values].sort()).toEqual(listed.certs.map((c) => c.id).sort());
  });
});
