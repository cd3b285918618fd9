/**
 * The Streamable HTTP client transport the front uses for plain-http backends
 * (src/mcp-front/backend-streamable.ts, on undici's dispatcher), and the SDK's
 * transport it replaces, each against a real scripted
 * node:http server on 127.0.0.1:0: SSE and JSON answers, the standalone GET
 * stream, the errors the resilient transport reacts to (a 404 for a lost
 * session, a stream cut mid-answer), large answers split anywhere, redirects,
 * resumption after a POST stream that ends early, close and DELETE.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { createBackendFetch } from '../../../src/mcp-front/backend-fetch.js';
import type { Pool } from 'undici';
import { createBackendPool } from '../../../src/mcp-front/backend-exchange.js';
import { createBackendStreamable, type BackendStreamable, type BackendStreamableOptions } from '../../../src/mcp-front/backend-streamable.js';
import { isSessionLost, isStreamLost } from '../../../src/mcp-front/link-errors.js';
import { until } from '../../helpers/mcp-front-wait.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let base: URL;
let pool: Pool;
let handler: Handler;
let seen: Seen[];
let transport: BackendStreamable;
let messages: JSONRPCMessage[];
let errors: Error[];

const call = (id: number, text = 'hi'): JSONRPCMessage => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text } } });
const answer = (id: number | string, text = 'hi') => ({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }] } });
const sse = (res: ServerResponse, extra: Record<string, string> = {}) => res.writeHead(200, { 'content-type': 'text/event-stream', ...extra });
const event = (message: unknown, id?: string) => `${id ? `id: ${id}\n` : ''}event: message\ndata: ${JSON.stringify(message)}\n\n`;

type Make = (options: BackendStreamableOptions) => BackendStreamable;

/** The SDK's transport over the front's node:http fetch (./backend-fetch.ts), as the front used it before: the same cases must hold for both. */
const sdkTransport: Make = (o) =>
  new StreamableHTTPClientTransport(o.url, {
    fetch: createBackendFetch().fetch,
    requestInit: o.headers ? { headers: o.headers } : undefined,
    reconnectionOptions: o.reconnection
      ? { initialReconnectionDelay: o.reconnection.initialDelayMs, maxReconnectionDelay: o.reconnection.maxDelayMs, reconnectionDelayGrowFactor: o.reconnection.growFactor, maxRetries: o.reconnection.maxRetries }
      : undefined,
  });

let make: Make = createBackendStreamable;

function open(options: Partial<BackendStreamableOptions> = {}): BackendStreamable {
  transport = make({ url: new URL('/mcp', base), pool, reconnection: { initialDelayMs: 5, maxDelayMs: 20, growFactor: 1.5, maxRetries: 2 }, ...options });
  transport.onmessage = (m) => messages.push(m);
  transport.onerror = (e) => errors.push(e);
  return transport;
}

beforeEach(async () => {
  seen = [];
  messages = [];
  errors = [];
  handler = (_req, res) => res.writeHead(500).end('no handler');
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  pool = createBackendPool(base.origin);
});

afterEach(async () => {
  await transport?.close();
  await pool.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe.each([
  ['the backend Streamable HTTP transport on undici', createBackendStreamable],
  ["the SDK's transport over fetch (the reference)", sdkTransport],
])('%s', (_name, implementation) => {
  beforeEach(() => {
    make = implementation;
  });

  it('reads an SSE answer, keeps the session id and sends the session headers and XFCC', async () => {
    handler = (_req, res, body) => {
      const { id } = JSON.parse(body) as { id: number };
      sse(res, { 'mcp-session-id': 'sess-1' });
      res.write(': keep-alive comment\n\n');
      res.write(event({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1 } }));
      res.end(event(answer(id, 'one')));
    };
    open({ headers: { 'x-forwarded-client-cert': 'Hash=ab;Subject="CN=agent"' } });
    await transport.start();
    await transport.send(call(1));
    await until(() => messages.length === 2, 2_000, 'both messages');
    expect(messages[1]).toEqual(answer(1, 'one'));
    expect(transport.sessionId).toBe('sess-1');
    transport.setProtocolVersion?.('2025-06-18');
    await transport.send(call(2));
    await until(() => messages.length === 4, 2_000, 'the second answer');
    expect(seen[1]!.headers).toMatchObject({
      'mcp-session-id': 'sess-1',
      'mcp-protocol-version': '2025-06-18',
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'x-forwarded-client-cert': 'Hash=ab;Subject="CN=agent"',
    });
    expect(JSON.parse(seen[1]!.body)).toEqual(call(2));
    expect(errors).toEqual([]);
  });

  it('reads a JSON answer, one message or a batch, before send resolves', async () => {
    handler = (_req, res, body) => {
      const { id } = JSON.parse(body) as { id: number };
      const payload = id === 1 ? answer(1) : [{ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'x' } }, answer(id)];
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(payload));
    };
    open();
    await transport.start();
    await transport.send(call(1));
    expect(messages).toEqual([answer(1)]);
    await transport.send(call(2));
    expect(messages.slice(1)).toEqual([{ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'x' } }, answer(2)]);
  });

  it('opens the standalone GET stream after notifications/initialized; a 405 there is no error', async () => {
    let gets = 0;
    handler = (req, res) => {
      if (req.method === 'POST') return void res.writeHead(202).end();
      gets += 1;
      if (gets === 1) {
        sse(res);
        res.write(event({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' }));
        return;
      }
      res.writeHead(405).end();
    };
    open();
    await transport.start();
    await transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await until(() => messages.length === 1, 2_000, 'the server-initiated notification');
    expect(messages[0]).toEqual({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    expect(seen[1]!.headers.accept).toBe('text/event-stream');
    await transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await until(() => gets === 2, 2_000, 'the second GET');
    await transport.send({ jsonrpc: '2.0', method: 'notifications/roots/list_changed' });
    expect(gets).toBe(2);
    expect(errors).toEqual([]);
  });

  it('answers a forgotten session (404) with the StreamableHTTPError the resilient transport treats as session loss', async () => {
    handler = (_req, res) => res.writeHead(404).end('Session not found');
    open();
    await transport.start();
    const err = await transport.send(call(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamableHTTPError);
    expect((err as StreamableHTTPError).code).toBe(404);
    expect((err as Error).message).toBe('Streamable HTTP error: Error POSTing to endpoint: Session not found');
    expect(isSessionLost(err)).toBe(true);
    expect(errors).toEqual([err]);
  });

  it('reports a backend that closes mid-answer as a lost stream and delivers nothing of the cut message', async () => {
    handler = (_req, res) => {
      sse(res);
      res.write(event({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'before' } }));
      res.write('event: message\ndata: {"jsonrpc":"2.0","id":1,"res');
      setImmediate(() => res.socket?.destroy());
    };
    open();
    await transport.start();
    await transport.send(call(1));
    await until(() => errors.length > 0, 2_000, 'the stream error');
    expect(errors[0]!.message).toBe('SSE stream disconnected: Error: aborted');
    expect(isStreamLost(errors[0]!)).toBe(true);
    expect(messages).toEqual([{ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'before' } }]);
  });

  it('passes an 8 MB answer intact, split into small chunks and through multi-byte characters (SSE and JSON)', async () => {
    const text = 'é€😀a'.repeat(800_000);
    handler = (req, res, body) => {
      const { id } = JSON.parse(body) as { id: number };
      const bytes = Buffer.from(id === 1 ? event(answer(id, text)) : JSON.stringify(answer(id, text)));
      if (id === 1) sse(res);
      else res.writeHead(200, { 'content-type': 'application/json' });
      // 7-byte pieces cut through the 2-, 3- and 4-byte characters.
      const write = (at: number): void => {
        while (at < bytes.length) {
          const more = res.write(bytes.subarray(at, at + 65_531 * 7));
          at += 65_531 * 7;
          if (!more) return void res.once('drain', () => write(at));
        }
        res.end();
      };
      write(0);
      void req;
    };
    open();
    await transport.start();
    await transport.send(call(1));
    await until(() => messages.length === 1, 10_000, 'the SSE answer');
    await transport.send(call(2));
    expect(messages).toHaveLength(2);
    expect(messages[0]).toEqual(answer(1, text));
    expect(messages[1]).toEqual(answer(2, text));
    expect(errors).toEqual([]);
  });

  it('reports a message that is not JSON-RPC and does not deliver it; the stream goes on', async () => {
    handler = (_req, res) => {
      sse(res);
      res.write('event: message\ndata: {"not":"json-rpc"}\n\n');
      res.write('event: message\ndata: {nope\n\n');
      res.write('event: other\ndata: {"jsonrpc":"2.0","method":"x"}\n\n');
      res.end(event(answer(1)));
    };
    open();
    await transport.start();
    await transport.send(call(1));
    await until(() => messages.length === 1, 2_000, 'the answer');
    expect(messages).toEqual([answer(1)]);
    expect(errors).toHaveLength(2);
  });

  it('fails like fetch when nothing listens, and names an unexpected content type', async () => {
    const gone = make({ url: new URL('http://127.0.0.1:1/mcp'), pool: createBackendPool('http://127.0.0.1:1') });
    const failed = await gone.send(call(1)).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(TypeError);
    expect((failed as Error).message).toBe('fetch failed');
    expect((failed as { cause: { code: string } }).cause.code).toBe('ECONNREFUSED');
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
    open();
    await transport.start();
    const odd = await transport.send(call(1)).catch((e: unknown) => e);
    expect((odd as StreamableHTTPError).code).toBe(-1);
    expect((odd as Error).message).toMatch(/Unexpected content type: text\/plain/);
  });

  it('follows a 307 within the origin, not a 302 for a POST nor a redirect elsewhere', async () => {
    handler = (req, res, body) => {
      if (req.url === '/mcp') return void res.writeHead(307, { location: '/v2/mcp' }).end();
      if (req.url === '/v2/mcp') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer((JSON.parse(body) as { id: number }).id)));
      if (req.url === '/found') return void res.writeHead(302, { location: '/v2/mcp' }).end();
      res.writeHead(307, { location: 'http://example.invalid/mcp?q=1' }).end();
    };
    open();
    await transport.start();
    await transport.send(call(1));
    expect(messages).toEqual([answer(1)]);
    expect(seen.map((s) => s.url)).toEqual(['/mcp', '/v2/mcp']);
    expect(seen[1]!.body).toBe(JSON.stringify(call(1)));
    const found = make({ url: new URL('/found', base), pool });
    await expect(found.send(call(2))).rejects.toThrow("Error POSTing to endpoint: Redirect to http://127.0.0.1:" + base.port + "/v2/mcp not followed (redirectPolicy: 'same-origin')");
    const away = make({ url: new URL('/away', base), pool });
    await expect(away.send(call(3))).rejects.toThrow("Redirect to http://example.invalid/mcp not followed (redirectPolicy: 'same-origin')");
  });

  it('resumes a POST stream that ended before its answer with GET and Last-Event-ID; a resumption token on send answers under the request id', async () => {
    handler = (req, res) => {
      if (req.method === 'POST') {
        sse(res);
        res.end(`id: ev-1\ndata: \n\n`);
        return;
      }
      sse(res);
      res.end(event(answer(seen.length === 2 ? 7 : 'server-side-id'), 'ev-2'));
    };
    const tokens: string[] = [];
    open();
    await transport.start();
    await transport.send(call(7), { onresumptiontoken: (t) => tokens.push(t) });
    await until(() => messages.length === 1, 2_000, 'the resumed answer');
    expect(seen[1]).toMatchObject({ method: 'GET', headers: { 'last-event-id': 'ev-1', accept: 'text/event-stream' } });
    expect(messages[0]).toEqual(answer(7));
    expect(tokens).toEqual(['ev-1', 'ev-2']);
    await transport.send(call(8), { resumptionToken: 'ev-2' });
    await until(() => messages.length === 2, 2_000, 'the answer on the resumed stream');
    expect(seen[2]).toMatchObject({ method: 'GET', headers: { 'last-event-id': 'ev-2' } });
    expect(messages[1]).toEqual(answer(8));
  });

  it('gives up reconnecting the GET stream after the retries with the error the resilient transport reconnects on', async () => {
    handler = (req, res) => {
      if (req.method === 'POST') return void res.writeHead(202).end();
      if (seen.filter((s) => s.method === 'GET').length === 1) return void sse(res).end();
      res.writeHead(500).end();
    };
    open();
    await transport.start();
    await transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await until(() => errors.some((e) => /Maximum reconnection attempts/.test(e.message)), 2_000, 'the give-up');
    const last = errors.at(-1)!;
    expect(last.message).toBe('Maximum reconnection attempts (2) exceeded.');
    expect(isStreamLost(last)).toBe(true);
    expect(errors.filter((e) => /Failed to reconnect SSE stream/.test(e.message))).toHaveLength(2);
  });

  it('close() ends an open stream without an error and onclose runs; terminateSession sends DELETE', async () => {
    let cut = false;
    handler = (req, res) => {
      if (req.method === 'DELETE') return void res.writeHead(200).end();
      sse(res, { 'mcp-session-id': 's-9' });
      res.write(': open\n\n');
      res.once('close', () => (cut = true));
    };
    open();
    await transport.start();
    let closed = 0;
    transport.onclose = () => (closed += 1);
    await transport.send(call(1));
    expect(transport.sessionId).toBe('s-9');
    await transport.terminateSession();
    expect(seen[1]).toMatchObject({ method: 'DELETE', headers: { 'mcp-session-id': 's-9' } });
    expect(transport.sessionId).toBeUndefined();
    await transport.close();
    await until(() => cut, 2_000, 'the stream ended at the server');
    expect(closed).toBe(1);
    // The SDK's transport reports its own abort of the stream ("SSE stream disconnected: AbortError…"); nothing listens by then
    // (the resilient transport has let go of it), and the node transport reports nothing.
    expect(errors.filter((e) => !/AbortError/.test(e.message))).toEqual([]);
  });
});
