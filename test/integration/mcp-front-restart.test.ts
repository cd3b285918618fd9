/**
 * Supervision of a stdio backend: when the child crashes mid-request the agent
 * gets a JSON-RPC error for that request (no hang), the front restarts the child
 * with backoff, replays the MCP handshake, and the same session carries on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startFrontFixture, type FrontFixture } from '../helpers/mcp-front-fixture.js';
import { STDIO_BACKEND_PATH } from '../helpers/mcp-front-stdio-backend.js';
import { until, within } from '../helpers/mcp-front-wait.js';

const textOf = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text;

describe('MCP front supervising a crashing stdio backend', () => {
  let pki: TestPki;
  let fx: FrontFixture;

  beforeAll(async () => {
    pki = await createTestPki();
    fx = await startFrontFixture(
      pki,
      { backend: { command: [process.execPath, '--import', 'tsx', STDIO_BACKEND_PATH], cwd: process.cwd() } },
      { restart: { initialDelayMs: 10, maxDelayMs: 50, maxRestarts: 2, windowMs: 60_000 } },
    );
  });

  afterAll(async () => {
    await fx?.close();
    pki?.cleanup();
  });

  it('fails the in-flight request, restarts the child and keeps the session', async () => {
    const { client } = await fx.connect(await pki.client('agent'), 'streamable-http');
    const firstPid = textOf(await client.callTool({ name: 'pid', arguments: {} }));
    await expect(client.callTool({ name: 'crash', arguments: {} })).rejects.toThrow(/closed; reconnecting; request tools\/call was not answered/);

    let secondPid = firstPid;
    await until(
      async () => {
        const result = await client.callTool({ name: 'pid', arguments: {} }).catch(() => undefined);
        if (result) secondPid = textOf(result);
        return result !== undefined;
      },
      15_000,
      'backend restarted',
    );
    expect(secondPid).not.toBe(firstPid);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'same session' } }))).toBe('same session');
  });

  it('gives up after too many crashes and ends the session with an error, not a hang', async () => {
    const { client } = await fx.connect(await pki.client('agent-2'), 'sse');
    const alive = () => client.callTool({ name: 'pid', arguments: {} }).then(() => true, () => false);
    for (let crash = 1; crash <= 2; crash += 1) {
      await expect(client.callTool({ name: 'crash', arguments: {} })).rejects.toThrow(/not answered/);
      await until(alive, 15_000, `restart after crash ${crash}`);
    }
    const streamEnded = within<void>(15_000, 'SSE stream ended', (resolve) => (client.onerror = () => resolve()));
    await expect(client.callTool({ name: 'crash', arguments: {} })).rejects.toThrow(/gave up after 2 restarts/);
    await streamEnded;
    await expect(client.callTool({ name: 'pid', arguments: {} })).rejects.toThrow();
  });
});
