/**
 * How a front session ends, as the agent sees it and as the audit log records it:
 * a session the agent closes (SSE stream dropped, Streamable HTTP DELETE) is a
 * close, not a refused connection; a session whose backend failed for good
 * answers later requests with that failure, not a bare "Session not found".
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startFrontFixture, type FrontFixture } from '../helpers/mcp-front-fixture.js';
import { SCRIPTED_BACKEND_PATH } from '../helpers/mcp-front-scripted-backend.js';
import { until } from '../helpers/mcp-front-wait.js';

describe('MCP front session ends', () => {
  let pki: TestPki;
  let fx: FrontFixture;

  beforeAll(async () => {
    pki = await createTestPki();
    fx = await startFrontFixture(
      pki,
      { backend: { command: [process.execPath, '--import', 'tsx', SCRIPTED_BACKEND_PATH], cwd: process.cwd() } },
      { restart: { initialDelayMs: 10, maxDelayMs: 50, maxRestarts: 1, windowMs: 60_000 } },
    );
  });

  afterAll(async () => {
    await fx?.close();
    pki?.cleanup();
  });

  it.each(['sse', 'streamable-http'] as const)('a %s session the agent closes is audited as a close, not a rejection', async (kind) => {
    const { client, transport, mtls } = await fx.connect(await pki.client(`closer-${kind}`), kind);
    await client.callTool({ name: 'pid', arguments: {} });
    if (kind === 'streamable-http') await (transport as unknown as { terminateSession(): Promise<void> }).terminateSession();
    await client.close();
    await mtls.destroy();
    await until(async () => {
      await fx.auditLog.flush();
      const events = await fx.auditLog.read({ kind: 'connection' });
      return events.some((e) => e.peer_cn === `closer-${kind}` && e.result === 'closed');
    }, 20_000, 'session close audited');
    const events = await fx.auditLog.read({ kind: 'connection' });
    expect(events.filter((e) => e.peer_cn === `closer-${kind}`).map((e) => e.result)).toEqual(['closed']);
    expect(events.filter((e) => e.result === 'rejected')).toEqual([]);
  });

  it('answers a Streamable HTTP client whose backend failed for good with that failure, not a bare 404', async () => {
    const { client } = await fx.connect(await pki.client('unlucky'), 'streamable-http');
    const pid = async () => ((await client.callTool({ name: 'pid', arguments: {} })) as CallToolResult).content[0] as { text: string };
    const first = (await pid()).text;
    process.kill(Number(first), 'SIGKILL');
    let second = first;
    await until(async () => {
      second = await pid().then((c) => c.text, () => first);
      return second !== first;
    }, 20_000, 'backend restarted once');
    process.kill(Number(second), 'SIGKILL');
    let last = '';
    await until(async () => {
      last = await pid().then(() => '', (err: Error) => err.message);
      return /Session ended/.test(last);
    }, 20_000, 'session ended after the restart budget was spent');
    expect(last).toMatch(/Session ended: MCP backend unavailable: backend .* closed; gave up after 1 restarts/);
    await fx.auditLog.flush();
    const closed = (await fx.auditLog.read({ kind: 'connection' })).find((e) => e.peer_cn === 'unlucky');
    expect(closed).toMatchObject({ result: 'closed', reason: expect.stringMatching(/^backend failed: .*gave up/) as unknown });
  });

  it('audits a peer that resets its connection mid-handshake as aborted, not as a refused connection', async () => {
    const port = Number(new URL(fx.origin).port);
    const socket = tcpConnect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.resetAndDestroy();
    await until(async () => {
      await fx.auditLog.flush();
      return (await fx.auditLog.read({ kind: 'connection' })).some((e) => e.result === 'aborted');
    }, 20_000, 'aborted handshake audited');
    const events = await fx.auditLog.read({ kind: 'connection' });
    expect(events.find((e) => e.result === 'aborted')).toMatchObject({ reason: 'peer_closed' });
    expect(events.filter((e) => e.result === 'rejected')).toEqual([]);
    expect(fx.front.stats().connections.rejected).toBe(0);
  });
});
