/**
 * A small MCP server of our own for MCP front tests, written with the SDK and
 * served over Streamable HTTP on 127.0.0.1:0 (one McpServer per session, as the
 * SDK wants). It records every tool call it receives, so a test can prove a
 * denied call never reached it, and it exercises the server-to-client paths:
 * progress notifications and a sampling request.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export interface TestMcpBackend {
  url: string;
  /** Names of every tool the backend was asked to run, in order. */
  calls: string[];
  close(): Promise<void>;
}

function buildServer(calls: string[]): McpServer {
  const server = new McpServer({ name: 'tlsmcp-test-backend', version: '1.0.0' });
  server.registerTool('echo', { description: 'Echoes the text back', inputSchema: { text: z.string() } }, async ({ text }) => {
    calls.push('echo');
    return { content: [{ type: 'text', text }] };
  });
  server.registerTool('delete_everything', { description: 'Dangerous; tests deny it', inputSchema: {} }, async () => {
    calls.push('delete_everything');
    return { content: [{ type: 'text', text: 'deleted' }] };
  });
  server.registerTool('count_down', { description: 'Sends progress notifications', inputSchema: { steps: z.number().int() } }, async ({ steps }, extra) => {
    calls.push('count_down');
    const token = extra._meta?.progressToken;
    for (let i = 1; i <= steps; i += 1) {
      if (token !== undefined) {
        await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: steps } });
      }
    }
    return { content: [{ type: 'text', text: `counted ${steps}` }] };
  });
  server.registerTool('ask_model', { description: 'Asks the client to sample', inputSchema: { question: z.string() } }, async ({ question }) => {
    calls.push('ask_model');
    const answer = await server.server.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: question } }], maxTokens: 10 });
    const text = answer.content.type === 'text' ? answer.content.text : '';
    return { content: [{ type: 'text', text: `model said: ${text}` }] };
  });
  server.registerResource('note', 'test://notes/public', { mimeType: 'text/plain' }, async (uri) => ({ contents: [{ uri: uri.href, text: 'public note' }] }));
  server.registerResource('secret', 'test://secrets/key', { mimeType: 'text/plain' }, async (uri) => ({ contents: [{ uri: uri.href, text: 'secret' }] }));
  return server;
}

/** Serves the test MCP server over Streamable HTTP at /mcp, or legacy SSE only at /sse + /messages. */
export async function startTestMcpBackend(kind: 'streamable-http' | 'sse' = 'streamable-http'): Promise<TestMcpBackend> {
  const calls: string[] = [];
  const transports = new Map<string, StreamableHTTPServerTransport | SSEServerTransport>();
  const handleSse = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://backend.invalid');
    if (req.method === 'GET' && url.pathname === '/sse') {
      const transport = new SSEServerTransport('/messages', res);
      transports.set(transport.sessionId, transport);
      transport.onclose = () => transports.delete(transport.sessionId);
      await buildServer(calls).connect(transport);
      return;
    }
    const existing = transports.get(url.searchParams.get('sessionId') ?? '');
    if (req.method === 'POST' && url.pathname === '/messages' && existing instanceof SSEServerTransport) {
      await existing.handlePostMessage(req, res);
      return;
    }
    res.writeHead(url.pathname === '/sse' ? 405 : 404).end();
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (kind === 'sse') return handleSse(req, res);
    const sessionId = req.headers['mcp-session-id'];
    const existing = typeof sessionId === 'string' ? transports.get(sessionId) : undefined;
    if (existing instanceof StreamableHTTPServerTransport) return existing.handleRequest(req, res);
    if (req.method !== 'POST' || sessionId !== undefined) {
      res.writeHead(sessionId ? 404 : 400).end();
      return;
    }
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void transports.set(id, transport),
    });
    transport.onclose = () => {
      if (transport.sessionId) transports.delete(transport.sessionId);
    };
    await buildServer(calls).connect(transport);
    await transport.handleRequest(req, res);
  };
  const http = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/${kind === 'sse' ? 'sse' : 'mcp'}`,
    calls,
    async close() {
      await Promise.allSettled([...transports.values()].map((t) => t.close()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
