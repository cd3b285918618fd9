/**
 * MCP fronts with `backend.url` tell the HTTP MCP server who the client is:
 * every request to the backend carries X-Forwarded-Client-Cert for the
 * session's verified certificate, and a copy the client sent itself never
 * arrives. The backend is an SDK server whose `whoami` tool answers with the
 * header it received.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssueResult } from '../../src/ca/index.js';
import { createMtlsFetch } from '../../src/connect/mtls-fetch.js';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startFrontFixture, type FrontFixture } from '../helpers/mcp-front-fixture.js';

const SPIFFE = 'spiffe://example.org/agent';

/** A stateless Streamable HTTP MCP server that records the XFCC of every request. */
async function startWhoamiBackend() {
  const seen: (string | string[] | undefined)[] = [];
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    seen.push(req.headers['x-forwarded-client-cert']);
    if (req.method !== 'POST') return void res.writeHead(405).end();
    const server = new McpServer({ name: 'whoami', version: '1.0.0' });
    server.registerTool('whoami', { description: 'The X-Forwarded-Client-Cert this request carried', inputSchema: {} }, async (_args, extra) => ({
      content: [{ type: 'text', text: String(extra.requestInfo?.headers['x-forwarded-client-cert'] ?? 'none') }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => void transport.close());
    await server.connect(transport);
    await transport.handleRequest(req, res);
  };
  const http = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    seen,
    async close() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

describe('MCP front with backend.url', () => {
  let pki: TestPki;
  let backend: Awaited<ReturnType<typeof startWhoamiBackend>>;
  let fx: FrontFixture;
  let agent: IssueResult;

  beforeAll(async () => {
    pki = await createTestPki();
    backend = await startWhoamiBackend();
    fx = await startFrontFixture(pki, { backend: { url: backend.url }, authorization: [{ identity: { cn: 'agent' }, allow_tools: ['*'] }] });
    agent = await pki.client('agent', { uri: [SPIFFE] });
  });

  afterAll(async () => {
    await fx?.close();
    await backend?.close();
    pki?.cleanup();
  });

  it('passes the verified identity as X-Forwarded-Client-Cert; a client copy never arrives', async () => {
    const mtls = createMtlsFetch({ certPem: agent.certPem, keyPem: agent.keyPem, caPem: pki.caPem });
    const spoofing: typeof mtls.fetch = (url, init) => {
      const headers = new Headers(init?.headers);
      headers.set('x-forwarded-client-cert', 'Hash=evil;URI=spiffe://evil.example/admin');
      return mtls.fetch(url, { ...init, headers });
    };
    const client = new Client({ name: 'xfcc-test', version: '1.0.0' });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', fx.origin), { fetch: spoofing }));
      const result = (await client.callTool({ name: 'whoami', arguments: {} })) as CallToolResult;
      const text = (result.content[0] as { text: string }).text;
      const hash = createHash('sha256').update(new X509Certificate(agent.certPem).raw).digest('hex');
      expect(text).toBe(`Hash=${hash};Subject="CN=agent";URI=${SPIFFE}`);
    } finally {
      await client.close();
      await mtls.destroy();
    }
    expect(backend.seen.length).toBeGreaterThan(0);
    for (const value of backend.seen) {
      expect(value).toContain(`URI=${SPIFFE}`);
      expect(String(value)).not.toContain('evil');
    }
  });
});
