/**
 * `tlsmcp connect` end to end: the SDK's stdio Client spawns `node bin/tlsmcp.js
 * connect URL --cert --key --ca`, which forwards over mTLS to a tlsmcp MCP front
 * (here over our recording HTTP test backend). Covers Streamable HTTP and SSE,
 * stdout carrying JSON-RPC only, clear errors for revoked and expired
 * certificates, and carrying on after the remote end went away and came back.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProgressNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { spawnConnect, writeCertFiles, type ConnectSession } from '../helpers/mcp-front-connect.js';
import { startTestMcpBackend, type TestMcpBackend } from '../helpers/mcp-front-backend.js';
import { startFrontFixture, type FrontFixture } from '../helpers/mcp-front-fixture.js';
import { until } from '../helpers/mcp-front-wait.js';

const textOf = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text;

describe('tlsmcp connect', () => {
  let pki: TestPki;
  let backend: TestMcpBackend;
  let fx: FrontFixture;
  const sessions: ConnectSession[] = [];

  const open = async (path: string, cn: string, extra: string[] = [], issue?: () => ReturnType<TestPki['client']>) => {
    const issued = await (issue ? issue() : pki.client(cn));
    const files = writeCertFiles(pki.dir, cn, issued, pki.caPem);
    const { session, connected } = spawnConnect(`${fx.origin}${path}`, files, extra);
    sessions.push(session);
    return { session, connected, issued };
  };

  beforeAll(async () => {
    pki = await createTestPki();
    backend = await startTestMcpBackend();
    fx = await startFrontFixture(pki, {
      backend: { url: backend.url },
      authorization: [{ identity: { cn_pattern: 'desktop-.*' }, allow_tools: ['echo', 'count_*'] }],
    });
  });

  afterEach(async () => {
    await Promise.allSettled(sessions.splice(0).map((s) => s.close()));
  });

  afterAll(async () => {
    await fx?.close();
    await backend?.close();
    pki?.cleanup();
  });

  it('lets a stdio client call a tool on an mTLS-protected server (Streamable HTTP); stdout is JSON-RPC only', async () => {
    const { session, connected } = await open('/mcp', 'desktop-1');
    await connected;
    expect((await session.client.listTools()).tools.map((t) => t.name).sort()).toEqual(['count_down', 'echo']);
    expect(textOf(await session.client.callTool({ name: 'echo', arguments: { text: 'via connect' } }))).toBe('via connect');
    await expect(session.client.callTool({ name: 'delete_everything', arguments: {} })).rejects.toThrow(/lacks permission tool:delete_everything/);
    expect(session.protocolErrors).toEqual([]);
  });

  it('speaks legacy SSE when asked to, progress notifications included', async () => {
    const { session, connected } = await open('/sse', 'desktop-2', ['--transport', 'sse']);
    // Counted with a raw handler: the SDK's onprogress drops a notification that lands in the same read as
    // its response (modelcontextprotocol/typescript-sdk#2580), which SSE and stdio make likely.
    const progress: number[] = [];
    session.client.setNotificationHandler(ProgressNotificationSchema, (n) => void progress.push(n.params.progress));
    await connected;
    const result = await session.client.callTool({ name: 'count_down', arguments: { steps: 2 } }, undefined, { onprogress: () => undefined });
    expect(textOf(result)).toBe('counted 2');
    await until(() => progress.length === 2, 5_000, 'two progress notifications');
    expect(progress).toEqual([1, 2]);
  });

  it('reports a revoked certificate as a clear error, not a hang', async () => {
    const issued = await pki.client('desktop-revoked');
    fx.front.revoke([issued.record.serial]);
    const { session, connected } = await open('/mcp', 'desktop-revoked', [], async () => issued);
    await expect(connected).rejects.toThrow(/refused this client.*is revoked/);
    await until(() => /tlsmcp connect: .*revoked/.test(session.stderr()), 10_000, 'revocation reported on stderr');
  });

  it('reports an expired certificate as a clear error, not a hang', async () => {
    const { session, connected } = await open('/mcp', 'desktop-expired', [], () => pki.expiredClient('desktop-expired'));
    await expect(connected).rejects.toThrow(/client certificate expired on/);
    await until(() => /tlsmcp connect: .*expired/.test(session.stderr()), 10_000, 'expiry reported on stderr');
  });

  it.each([
    ['Streamable HTTP', '/mcp', 'auto'],
    ['SSE', '/sse', 'sse'],
  ])('re-opens the remote session after the server went away and came back (%s)', async (_kind, path, transport) => {
    const { session, connected } = await open(path, `desktop-${transport}`, ['--transport', transport]);
    await connected;
    expect(textOf(await session.client.callTool({ name: 'echo', arguments: { text: 'before' } }))).toBe('before');
    const port = new URL(fx.origin).port;
    await fx.close();
    await expect(session.client.callTool({ name: 'echo', arguments: { text: 'while down' } })).rejects.toThrow(/nothing is listening|reconnecting/);
    fx = await startFrontFixture(pki, { backend: { url: backend.url }, authorization: [{ identity: { cn_pattern: 'desktop-.*' }, allow_tools: ['echo'] }] }, { listen: `127.0.0.1:${port}` });
    // The bridge reconnects on its own schedule (backoff); poll until the session is back.
    let after = '';
    await until(
      async () => {
        const result = await session.client.callTool({ name: 'echo', arguments: { text: 'after' } }).catch(() => undefined);
        if (result) after = textOf(result);
        return result !== undefined;
      },
      15_000,
      'session re-opened',
    );
    expect(after).toBe('after');
  });
});
