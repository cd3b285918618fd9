/**
 * Watching instead of polling, end to end: an agent on the real `tlsmcp-mcp`
 * bin over stdio subscribes to a service's audit trail, a workload opens a
 * real mTLS connection through that service's proxy worker, and the agent is
 * sent `notifications/resources/updated` and reads the new connection event.
 */
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseHostPort } from '../../src/util/address.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { createStdioFixture, type StdioFixture } from '../helpers/mcp-stdio.js';
import { openStdioSession, type StdioSession } from '../helpers/mcp-stdio-session.js';
import { waitFor } from '../helpers/mcp-wait.js';

interface AuditView {
  events: { kind: string; result?: string; peer_cn?: string; serial?: string }[];
}

describe('tlsmcp-mcp resource subscriptions over stdio', () => {
  let backend: CountingBackend;
  let fx: StdioFixture;
  let session: StdioSession | undefined;
  const sockets: TLSSocket[] = [];

  beforeEach(async () => {
    backend = await startEchoBackend();
    fx = createStdioFixture({
      version: 1,
      admin: { enabled: false },
      services: [{ name: 'api', listen: '127.0.0.1:0', backend: `127.0.0.1:${backend.port}`, mtls: { mode: 'required' } }],
    });
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await session?.close();
    session = undefined;
    await backend.close();
    fx.cleanup();
  });

  it('subscribe to tlsmcp://audit/api, connect through api, get resources/updated, read the connection event', async () => {
    const updates: string[] = [];
    session = await openStdioSession(fx, {}, (client) =>
      client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
        updates.push(n.params.uri);
      }),
    );
    const status = (await session.call('tlsmcp_proxy_status', { service: 'api' })).structuredContent as { services: { listen: string; state: string }[] };
    expect(status.services[0]!.state).toBe('ready');
    const listen = parseHostPort(status.services[0]!.listen);
    if (!listen.ok) throw new Error(listen.error);
    const issued = (await session.call('tlsmcp_cert_issue', { service: 'api', cn: 'worker-1', ttl: '1h' })).structuredContent as {
      serial: string;
      cert_pem: string;
      ca_pem: string;
      key_path: string;
    };
    // A read flushes the server's audit buffer: the issuance is on disk before the subscription starts.
    await session.read('tlsmcp://audit/api');
    await session.client.subscribeResource({ uri: 'tlsmcp://audit/api' });
    expect(updates).toEqual([]);

    const socket = tlsConnect({
      host: '127.0.0.1',
      port: listen.value.port,
      servername: 'localhost',
      ca: issued.ca_pem,
      cert: issued.cert_pem,
      key: readFileSync(issued.key_path, 'utf8'),
    });
    sockets.push(socket);
    socket.setEncoding('utf8');
    await once(socket, 'secureConnect');
    socket.write('ping\n');
    expect(((await once(socket, 'data')) as [string])[0]).toBe('ping\n');
    socket.end();
    await once(socket, 'close');

    await waitFor(() => updates.includes('tlsmcp://audit/api'), { what: 'notifications/resources/updated for tlsmcp://audit/api' });
    const view = await waitFor(
      async () => {
        const v = await session!.read<AuditView>('tlsmcp://audit/api');
        return v.events.some((e) => e.kind === 'connection' && e.peer_cn === 'worker-1') ? v : undefined;
      },
      { what: 'the connection event in tlsmcp://audit/api' },
    );
    expect(view.events.find((e) => e.kind === 'connection' && e.peer_cn === 'worker-1')).toMatchObject({ result: 'accepted', serial: issued.serial });
    expect(updates.every((u) => u === 'tlsmcp://audit/api')).toBe(true);
  });
});
