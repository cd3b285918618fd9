/**
 * The relay between an SDK Client and an SDK McpServer over in-memory
 * transports: messages arrive unchanged (same ids), denied calls stop at the
 * relay, lists are filtered, every request is audited, and requests a dead
 * backend can no longer answer fail instead of hanging.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ToolListChangedNotificationSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { authorizationRule } from '../../../src/config/primitives.js';
import { createSilentLogger } from '../../../src/logger.js';
import { ANONYMOUS, type PeerIdentity } from '../../../src/mcp-front/peer-identity.js';
import { createAuthorizer } from '../../../src/mcp-front/policy.js';
import { createRelay, type Relay } from '../../../src/mcp-front/relay.js';
import type { AuditEvent } from '../../../src/state/audit-log.js';
import { until } from '../../helpers/mcp-front-wait.js';

const agent: PeerIdentity = { ...ANONYMOUS, authorized: true, authorizationError: undefined, cn: 'agent', serial: 'abc', fingerprint256: 'AA' };

interface Harness {
  client: Client;
  relay: Relay;
  audit: AuditEvent[];
  seenByBackend: JSONRPCMessage[];
  sentByClient: JSONRPCMessage[];
  calls: string[];
  backendSide: InMemoryTransport;
  server: McpServer;
}

const open: Harness[] = [];

async function harness(rules: unknown[], auditArguments = false, serverStream: 'always' | 'on-demand' = 'always'): Promise<Harness> {
  const calls: string[] = [];
  const server = new McpServer({ name: 'unit-backend', version: '1.0.0' });
  server.registerTool('echo', { inputSchema: { text: z.string() } }, async ({ text }) => (calls.push('echo'), { content: [{ type: 'text', text }] }));
  server.registerTool('wipe', { inputSchema: {} }, async () => (calls.push('wipe'), { content: [{ type: 'text', text: 'wiped' }] }));
  server.registerTool('hang', { inputSchema: {} }, async () => new Promise(() => undefined));
  const [relayBackend, serverSide] = InMemoryTransport.createLinkedPair();
  const [clientSide, relayFront] = InMemoryTransport.createLinkedPair();
  const seenByBackend: JSONRPCMessage[] = [];
  const sentByClient: JSONRPCMessage[] = [];
  await server.connect(serverSide);
  const serverOnMessage = serverSide.onmessage!;
  serverSide.onmessage = (m, extra) => (seenByBackend.push(structuredClone(m)), serverOnMessage(m, extra));
  const clientSend = clientSide.send.bind(clientSide);
  clientSide.send = (m, o) => (sentByClient.push(structuredClone(m)), clientSend(m, o));

  const audit: AuditEvent[] = [];
  const relay = createRelay({
    front: relayFront,
    backend: relayBackend,
    policy: createAuthorizer('unit', rules.map((r) => authorizationRule.parse(r))).forIdentity(agent),
    audit: { context: { service: 'unit', session: 's1', transport: 'stdio', identity: agent, auditArguments }, append: (e) => audit.push(e) },
    logger: createSilentLogger(),
    label: 'unit',
    serverStream,
  });
  await relay.start();
  const client = new Client({ name: 'unit-client', version: '1.0.0' });
  await client.connect(clientSide);
  const h = { client, relay, audit, seenByBackend, sentByClient, calls, backendSide: serverSide, server };
  open.push(h);
  return h;
}

afterEach(async () => {
  await Promise.allSettled(open.splice(0).flatMap((h) => [h.client.close(), h.relay.close()]));
});

describe('createRelay', () => {
  it('passes messages through unchanged, ids included', async () => {
    const h = await harness([]);
    await h.client.callTool({ name: 'echo', arguments: { text: 'same' } });
    expect(h.seenByBackend).toEqual(h.sentByClient);
  });

  it('answers a denied tools/call itself: the backend never sees it', async () => {
    const h = await harness([{ identity: { cn: 'agent' }, allow_tools: ['echo'] }]);
    await expect(h.client.callTool({ name: 'wipe', arguments: {} })).rejects.toMatchObject({ code: -32003, message: expect.stringMatching(/lacks permission tool:wipe/) });
    expect(h.calls).toEqual([]);
    expect(h.seenByBackend.some((m) => 'method' in m && m.method === 'tools/call')).toBe(false);
    expect(h.audit.at(-1)).toMatchObject({ kind: 'mcp_request', method: 'tools/call', tool: 'wipe', outcome: 'denied', peer_cn: 'agent', serial: 'abc' });
  });

  it('filters tools/list to what the agent may call', async () => {
    const h = await harness([{ identity: { cn: 'agent' }, allow_tools: ['*'], deny_tools: ['wipe'] }]);
    expect((await h.client.listTools()).tools.map((t) => t.name).sort()).toEqual(['echo', 'hang']);
  });

  it('audits outcome and latency, and arguments only when asked', async () => {
    const quiet = await harness([]);
    await quiet.client.callTool({ name: 'echo', arguments: { text: 'secret-value' } });
    const event = quiet.audit.find((e) => e.tool === 'echo');
    expect(event).toMatchObject({ outcome: 'ok', method: 'tools/call', service: 'unit', session: 's1' });
    expect(typeof event?.latency_ms).toBe('number');
    expect(event).not.toHaveProperty('arguments');

    const loud = await harness([], true);
    await loud.client.callTool({ name: 'echo', arguments: { text: 'visible' } });
    expect(loud.audit.find((e) => e.tool === 'echo')).toMatchObject({ arguments: { text: 'visible' } });
  });

  it('fails in-flight requests when the backend goes away, and closes the session', async () => {
    const h = await harness([]);
    const pending = h.client.callTool({ name: 'hang', arguments: {} });
    let closed = false;
    h.relay.onclose = () => (closed = true);
    await until(() => h.seenByBackend.some((m) => 'method' in m && m.method === 'tools/call'), 5_000, 'call reached the backend');
    await h.backendSide.close();
    await expect(pending).rejects.toThrow(/backend closed; request tools\/call was not answered/);
    expect(closed).toBe(true);
  });

  it('holds server-initiated messages while a Streamable HTTP agent has no stream open, then delivers them', async () => {
    const h = await harness([], false, 'on-demand');
    const seen: string[] = [];
    h.client.setNotificationHandler(ToolListChangedNotificationSchema, () => void seen.push('list_changed'));
    h.server.sendToolListChanged();
    await until(() => h.relay.held === 1, 5_000, 'notification held');
    expect(seen).toEqual([]);
    await h.client.listTools(); // a request opens a stream: what was held rides on it
    await until(() => seen.length === 1, 5_000, 'held notification delivered');
    h.server.sendToolListChanged();
    h.relay.streamOpened();
    await until(() => seen.length === 2, 5_000, 'notification on the open stream');
  });
});
