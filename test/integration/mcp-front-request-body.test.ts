/**
 * The front reads a session's POST body itself (src/mcp-front/http-replies.ts
 * `preReadJsonBody`) before the SDK transport sees it. An agent must not tell
 * the difference: a well-formed call is relayed whether its body has a length or
 * is chunked, and a body that is not JSON or is too large gets the SDK's own
 * answers, as when the SDK read it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import type { IssueResult } from '../../src/ca/index.js';
import type { MtlsFetch } from '../../src/connect/mtls-fetch.js';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startTestMcpBackend, type TestMcpBackend } from '../helpers/mcp-front-backend.js';
import { startFrontFixture, type FrontFixture } from '../helpers/mcp-front-fixture.js';

describe('MCP front: request bodies on a session', () => {
  let pki: TestPki;
  let backend: TestMcpBackend;
  let fx: FrontFixture;
  let agent: IssueResult;
  let mtls: MtlsFetch;
  let sessionId: string;

  beforeAll(async () => {
    pki = await createTestPki();
    backend = await startTestMcpBackend();
    fx = await startFrontFixture(pki, { backend: { url: backend.url }, authorization: [{ identity: { cn: 'agent' }, allow_tools: ['echo'] }] });
    agent = await pki.client('agent');
    const connected = await fx.connect(agent, 'streamable-http');
    mtls = connected.mtls;
    sessionId = (connected.transport as StreamableHTTPClientTransport).sessionId!;
  });

  afterAll(async () => {
    await fx?.close();
    await backend?.close();
    pki?.cleanup();
  });

  const post = (body: string | ReadableStream<Uint8Array>, extra: RequestInit = {}) =>
    mtls.fetch(`${fx.origin}/mcp`, {
      method: 'POST',
      headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json', 'mcp-session-id': sessionId, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION },
      body,
      ...extra,
    });

  const call = (id: number, text: string) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text } } });

  it('relays a call whose body has a Content-Length', async () => {
    const res = await post(call(101, 'with a length'));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('"text":"with a length"');
  });

  it('relays a call whose body is chunked (no Content-Length)', async () => {
    const bytes = new TextEncoder().encode(call(102, 'chunked'));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.subarray(0, 10));
        controller.enqueue(bytes.subarray(10));
        controller.close();
      },
    });
    const res = await post(body, { duplex: 'half' } as RequestInit);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('"text":"chunked"');
  });

  it("answers a body that is not JSON with the SDK's parse error, and the session goes on", async () => {
    const res = await post('{"jsonrpc": "2.0", "id": 103, "method": ');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error: Invalid JSON' } });
    const next = await post(call(104, 'still here'));
    expect(await next.text()).toContain('"text":"still here"');
  });

  it("answers the common call (the front's fast path) exactly as the SDK's transport answers a call it takes itself", async () => {
    // A charset parameter is valid JSON for the SDK but not the fast path's exact match: the SDK answers that one.
    const view = async (res: Response) => ({
      status: res.status,
      headers: Object.fromEntries(['content-type', 'cache-control', 'connection', 'x-accel-buffering', 'mcp-session-id', 'content-length', 'transfer-encoding'].map((h) => [h, res.headers.get(h)])),
      body: await res.text(),
    });
    const headers = { accept: 'application/json, text/event-stream', 'content-type': 'application/json; charset=utf-8', 'mcp-session-id': sessionId, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION };
    const sdk = await view(await post(call(106, 'same answer'), { headers }));
    expect(sdk.body).toMatch(/^event: message\ndata: \{.*"id":106.*\}\n\n$/);
    expect(await view(await post(call(106, 'same answer')))).toEqual(sdk);
  });

  it("answers a body over 4 MiB with the SDK's 413", async () => {
    const res = await post(call(105, 'x'.repeat(4 * 1024 * 1024)));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { message: expect.stringMatching(/^Payload Too Large/) } });
  });
});
