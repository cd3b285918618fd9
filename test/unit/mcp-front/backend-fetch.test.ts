import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBackendFetch, type BackendFetch } from '../../../src/mcp-front/backend-fetch.js';

let server: Server;
let base: string;
let bf: BackendFetch;
let handler: (req: IncomingMessage, res: ServerResponse, body: string) => void;

beforeEach(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  bf = createBackendFetch();
});
afterEach(async () => {
  bf.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('the front’s fetch to HTTP backends (node:http under the SDK)', () => {
  it('sends the method, headers and body, and streams the answer with its status and headers', async () => {
    handler = (req, res, body) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'mcp-session-id': 'abc' });
      res.write(`data: ${JSON.stringify({ method: req.method, xfcc: req.headers['x-forwarded-client-cert'], body })}\n\n`);
      res.end('data: end\n\n');
    };
    const headers = new Headers({ 'content-type': 'application/json', 'x-forwarded-client-cert': 'Hash=ab' });
    const res = await bf.fetch(`${base}/mcp`, { method: 'POST', headers, body: '{"jsonrpc":"2.0"}' });
    expect(res.status).toBe(200);
    expect(res.headers.get('mcp-session-id')).toBe('abc');
    const text = await res.text();
    expect(text).toContain('"method":"POST"');
    expect(text).toContain('"xfcc":"Hash=ab"');
    expect(text).toContain('"body":"{\\"jsonrpc\\":\\"2.0\\"}"');
    expect(text).toContain('data: end');
  });

  it('reuses one kept-alive connection for calls in sequence', async () => {
    const ports = new Set<number>();
    handler = (req, res) => {
      ports.add(req.socket.remotePort!);
      res.end('{}');
    };
    for (let i = 0; i < 3; i += 1) await (await bf.fetch(new URL(`${base}/mcp`), { method: 'POST', body: '{}' })).text();
    expect(ports.size).toBe(1);
  });

  it('gives a 202 and a 204 answer as fetch does (no body for a 204)', async () => {
    handler = (req, res) => {
      res.writeHead(req.url === '/a' ? 202 : 204);
      res.end();
    };
    const accepted = await bf.fetch(`${base}/a`, { method: 'POST', body: '{}' });
    expect(accepted.status).toBe(202);
    await accepted.body?.cancel();
    const none = await bf.fetch(`${base}/b`, { method: 'DELETE' });
    expect(none.status).toBe(204);
    expect(none.body).toBeNull();
  });

  it('fails like fetch when nothing listens: TypeError "fetch failed" caused by ECONNREFUSED', async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const err = await bf.fetch(`${base}/mcp`, { method: 'POST', body: '{}' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toBe('fetch failed');
    expect(((err as Error).cause as { code?: string }).code).toBe('ECONNREFUSED');
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  it('rejects with the abort reason, before the answer and while its body streams', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n'); // and never ends
    };
    const early = new AbortController();
    early.abort();
    await expect(bf.fetch(`${base}/mcp`, { method: 'GET', signal: early.signal })).rejects.toMatchObject({ name: 'AbortError' });

    const late = new AbortController();
    const res = await bf.fetch(`${base}/mcp`, { method: 'GET', signal: late.signal });
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('first');
    late.abort();
    await expect(reader.read()).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('hands what it does not do (https, a streamed body) to the fallback fetch', async () => {
    const seen: string[] = [];
    const withFallback = createBackendFetch(async (url) => {
      seen.push(String(url));
      return new Response('fallback');
    });
    expect(await (await withFallback.fetch('https://127.0.0.1:1/mcp', { method: 'POST', body: '{}' })).text()).toBe('fallback');
    expect(await (await withFallback.fetch(`${base}/mcp`, { method: 'POST', body: new ReadableStream(), duplex: 'half' } as RequestInit)).text()).toBe('fallback');
    expect(seen).toEqual(['https://127.0.0.1:1/mcp', `${base}/mcp`]);
    withFallback.close();
  });
});
