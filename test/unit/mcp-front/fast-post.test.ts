import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { createFrontHttpTransport, type FrontHttpTransport } from '../../../src/mcp-front/fast-post.js';
import { preReadJsonBody } from '../../../src/mcp-front/http-replies.js';

let server: Server;
let url: string;
let transport: FrontHttpTransport;
let received: JSONRPCMessage[];
let closes: number;
let sessionId: string;
/** One promise per request the server took, resolved when its response closed. */
let responsesClosed: Promise<void>[];

const headers = () => ({ accept: 'application/json, text/event-stream', 'content-type': 'application/json', 'mcp-session-id': sessionId, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION });
const post = (message: Record<string, unknown>, signal?: AbortSignal) => fetch(url, { method: 'POST', headers: headers(), body: JSON.stringify({ jsonrpc: '2.0', ...message }), ...(signal ? { signal } : {}) });

beforeEach(async () => {
  received = [];
  closes = 0;
  transport = createFrontHttpTransport(new StreamableHTTPServerTransport({ sessionIdGenerator: () => 'session-1' }));
  transport.onmessage = (message) => {
    received.push(message);
    const m = message as { id?: number; method?: string };
    if (m.method === 'initialize') void transport.send({ jsonrpc: '2.0', id: m.id!, result: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, serverInfo: { name: 't', version: '1' } } } as JSONRPCMessage);
  };
  transport.onclose = () => (closes += 1);
  await transport.start();
  responsesClosed = [];
  server = createServer((req, res) => {
    responsesClosed.push(new Promise((resolve) => res.once('close', () => resolve())));
    void preReadJsonBody(req, 4 * 1024 * 1024).then((body) => transport.handleRequest(req, res, body?.value));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  sessionId = '';
  const init = await fetch(url, { method: 'POST', headers: { ...headers(), 'mcp-session-id': '' }, body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'c', version: '1' } } }) });
  await init.text();
  sessionId = init.headers.get('mcp-session-id')!;
});

afterEach(async () => {
  await transport.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('the front’s Streamable HTTP transport with a fast path for calls', () => {
  it('puts related messages on the call’s stream and ends it with the answer', async () => {
    const res = await post({ id: 1, method: 'tools/call', params: { name: 'x', arguments: {} } });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(received.at(-1)).toMatchObject({ id: 1, method: 'tools/call' });
    await transport.send({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 't', progress: 1 } } as JSONRPCMessage, { relatedRequestId: 1 });
    await transport.send({ jsonrpc: '2.0', id: 1, result: { content: [] } } as JSONRPCMessage);
    const events = (await res.text()).split('\n\n').filter(Boolean);
    expect(events.map((e) => JSON.parse(e.replace(/^event: message\ndata: /, '')) as Record<string, unknown>)).toEqual([
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 't', progress: 1 } },
      { jsonrpc: '2.0', id: 1, result: { content: [] } },
    ]);
  });

  it('ends an open call’s stream when the agent ends the session with DELETE (through the SDK), and reports the close once', async () => {
    const res = await post({ id: 2, method: 'tools/call', params: { name: 'slow' } });
    const body = res.text();
    const deleted = await fetch(url, { method: 'DELETE', headers: headers() });
    expect(deleted.status).toBe(200);
    expect(await body).toBe('');
    expect(closes).toBe(1);
    // A later request is the SDK's to refuse, not left open.
    expect((await post({ id: 3, method: 'tools/call', params: { name: 'x' } })).status).toBe(404);
  });

  it('ends an open call’s stream on close() and on a cancel (closeSSEStream)', async () => {
    const first = await post({ id: 4, method: 'tools/call', params: { name: 'slow' } });
    transport.closeSSEStream(4);
    expect(await first.text()).toBe('');
    await expect(transport.send({ jsonrpc: '2.0', id: 4, result: {} } as JSONRPCMessage)).rejects.toThrow(/No connection established for request ID: 4/);
    const second = await post({ id: 5, method: 'tools/call', params: { name: 'slow' } });
    await transport.close();
    expect(await second.text()).toBe('');
  });

  it('sends a slow call’s headers on their own (the agent’s fetch resolves) before its answer, and the answer later on the same stream', async () => {
    // The headers wait a moment for a quick answer to go out with them (fast-post.ts HEADERS_WAIT_MS), never for the answer itself.
    const res = await post({ id: 8, method: 'tools/call', params: { name: 'slow' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(res.headers.get('mcp-session-id')).toBe('session-1');
    await transport.send({ jsonrpc: '2.0', id: 8, result: { content: [] } } as JSONRPCMessage);
    expect(await res.text()).toBe(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: 8, result: { content: [] } })}\n\n`);
  });

  it('drops the stream of an agent that went away: the late answer fails as with the SDK', async () => {
    const aborts = new AbortController();
    const res = await post({ id: 6, method: 'tools/call', params: { name: 'slow' } }, aborts.signal);
    aborts.abort();
    await res.text().catch(() => undefined);
    await responsesClosed.at(-1);
    await expect(transport.send({ jsonrpc: '2.0', id: 6, result: {} } as JSONRPCMessage)).rejects.toThrow(/No connection established for request ID: 6/);
  });
});
