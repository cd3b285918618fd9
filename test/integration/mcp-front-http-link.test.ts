/**
 * The MCP front's link to an HTTP backend (src/mcp-front/http-node-transport.ts
 * under the resilient transport), end to end: a real front with mTLS, a real SDK
 * client as the agent, and an SDK Streamable HTTP server as the backend that can
 * answer in JSON instead of SSE, forget its sessions, restart on the same port,
 * hang up in the middle of an answer, and send answers of several megabytes.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { IssueResult } from '../../src/ca/index.js';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startFrontFixture, type FrontFixture } from '../helpers/mcp-front-fixture.js';

const textOf = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text;

interface LinkBackend {
  url: string;
  /** Sessions opened (initialize requests answered). */
  sessions: number;
  /** Ends every session: the next request of each gets a 404. */
  forget(): Promise<void>;
  /** Stops listening and listens again on the same port, with no sessions. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

async function startLinkBackend(json: boolean): Promise<LinkBackend> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const state = { sessions: 0 };
  const build = () => {
    const server = new McpServer({ name: 'link-backend', version: '1.0.0' });
    server.registerTool('echo', { inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
    server.registerTool('big', { inputSchema: { bytes: z.number().int() } }, async ({ bytes }) => ({ content: [{ type: 'text', text: 'ä€'.repeat(Math.ceil(bytes / 5)) }] }));
    server.registerTool('hang_up', { inputSchema: {} }, async () => ({ content: [{ type: 'text', text: 'never sent' }] }));
    return server;
  };
  const handle = async (req: IncomingMessage, res: ServerResponse, body: unknown) => {
    const call = body as { method?: string; params?: { name?: string } } | undefined;
    if (call?.method === 'tools/call' && call.params?.name === 'hang_up') {
      // Half an answer, then the connection goes.
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'text/event-stream' });
      res.write(json ? '{"jsonrpc":"2.0","id":' : 'event: message\ndata: {"jsonrpc":"2.0","id":');
      setImmediate(() => res.socket?.destroy());
      return;
    }
    const sessionId = req.headers['mcp-session-id'];
    const existing = typeof sessionId === 'string' ? transports.get(sessionId) : undefined;
    if (existing) return existing.handleRequest(req, res, body);
    if (req.method !== 'POST' || sessionId !== undefined) return void res.writeHead(sessionId ? 404 : 400).end();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: json,
      onsessioninitialized: (id) => {
        state.sessions += 1;
        transports.set(id, transport);
      },
    });
    await build().connect(transport);
    await transport.handleRequest(req, res, body);
  };
  const listen = async (port: number): Promise<Server> => {
    const http = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        void handle(req, res, text ? JSON.parse(text) : undefined);
      });
    });
    await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
    return http;
  };
  let http = await listen(0);
  const { port } = http.address() as AddressInfo;
  const forget = async () => {
    const all = [...transports.values()];
    transports.clear();
    await Promise.allSettled(all.map((t) => t.close()));
  };
  const stop = async () => {
    await forget();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  };
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    get sessions() {
      return state.sessions;
    },
    forget,
    async restart() {
      await stop();
      http = await listen(port);
    },
    close: stop,
  };
}

describe.each([
  ['SSE', false],
  ['JSON', true],
])('MCP front over an HTTP backend answering in %s', (_kind, json) => {
  let pki: TestPki;
  let backend: LinkBackend;
  let fx: FrontFixture;
  let agent: IssueResult;

  beforeEach(async () => {
    pki = await createTestPki();
    backend = await startLinkBackend(json);
    fx = await startFrontFixture(pki, { backend: { url: backend.url }, authorization: [{ identity: { cn: 'agent' }, allow_tools: ['*'] }] }, { restart: { initialDelayMs: 10 } });
    agent = await pki.client('agent');
  });

  afterEach(async () => {
    await fx?.close();
    await backend?.close();
    pki?.cleanup();
  });

  it('carries the session over a backend that forgot it and over a backend restart: the call is resent, not lost', async () => {
    const { client } = await fx.connect(agent, 'streamable-http');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'one' } }))).toBe('one');
    expect(backend.sessions).toBe(1);
    await backend.forget();
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'two' } }))).toBe('two');
    expect(backend.sessions).toBe(2);
    await backend.restart();
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'three' } }))).toBe('three');
    expect(backend.sessions).toBe(3);
  });

  it('fails a call whose answer the backend cut off, then goes on on a new backend session', async () => {
    const { client } = await fx.connect(agent, 'streamable-http');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'before' } }))).toBe('before');
    await expect(client.callTool({ name: 'hang_up', arguments: {} })).rejects.toThrow(json ? 'MCP error -32002: aborted' : 'MCP error -32002: service front-test: SSE stream disconnected: Error: aborted; reconnecting; request tools/call was not answered');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'after' } }))).toBe('after');
  });

  it('passes a 6 MB answer through intact', async () => {
    const { client } = await fx.connect(agent, 'streamable-http');
    const text = textOf(await client.callTool({ name: 'big', arguments: { bytes: 6_000_000 } }));
    expect(text).toBe('ä€'.repeat(1_200_000));
  });
});
