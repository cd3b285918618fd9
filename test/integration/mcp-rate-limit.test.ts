/**
 * Per-agent rate limits on an MCP front (issue 17): a token bucket per client
 * certificate, sized by the matching authorization rule's `rate_limit` or else
 * the service's. An agent over its limit gets a JSON-RPC error with a retry
 * hint, counted and audited; another agent (another certificate) is unaffected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { IssueResult } from '../../src/ca/index.js';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startFrontFixture, type FrontFixture } from '../helpers/mcp-front-fixture.js';
import { STDIO_BACKEND_PATH } from '../helpers/mcp-front-stdio-backend.js';

const textOf = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text;

describe('per-agent rate limits on an MCP front', () => {
  let pki: TestPki;
  let fx: FrontFixture;
  let alice: IssueResult;
  let bob: IssueResult;

  beforeAll(async () => {
    pki = await createTestPki();
    fx = await startFrontFixture(pki, {
      backend: { command: [process.execPath, '--import', 'tsx', STDIO_BACKEND_PATH], cwd: process.cwd() },
      rate_limit: { calls_per_minute: 600, burst: 50 },
      authorization: [
        { identity: { cn: 'alice' }, allow_tools: ['echo'], rate_limit: { calls_per_minute: 1, burst: 2 } },
        { identity: { cn: 'bob' }, allow_tools: ['echo'] },
      ],
    });
    [alice, bob] = await Promise.all([pki.client('alice'), pki.client('bob')]);
  });

  afterAll(async () => {
    await fx?.close();
    pki?.cleanup();
  });

  it('refuses an agent over its limit with a retry hint while another agent is unaffected', async () => {
    const a = (await fx.connect(alice, 'streamable-http')).client;
    const b = (await fx.connect(bob, 'streamable-http')).client;
    const echo = (client: typeof a, text: string) => client.callTool({ name: 'echo', arguments: { text } });

    expect(textOf(await echo(a, 'one'))).toBe('one');
    expect(textOf(await echo(a, 'two'))).toBe('two');
    const err = (await echo(a, 'three').then(
      () => undefined,
      (e: unknown) => e,
    )) as McpError;
    expect(err).toBeInstanceOf(McpError);
    expect(err.code).toBe(-32005);
    expect(err.message).toMatch(/rate limit of 1 calls per minute \(burst 2\).*retry after \d+ s/);
    const data = err.data as { code: string; retry_after_ms: number; retry_after_s: number };
    expect(data.code).toBe('ERR_RATE_LIMITED');
    expect(data.retry_after_ms).toBeGreaterThan(0);
    expect(data.retry_after_ms).toBeLessThanOrEqual(60_000);

    // A second session of the same certificate shares the bucket.
    const a2 = (await fx.connect(alice, 'sse')).client;
    await expect(echo(a2, 'four')).rejects.toThrow(/Rate limited/);

    for (let i = 0; i < 5; i += 1) expect(textOf(await echo(b, `bob ${i}`))).toBe(`bob ${i}`);
    expect(fx.front.stats().mcp.rate_limited).toBe(2);

    await fx.auditLog.flush();
    const limited = (await fx.auditLog.read({ service: 'front-test', kind: 'mcp_request' })).filter((e) => e.result === 'rate_limited');
    expect(limited).toHaveLength(2);
    expect(limited.every((e) => e.peer_cn === 'alice' && e.tool === 'echo')).toBe(true);
  });
});
