/**
 * backend.protocol: http — the HTTP-aware listener, end to end over real mTLS
 * on 127.0.0.1 with certificates from a fresh CA: the backend learns the
 * client's identity from X-Forwarded-Client-Cert, a client's own copy never
 * arrives, the keep-alive pool reuses backend connections, WebSockets pass
 * through, HTTP/2 clients reach an HTTP/1.1 backend, and a refused client
 * never reaches the backend at all.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect as h2connect } from 'node:http2';
import { request as tlsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { Client } from 'undici';
import { WebSocket, WebSocketServer } from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IssueResult } from '../../src/ca/types.js';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { serverMaterial, startProxy, testSpec, type RunningProxy } from '../helpers/proxy-fixture.js';
import { waitFor } from '../helpers/proxy-wait.js';

const SPIFFE = 'spiffe://example.org/ns/prod/sa/web';

interface SeenRequest {
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
}

interface HttpBackend {
  port: number;
  /** TCP connections the backend accepted. */
  sockets: number;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** An HTTP/1.1 backend that records each request and echoes WebSocket messages. */
async function startHttpBackend(): Promise<HttpBackend> {
  const open = new Set<Socket>();
  const state: HttpBackend = { port: 0, sockets: 0, seen: [], close: async () => undefined };
  const server: Server = createServer((req, res) => {
    state.seen.push({ url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders });
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(req.method === 'POST' ? `got ${body}` : `hello ${req.url}`);
    });
  });
  server.on('connection', (socket: Socket) => {
    state.sockets += 1;
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    state.seen.push({ url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders });
    wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  state.port = (server.address() as AddressInfo).port;
  state.close = async () => {
    for (const s of open) s.destroy();
    wss.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}

let pki: TestPki;
let server: IssueResult;
let alice: IssueResult;
let backend: HttpBackend;
let proxy: RunningProxy | undefined;

beforeAll(async () => {
  pki = await createTestPki();
  server = await pki.server();
  alice = await pki.client('alice', { uri: [SPIFFE], dns: ['alice.internal'] });
  backend = await startHttpBackend();
});

afterAll(async () => {
  await backend.close();
  pki.cleanup();
});

afterEach(async () => {
  await proxy?.service.drain(0);
  proxy = undefined;
});

async function start() {
  proxy = await startProxy(testSpec({ backendPort: backend.port, http: { xfcc: ['hash', 'subject', 'uri', 'dns'] } }), serverMaterial(server, [pki.caPem]));
  return proxy;
}

const certHash = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');

/** An HTTP/1.1 keep-alive client with alice's certificate. */
function aliceClient(port: number): Client {
  return new Client(`https://127.0.0.1:${port}`, { connect: { ca: pki.caPem, cert: alice.certPem, key: alice.keyPem, servername: 'localhost' } });
}

describe('backend.protocol: http', () => {
  it('adds X-Forwarded-Client-Cert with the SPIFFE ID and certificate hash, plus X-Forwarded-For and Forwarded', async () => {
    const { port } = await start();
    const client = aliceClient(port);
    try {
      const res = await client.request({ method: 'GET', path: '/who' });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe('hello /who');
    } finally {
      await client.close();
    }
    const seen = backend.seen.at(-1)!;
    const xfcc = seen.headers['x-forwarded-client-cert'];
    expect(xfcc).toBe(`Hash=${certHash(alice.certPem)};Subject="CN=alice";URI=${SPIFFE};DNS=alice.internal`);
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers.forwarded).toBe('for=127.0.0.1;proto=https');
    await waitFor(() => proxy!.events.find((e) => e.result === 'accepted' && e.peer_cn === 'alice'), { what: 'the accepted connection event' });
  });

  it('never forwards a client copy of X-Forwarded-Client-Cert, X-Forwarded-For or Forwarded', async () => {
    const { port } = await start();
    const client = aliceClient(port);
    try {
      const res = await client.request({
        method: 'POST',
        path: '/spoof',
        headers: {
          'x-forwarded-client-cert': 'Hash=evil;URI=spiffe://evil.example/admin',
          'X-Forwarded-For': '6.6.6.6',
          forwarded: 'for=6.6.6.6;proto=http',
          connection: 'x-forwarded-client-cert',
        },
        body: 'payload',
      });
      expect(await res.body.text()).toBe('got payload');
    } finally {
      await client.close();
    }
    const seen = backend.seen.at(-1)!;
    expect(seen.url).toBe('/spoof');
    const raw = seen.rawHeaders.join('\n');
    expect(raw).not.toContain('evil');
    expect(raw).not.toContain('6.6.6.6');
    const xfccLines = seen.rawHeaders.filter((_, i) => i % 2 === 0 && seen.rawHeaders[i]!.toLowerCase() === 'x-forwarded-client-cert');
    expect(xfccLines).toHaveLength(1);
    expect(seen.headers['x-forwarded-client-cert']).toContain(`URI=${SPIFFE}`);
  });

  it('serves 1,000 sequential requests over a handful of backend connections (keep-alive pool)', async () => {
    const { port } = await start();
    const before = backend.sockets;
    const client = aliceClient(port);
    try {
      for (let i = 0; i < 1000; i++) {
        const res = await client.request({ method: 'GET', path: `/n/${i}` });
        expect(res.statusCode).toBe(200);
        await res.body.dump();
      }
    } finally {
      await client.close();
    }
    const used = backend.sockets - before;
    expect(used).toBeGreaterThanOrEqual(1);
    expect(used).toBeLessThanOrEqual(4);
  });

  it('passes a WebSocket upgrade through and echoes messages, with the identity on the upgrade request', async () => {
    const { port } = await start();
    const ws = new WebSocket(`wss://127.0.0.1:${port}/ws`, { ca: pki.caPem, cert: alice.certPem, key: alice.keyPem });
    await once(ws, 'open');
    const replies: string[] = [];
    ws.on('message', (d: Buffer) => replies.push(d.toString()));
    ws.send('one');
    ws.send('two');
    await waitFor(() => replies.length === 2, { what: 'two echoes' });
    expect(replies).toEqual(['one', 'two']);
    ws.close();
    await once(ws, 'close');
    const upgrade = backend.seen.find((s) => s.url === '/ws')!;
    expect(upgrade.headers['x-forwarded-client-cert']).toContain(`Hash=${certHash(alice.certPem)}`);
  });

  it('serves HTTP/2 clients from an HTTP/1.1 backend', async () => {
    const { port } = await start();
    const session = h2connect(`https://127.0.0.1:${port}`, { ca: pki.caPem, cert: alice.certPem, key: alice.keyPem, servername: 'localhost' });
    try {
      await once(session, 'connect');
      expect(session.alpnProtocol).toBe('h2');
      const answers = await Promise.all(
        ['/h2/a', '/h2/b'].map(
          (path) =>
            new Promise<{ status: number; body: string }>((resolve, reject) => {
              const stream = session.request({ ':path': path, 'x-forwarded-client-cert': 'Hash=evil' });
              let status = 0;
              let body = '';
              stream.on('response', (h) => (status = Number(h[':status'])));
              stream.on('data', (d: Buffer) => (body += d.toString()));
              stream.on('end', () => resolve({ status, body }));
              stream.on('error', reject);
              stream.end();
            }),
        ),
      );
      expect(answers).toEqual([
        { status: 200, body: 'hello /h2/a' },
        { status: 200, body: 'hello /h2/b' },
      ]);
    } finally {
      session.close();
    }
    const seen = backend.seen.find((s) => s.url === '/h2/a')!;
    // :authority became Host.
    expect(seen.headers.host).toBe(`localhost:${port}`);
    expect(seen.headers['x-forwarded-client-cert']).toContain(`URI=${SPIFFE}`);
    expect(seen.rawHeaders.join('\n')).not.toContain('evil');
  });

  it('refuses a client without a certificate; the backend sees nothing', async () => {
    const { port } = await start();
    const sockets = backend.sockets;
    const requests = backend.seen.length;
    const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      const req = tlsRequest({ host: '127.0.0.1', port, path: '/anon', ca: pki.caPem, servername: 'localhost', agent: false }, (res) => {
        res.resume();
        resolve(undefined);
      });
      req.on('error', resolve);
      req.end();
    });
    expect(error).toBeDefined();
    await waitFor(() => proxy!.events.find((e) => e.result === 'rejected' && e.reason === 'no_certificate'), { what: 'the refusal event' });
    expect(backend.sockets).toBe(sockets);
    expect(backend.seen.length).toBe(requests);
  });

  it('answers 502 when the backend is down, and records the failure', async () => {
    const closed = await startHttpBackend();
    const deadPort = closed.port;
    await closed.close();
    proxy = await startProxy(testSpec({ backendPort: deadPort, http: { xfcc: ['hash'] } }), serverMaterial(server, [pki.caPem]));
    const client = aliceClient(proxy.port);
    try {
      const res = await client.request({ method: 'GET', path: '/' });
      expect(res.statusCode).toBe(502);
      expect(await res.body.text()).toContain('ECONNREFUSED');
    } finally {
      await client.close();
    }
    await waitFor(() => proxy!.events.find((e) => e.result === 'error' && e.reason === 'backend_dial_failed'), { what: 'the failure event' });
  });
});

