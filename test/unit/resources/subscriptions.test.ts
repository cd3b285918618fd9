import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createMcpHarness, identityOf, type McpHarness } from '../../helpers/mcp-harness.js';
import { waitFor } from '../../helpers/mcp-wait.js';

const CONFIG = { services: [{ name: 'api', listen: '127.0.0.1:0', backend: '127.0.0.1:18080' }, { name: 'db', listen: '127.0.0.1:0', backend: '127.0.0.1:18081' }] };

/** Every `notifications/resources/updated` URI the client receives, in order. */
function collectUpdates(h: McpHarness): string[] {
  const updates: string[] = [];
  h.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    updates.push(n.params.uri);
  });
  return updates;
}

describe('resources/subscribe', () => {
  let h: McpHarness;
  afterEach(async () => h?.close());

  it('declares the subscribe capability', async () => {
    h = await createMcpHarness({ config: CONFIG });
    expect(h.client.getServerCapabilities()?.resources).toMatchObject({ subscribe: true });
  });

  it('tlsmcp://audit/{service}: a new audit event of that service sends resources/updated, and the read shows it', async () => {
    h = await createMcpHarness({ config: CONFIG });
    const updates = collectUpdates(h);
    await h.client.subscribeResource({ uri: 'tlsmcp://audit/api' });
    h.deps.auditLog.append({ time: new Date().toISOString(), kind: 'connection', service: 'api', result: 'rejected', reason: 'no_certificate', peer_cn: 'intruder' });
    await waitFor(() => updates.includes('tlsmcp://audit/api'), { what: 'resources/updated for tlsmcp://audit/api' });
    const read = (await h.read('tlsmcp://audit/api')) as { events: { peer_cn?: string }[] };
    expect(read.events[0]).toMatchObject({ peer_cn: 'intruder' });
  });

  it('an audit event of another service notifies only that service\'s subscribers', async () => {
    h = await createMcpHarness({ config: CONFIG });
    const updates = collectUpdates(h);
    await h.client.subscribeResource({ uri: 'tlsmcp://audit/api' });
    await h.client.subscribeResource({ uri: 'tlsmcp://audit/db' });
    h.deps.auditLog.append({ time: new Date().toISOString(), kind: 'connection', service: 'db', result: 'accepted' });
    await waitFor(() => updates.includes('tlsmcp://audit/db'), { what: 'resources/updated for tlsmcp://audit/db' });
    expect(updates).not.toContain('tlsmcp://audit/api');
  });

  it('tlsmcp://certs/{service}: issuing and revoking a certificate of the service each send resources/updated', async () => {
    h = await createMcpHarness({ config: CONFIG });
    const updates = collectUpdates(h);
    await h.client.subscribeResource({ uri: 'tlsmcp://certs/api' });
    const issued = await h.call('tlsmcp_cert_issue', { service: 'api', cn: 'agent' });
    await waitFor(() => updates.filter((u) => u === 'tlsmcp://certs/api').length >= 1, { what: 'update after issue' });
    const id = (issued.structuredContent as { id: string }).id;
    expect(((await h.read('tlsmcp://certs/api')) as { certs: { id: string }[] }).certs.map((c) => c.id)).toEqual([id]);
    const before = updates.length;
    await h.call('tlsmcp_cert_revoke', { id });
    await waitFor(() => updates.slice(before).includes('tlsmcp://certs/api'), { what: 'update after revoke' });
    expect(((await h.read('tlsmcp://certs/api')) as { certs: { status: string }[] }).certs[0]!.status).toBe('revoked');
  });

  it('tlsmcp://score: a certificate that changes the score sends resources/updated', async () => {
    h = await createMcpHarness({ config: CONFIG });
    const updates = collectUpdates(h);
    const before = ((await h.read('tlsmcp://score')) as { score: number }).score;
    await h.client.subscribeResource({ uri: 'tlsmcp://score' });
    await h.pki.expiredClient('stale');
    await waitFor(() => updates.includes('tlsmcp://score'), { what: 'resources/updated for tlsmcp://score' });
    expect(((await h.read('tlsmcp://score')) as { score: number }).score).toBeLessThan(before);
  });

  it('stops notifying after resources/unsubscribe', async () => {
    h = await createMcpHarness({ config: CONFIG });
    const updates = collectUpdates(h);
    await h.client.subscribeResource({ uri: 'tlsmcp://audit/api' });
    await h.client.subscribeResource({ uri: 'tlsmcp://audit/db' });
    await h.client.unsubscribeResource({ uri: 'tlsmcp://audit/api' });
    h.deps.auditLog.append({ time: new Date().toISOString(), kind: 'connection', service: 'api', result: 'accepted' });
    h.deps.auditLog.append({ time: new Date().toISOString(), kind: 'connection', service: 'db', result: 'accepted' });
    // Both lines land in the same report or the api one first: once db is notified, api would have been.
    await waitFor(() => updates.includes('tlsmcp://audit/db'), { what: 'resources/updated for tlsmcp://audit/db' });
    expect(updates).not.toContain('tlsmcp://audit/api');
  });

  it('refuses URIs that cannot be watched and unknown services, with the fix', async () => {
    h = await createMcpHarness({ config: CONFIG });
    await expect(h.client.subscribeResource({ uri: 'tlsmcp://policy/api' })).rejects.toThrow(/ERR_ARGUMENT_INVALID: uri: tlsmcp:\/\/policy\/api cannot be subscribed to[\s\S]*fix: subscribe to tlsmcp:\/\/audit/);
    await expect(h.client.subscribeResource({ uri: 'tlsmcp://audit/nope' })).rejects.toThrow(/service_id: "nope" is not configured[\s\S]*fix: use one of: api, db/);
  });

  it('applies the read authorization: a remote caller denied the resource cannot subscribe to it', async () => {
    const setup = await createMcpHarness();
    const caller = await setup.pki.ca.issue({ type: 'client', service: 'ops', cn: 'watcher' });
    await setup.close();
    h = await createMcpHarness({
      config: { ...CONFIG, mcp: { authorization: [{ identity: { cn: 'watcher' }, deny_resources: ['tlsmcp://audit/*'] }] } },
      identity: identityOf(caller),
    });
    await expect(h.client.subscribeResource({ uri: 'tlsmcp://audit/api' })).rejects.toThrow(/ERR_FORBIDDEN: .*deny_resources/);
    await expect(h.client.subscribeResource({ uri: 'tlsmcp://certs/api' })).resolves.toEqual({});
  });
});
