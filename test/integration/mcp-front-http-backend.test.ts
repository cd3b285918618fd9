/**
 * The MCP front over HTTP backends (`backend.url` on loopback): our own SDK
 * server, which records every tool call it receives, served over Streamable HTTP
 * and, separately, over legacy SSE only (the front falls back). Proves a denied
 * call never reaches the backend, resource filtering, and that progress and
 * sampling still flow through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateMessageRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { IssueResult } from '../../src/ca/index.js';
import { createMtlsFetch } from '../../src/connect/mtls-fetch.js';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startTestMcpBackend, type TestMcpBackend } from '../helpers/mcp-front-backend.js';
import { startFrontFixture, type FrontFixture } from '../helpers/mcp-front-fixture.js';

const textOf = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text;

const rules = [
  { identity: { cn: 'agent' }, allow_tools: ['*'], deny_tools: ['delete_*'], allow_resources: ['test://notes/**'] },
];

describe.each(['streamable-http', 'sse'] as const)('MCP front over an HTTP backend speaking %s', (backendKind) => {
  let pki: TestPki;
  let backend: TestMcpBackend;
  let fx: FrontFixture;
  let agent: IssueResult;

  beforeAll(async () => {
    pki = await createTestPki();
    backend = await startTestMcpBackend(backendKind);
    fx = await startFrontFixture(pki, { backend: { url: backend.url }, authorization: rules });
    agent = await pki.client('agent');
  });

  afterAll(async () => {
    await fx?.close();
    await backend?.close();
    pki?.cleanup();
  });

  it('lists and calls tools; a denied tool never reaches the backend', async () => {
    const { client } = await fx.connect(agent, 'streamable-http');
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['echo', 'count_down', 'ask_model']));
    expect(names).not.toContain('delete_everything');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'through the front' } }))).toBe('through the front');

    await expect(client.callTool({ name: 'delete_everything', arguments: {} })).rejects.toThrow(/denied tool:delete_everything by deny_tools/);
    expect(backend.calls).toContain('echo');
    expect(backend.calls).not.toContain('delete_everything');
  });

  it('filters resources/list and refuses resources/read outside the allowed URIs', async () => {
    const { client } = await fx.connect(agent, 'sse');
    expect((await client.listResources()).resources.map((r) => r.uri)).toEqual(['test://notes/public']);
    expect((await client.readResource({ uri: 'test://notes/public' })).contents[0]).toMatchObject({ text: 'public note' });
    await expect(client.readResource({ uri: 'test://secrets/key' })).rejects.toThrow(/resource:test:\/\/secrets\/key/);
  });

  it('relays progress notifications and sampling requests', async () => {
    const { client } = await fx.connect(agent, 'streamable-http', { capabilities: { sampling: {} } }, (c) =>
      c.setRequestHandler(CreateMessageRequestSchema, async (request) => ({
        role: 'assistant',
        model: 'test',
        content: { type: 'text', text: `echo of ${(request.params.messages[0]?.content as { text: string }).text}` },
      })),
    );
    const progress: number[] = [];
    const counted = await client.callTool({ name: 'count_down', arguments: { steps: 3 } }, undefined, { onprogress: (p) => progress.push(p.progress) });
    expect(textOf(counted)).toBe('counted 3');
    expect(progress).toEqual([1, 2, 3]);
    expect(textOf(await client.callTool({ name: 'ask_model', arguments: { question: 'why?' } }))).toBe('model said: echo of why?');
  });
});

describe('MCP front with mtls.mode optional: refusals come as HTTP answers that say why', () => {
  let pki: TestPki;
  let backend: TestMcpBackend;
  let fx: FrontFixture;

  beforeAll(async () => {
    pki = await createTestPki();
    backend = await startTestMcpBackend();
    fx = await startFrontFixture(pki, { backend: { url: backend.url }, mtls: { mode: 'optional', allowed_ous: ['agents'] } });
  });

  afterAll(async () => {
    await fx?.close();
    await backend?.close();
    pki?.cleanup();
  });

  const post = async (cert: { certPem: string; keyPem?: string | undefined } | undefined) => {
    const mtls = createMtlsFetch({ certPem: cert?.certPem, keyPem: cert?.keyPem, caPem: pki.caPem });
    try {
      const response = await mtls.fetch(new URL('/mcp', fx.origin), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
      });
      return { status: response.status, text: await response.text() };
    } finally {
      await mtls.destroy();
    }
  };

  it('explains a missing, expired or disallowed certificate', async () => {
    // Changed on purpose (issue 10): `optional` admits a client without a certificate on every listener, as it
    // always did on TCP services; a certificate that is presented must still be valid and allowed.
    expect((await post(undefined)).status).toBe(200);
    expect(await post(await pki.expiredClient('agent'))).toMatchObject({ status: 401, text: expect.stringMatching(/not accepted.*expired/i) });
    expect(await post(await pki.client('agent', { ou: 'humans' }))).toMatchObject({ status: 403, text: expect.stringContaining('mtls.allowed_ous') });
    expect((await post(await pki.client('agent', { ou: 'agents' }))).status).toBe(200);
    expect(backend.calls).toEqual([]);
  });
});
