/**
 * The MCP front over a real stdio MCP server from npm (server-everything): SDK
 * Clients with certificates over Streamable HTTP and SSE, refusals, per-agent
 * tool filtering and denial, server-to-client traffic (sampling, progress, list
 * changes), audit entries, and revocation cutting live sessions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateMessageRequestSchema, ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { IssueResult } from '../../src/ca/index.js';
import { createMtlsFetch } from '../../src/connect/mtls-fetch.js';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { everythingCommand, startFrontFixture, type FrontFixture } from '../helpers/mcp-front-fixture.js';
import { until, within } from '../helpers/mcp-front-wait.js';

const textOf = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text;

describe('MCP front over server-everything (stdio backend)', () => {
  let pki: TestPki;
  let fx: FrontFixture;
  let alice: IssueResult;
  let reader: IssueResult;
  let stranger: IssueResult;

  beforeAll(async () => {
    pki = await createTestPki();
    fx = await startFrontFixture(pki, {
      backend: { command: everythingCommand() },
      mtls: { mode: 'required' },
      authorization: [
        { identity: { cn: 'alice' }, allow_tools: ['*'], deny_tools: ['get-env'], allow_resources: ['**'] },
        { identity: { ou: 'readers' }, allow_tools: ['echo', 'get-*'], allow_resources: ['demo://resource/static/**'] },
      ],
    });
    [alice, reader, stranger] = await Promise.all([pki.client('alice'), pki.client('reader-1', { ou: 'readers' }), pki.client('stranger')]);
  });

  afterAll(async () => {
    await fx?.close();
    pki?.cleanup();
  });

  it('lists and calls tools over Streamable HTTP with a client certificate', async () => {
    const { client } = await fx.connect(alice, 'streamable-http');
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('echo');
    expect(names).not.toContain('get-env'); // denied for alice: filtered out
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'over streamable' } }))).toContain('over streamable');
  });

  it('lists and calls tools over legacy SSE', async () => {
    const { client } = await fx.connect(alice, 'sse');
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('get-sum');
    expect(textOf(await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } }))).toContain('5');
  });

  it('refuses a client without a certificate', async () => {
    const before = fx.front.stats().connections.rejected;
    await expect(fx.connect(undefined, 'streamable-http')).rejects.toThrow();
    expect(fx.front.stats().connections.rejected).toBeGreaterThan(before);
  });

  it('refuses a client whose certificate comes from another CA', async () => {
    const other = await createTestPki();
    try {
      const foreign = await other.client('alice');
      await expect(fx.connect(foreign, 'streamable-http')).rejects.toThrow();
    } finally {
      other.cleanup();
    }
  });

  it('shows each agent only its tools and refuses a denied call with the missing permission', async () => {
    const { client } = await fx.connect(reader, 'streamable-http');
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((n) => n === 'echo' || n.startsWith('get-'))).toBe(true);
    await expect(client.callTool({ name: 'trigger-long-running-operation', arguments: {} })).rejects.toThrow(/tool:trigger-long-running-operation/);

    const resources = (await client.listResources()).resources.map((r) => r.uri);
    expect(resources.every((uri) => uri.startsWith('demo://resource/static/'))).toBe(true);
  });

  it('denies everything to a certificate no rule matches', async () => {
    const { client } = await fx.connect(stranger, 'sse');
    expect((await client.listTools()).tools).toEqual([]);
    await expect(client.callTool({ name: 'echo', arguments: { message: 'x' } })).rejects.toThrow(/lacks permission tool:echo/);
  });

  it('passes server-to-client traffic through: sampling, progress, list_changed', async () => {
    let listChanged: (() => void) | undefined;
    const listChangedSeen = within<void>(10_000, 'tools/list_changed notification', (resolve) => (listChanged = resolve));
    const { client } = await fx.connect(alice, 'streamable-http', { capabilities: { sampling: {} } }, (c) =>
      c.setNotificationHandler(ToolListChangedNotificationSchema, () => listChanged?.()),
    );
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: 'assistant', model: 'test-model', content: { type: 'text', text: 'sampled by the agent' } }));
    await until(async () => (await client.listTools()).tools.some((t) => t.name === 'trigger-sampling-request'), 10_000, 'sampling tool registered');
    const sampled = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 5 } });
    expect(textOf(sampled)).toContain('sampled by the agent');

    const progress: number[] = [];
    await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.2, steps: 2 } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    });
    expect(progress).toEqual([1, 2]);
    await listChangedSeen;
  });

  it('binds a session to the certificate that opened it', async () => {
    const { transport } = await fx.connect(alice, 'streamable-http');
    const sessionId = transport.sessionId!;
    const mtls = createMtlsFetch({ certPem: reader.certPem, keyPem: reader.keyPem, caPem: pki.caPem });
    try {
      const response = await mtls.fetch(new URL('/mcp', fx.origin), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('belongs to another client certificate');
    } finally {
      await mtls.destroy();
    }
  });

  it('audits each request with the agent, the tool and the outcome', async () => {
    const { client } = await fx.connect(reader, 'streamable-http');
    await client.callTool({ name: 'echo', arguments: { message: 'audited', secret: 'hunter2' } });
    await client.callTool({ name: 'get-env', arguments: {} }).catch(() => undefined);
    await expect(client.callTool({ name: 'gzip-file-as-resource', arguments: {} })).rejects.toThrow();
    await fx.auditLog.flush();
    const events = await fx.auditLog.read({ kind: 'mcp_request', limit: 1000 });
    const calls = events.filter((e) => e.method === 'tools/call' && e.peer_cn === 'reader-1');
    expect(calls.find((e) => e.tool === 'echo')).toMatchObject({ outcome: 'ok', serial: reader.record.serial, service: 'front-test' });
    expect(calls.find((e) => e.tool === 'gzip-file-as-resource')).toMatchObject({ outcome: 'denied' });
    expect(typeof calls[0]?.latency_ms).toBe('number');
    expect(JSON.stringify(events)).not.toContain('hunter2'); // audit.arguments is off
  });

  it('revocation cuts the agent’s live SSE and Streamable HTTP sessions and refuses it afterwards', async () => {
    const mallory = await pki.client('alice', { ou: 'mallory' }); // same CN as alice, different certificate
    const sse = await fx.connect(mallory, 'sse');
    const http = await fx.connect(mallory, 'streamable-http');
    await http.client.listTools();
    const bystander = await fx.connect(alice, 'sse');

    const sseCut = within<void>(1_000, 'SSE stream cut', (resolve) => (sse.client.onerror = () => resolve()));
    const httpCut = within<void>(1_000, 'Streamable HTTP stream cut', (resolve) => (http.client.onerror = () => resolve()));
    expect(fx.front.revoke([mallory.record.serial])).toBe(2);
    await Promise.all([sseCut, httpCut]);

    await expect(http.client.callTool({ name: 'echo', arguments: { message: 'still there?' } })).rejects.toThrow();
    await expect(fx.connect(mallory, 'streamable-http')).rejects.toThrow(/revoked/);
    expect(textOf(await bystander.client.callTool({ name: 'echo', arguments: { message: 'unaffected' } }))).toContain('unaffected');
  });
});
