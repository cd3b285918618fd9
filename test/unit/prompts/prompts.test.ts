import { afterEach, describe, expect, it } from 'vitest';
import { createMcpHarness, identityOf, type McpHarness } from '../../helpers/mcp-harness.js';

const CONFIG = { services: [{ name: 'payments', listen: '127.0.0.1:18443', backend: '127.0.0.1:18080' }, { name: 'search', listen: '127.0.0.1:18444', backend: '127.0.0.1:18081' }] };

function textOfPrompt(result: { messages: { content: { type: string; text?: string } }[] }): string {
  return result.messages.map((m) => (m.content.type === 'text' ? m.content.text : '')).join('\n');
}

/** The tlsmcp tool names in a text, in the order they first appear. */
function toolOrder(text: string): string[] {
  const seen: string[] = [];
  for (const m of text.matchAll(/\btlsmcp_[a-z_]+\b/g)) if (!seen.includes(m[0])) seen.push(m[0]);
  return seen;
}

describe('prompts', () => {
  let h: McpHarness;
  afterEach(async () => h?.close());

  it('lists the three workflow prompts with their arguments', async () => {
    h = await createMcpHarness({ config: CONFIG });
    const { prompts } = await h.client.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual(['tlsmcp_incident_response', 'tlsmcp_posture_review', 'tlsmcp_rotate_certificates']);
    const incident = prompts.find((p) => p.name === 'tlsmcp_incident_response')!;
    expect(incident.arguments).toEqual([
      expect.objectContaining({ name: 'service', required: true }),
      expect.objectContaining({ name: 'certificate', required: false }),
    ]);
  });

  it('tlsmcp_incident_response names the tools in order: list, status, revoke, scan, verify, and carries the inventory', async () => {
    h = await createMcpHarness({ config: CONFIG });
    const issued = await h.pki.ca.issue({ type: 'client', service: 'payments', cn: 'billing-agent' });
    const result = await h.client.getPrompt({ name: 'tlsmcp_incident_response', arguments: { service: 'payments' } });
    const text = textOfPrompt(result);
    expect(result.messages[0]!.role).toBe('user');
    expect(toolOrder(text)).toEqual(['tlsmcp_cert_list', 'tlsmcp_proxy_status', 'tlsmcp_cert_revoke', 'tlsmcp_scan', 'tlsmcp_cert_status', 'tlsmcp_cert_issue']);
    expect(text).toContain(`id ${issued.record.id}: client CN=billing-agent`);
    expect(text).toContain('"target":"127.0.0.1:18443"');
    expect(text).toContain('tlsmcp://audit/payments');
  });

  it('tlsmcp_rotate_certificates names issue before revoke (the overlap) and retires with reason superseded', async () => {
    h = await createMcpHarness({ config: CONFIG });
    const result = await h.client.getPrompt({ name: 'tlsmcp_rotate_certificates', arguments: { service: 'search' } });
    const text = textOfPrompt(result);
    expect(toolOrder(text)).toEqual(['tlsmcp_cert_status', 'tlsmcp_cert_issue', 'tlsmcp_proxy_reload', 'tlsmcp_scan', 'tlsmcp_cert_revoke']);
    expect(text).toContain('"reason":"superseded"');
  });

  it('tlsmcp_posture_review starts from the score and reads every service policy', async () => {
    h = await createMcpHarness({ config: CONFIG });
    const text = textOfPrompt(await h.client.getPrompt({ name: 'tlsmcp_posture_review' }));
    expect(toolOrder(text)[0]).toBe('tlsmcp_score');
    expect(text).toContain('tlsmcp://policy/payments');
    expect(text).toContain('tlsmcp://policy/search');
    expect(text).toMatch(/3 recommendations/);
  });

  it('refuses an unknown service with the known ones as the fix', async () => {
    h = await createMcpHarness({ config: CONFIG });
    await expect(h.client.getPrompt({ name: 'tlsmcp_incident_response', arguments: { service: 'nope' } })).rejects.toThrow(
      /ERR_ARGUMENT_INVALID: service: "nope" is not configured[\s\S]*fix: use one of: payments, search/,
    );
  });

  it('refuses a certificate of another service, and names a certificate of this one in the steps', async () => {
    h = await createMcpHarness({ config: CONFIG });
    const other = await h.pki.ca.issue({ type: 'client', service: 'search', cn: 'x' });
    await expect(
      h.client.getPrompt({ name: 'tlsmcp_rotate_certificates', arguments: { service: 'payments', certificate: other.record.id } }),
    ).rejects.toThrow(new RegExp(`certificate: "${other.record.id}" is not a certificate of service "payments"`));
    const mine = await h.pki.ca.issue({ type: 'client', service: 'payments', cn: 'y' });
    const text = textOfPrompt(await h.client.getPrompt({ name: 'tlsmcp_incident_response', arguments: { service: 'payments', certificate: mine.record.id } }));
    expect(text).toContain(`tlsmcp_cert_revoke {"id":"${mine.record.id}","reason":"keyCompromise"}`);
  });

  it('leaves the inventory out for a remote caller denied tlsmcp://certs/{service}', async () => {
    const pkiHarness = await createMcpHarness();
    const caller = await pkiHarness.pki.ca.issue({ type: 'client', service: 'ops', cn: 'reader' });
    await pkiHarness.close();
    h = await createMcpHarness({
      config: { ...CONFIG, mcp: { authorization: [{ identity: { cn: 'reader' }, deny_resources: ['tlsmcp://certs/*'] }] } },
      identity: identityOf(caller),
    });
    await h.pki.ca.issue({ type: 'client', service: 'payments', cn: 'secret-agent' });
    const text = textOfPrompt(await h.client.getPrompt({ name: 'tlsmcp_incident_response', arguments: { service: 'payments' } }));
    expect(text).not.toContain('secret-agent');
    expect(text).toContain('you may not read it');
  });
});

describe('completion/complete', () => {
  let h: McpHarness;
  afterEach(async () => h?.close());

  it('suggests service names from the config and the CA inventory', async () => {
    h = await createMcpHarness({ config: CONFIG });
    await h.pki.ca.issue({ type: 'client', service: 'partner-gw', cn: 'x' });
    const all = await h.client.complete({ ref: { type: 'ref/prompt', name: 'tlsmcp_incident_response' }, argument: { name: 'service', value: '' } });
    expect(all.completion.values).toEqual(['partner-gw', 'payments', 'search']);
    const p = await h.client.complete({ ref: { type: 'ref/prompt', name: 'tlsmcp_rotate_certificates' }, argument: { name: 'service', value: 'pa' } });
    expect(p.completion.values).toEqual(['partner-gw', 'payments']);
  });

  it('suggests certificate ids of the service given in the context', async () => {
    h = await createMcpHarness({ config: CONFIG });
    const a = await h.pki.ca.issue({ type: 'client', service: 'payments', cn: 'a' });
    const b = await h.pki.ca.issue({ type: 'client', service: 'search', cn: 'b' });
    const ids = await h.client.complete({
      ref: { type: 'ref/prompt', name: 'tlsmcp_incident_response' },
      argument: { name: 'certificate', value: '' },
      context: { arguments: { service: 'payments' } },
    });
    expect(ids.completion.values).toEqual([a.record.id]);
    const any = await h.client.complete({ ref: { type: 'ref/prompt', name: 'tlsmcp_rotate_certificates' }, argument: { name: 'certificate', value: '' } });
    expect(any.completion.values.sort()).toEqual([a.record.id, b.record.id].sort());
  });
});
