/**
 * listen.alpn on TCP services: curl --http2 and a gRPC unary call, each with a
 * client certificate, through the byte pipe to h2c (prior-knowledge) backends;
 * client mode offers the same list upstream. Real TLS, real clients.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer as createH2cServer, connect as h2Connect, type Http2Server } from 'node:http2';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { serverMaterial, startProxy, testSpec, tlsConnect, type RunningProxy } from '../helpers/proxy-fixture.js';
import { eventWithin, waitFor } from '../helpers/proxy-wait.js';
import type { IssueResult } from '../../src/ca/types.js';

const run = promisify(execFile);

const PROTO = `syntax = "proto3";
package tlsmcptest;
message Msg { string text = 1; }
service Echo { rpc Say (Msg) returns (Msg); }
`;

let pki: TestPki;
let server: IssueResult;
let alice: IssueResult;
let h2c: Http2Server;
let h2cPort: number;
const h2cVersions: string[] = [];
let grpcServer: grpc.Server;
let grpcPort: number;
let echoClient: grpc.ServiceClientConstructor;
const proxies: RunningProxy[] = [];

beforeAll(async () => {
  pki = await createTestPki();
  [server, alice] = await Promise.all([pki.server(), pki.client('alice')]);
  writeFileSync(join(pki.dir, 'ca.pem'), pki.caPem);
  writeFileSync(join(pki.dir, 'alice.pem'), alice.certPem);
  writeFileSync(join(pki.dir, 'alice.key'), alice.keyPem!, { mode: 0o600 });

  h2c = createH2cServer((req, res) => {
    h2cVersions.push(req.httpVersion);
    res.end(`hello over ${req.httpVersion}`);
  });
  await new Promise<void>((resolve) => h2c.listen(0, '127.0.0.1', resolve));
  h2cPort = (h2c.address() as { port: number }).port;

  const protoPath = join(pki.dir, 'echo.proto');
  writeFileSync(protoPath, PROTO);
  const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(protoPath)) as unknown as { tlsmcptest: { Echo: grpc.ServiceClientConstructor } };
  echoClient = loaded.tlsmcptest.Echo;
  grpcServer = new grpc.Server();
  grpcServer.addService(echoClient.service, {
    Say: (call: grpc.ServerUnaryCall<{ text: string }, { text: string }>, callback: grpc.sendUnaryData<{ text: string }>) => callback(null, { text: `echo ${call.request.text}` }),
  });
  grpcPort = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
});

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.service.drain(0)));
});

afterAll(async () => {
  grpcServer.forceShutdown();
  await new Promise<void>((resolve) => h2c.close(() => resolve()));
  pki.cleanup();
});

async function alpnProxy(backendPort: number): Promise<RunningProxy> {
  const proxy = await startProxy(testSpec({ backendPort, alpn: ['h2', 'http/1.1'] }), serverMaterial(server, [pki.caPem]));
  proxies.push(proxy);
  return proxy;
}

describe('listen.alpn: HTTP/2 and gRPC through the TCP pipe', () => {
  it('curl --http2 with a client certificate gets HTTP/2 end to end, and the audit event names h2', async () => {
    const proxy = await alpnProxy(h2cPort);
    const before = h2cVersions.length;
    const { stdout } = await run('curl', [
      '--silent', '--show-error', '--http2',
      '--cacert', join(pki.dir, 'ca.pem'), '--cert', join(pki.dir, 'alice.pem'), '--key', join(pki.dir, 'alice.key'),
      '--write-out', '\n%{http_version}',
      `https://127.0.0.1:${proxy.port}/`,
    ]);
    const [body, version] = stdout.split('\n');
    expect(body).toBe('hello over 2.0');
    expect(version).toBe('2');
    expect(h2cVersions.slice(before)).toEqual(['2.0']);
    const event = await waitFor(() => proxy.events.find((e) => e.result === 'accepted'), { what: 'the accepted event' });
    expect(event.alpn).toBe('h2');
    expect(event.peer_cn).toBe('alice');
  });

  it('without listen.alpn nothing is negotiated (curl falls back and no alpn is audited)', async () => {
    const proxy = await startProxy(testSpec({ backendPort: h2cPort }), serverMaterial(server, [pki.caPem]));
    proxies.push(proxy);
    const result = await run('curl', [
      '--silent', '--http2', '--max-time', '5',
      '--cacert', join(pki.dir, 'ca.pem'), '--cert', join(pki.dir, 'alice.pem'), '--key', join(pki.dir, 'alice.key'),
      '--write-out', '\n%{http_version}',
      `https://127.0.0.1:${proxy.port}/`,
    ]).catch((err: { stdout: string }) => ({ stdout: err.stdout }));
    expect(result.stdout.endsWith('\n2')).toBe(false);
    const event = await waitFor(() => proxy.events.find((e) => e.result === 'accepted'), { what: 'the accepted event' });
    expect(event.alpn).toBeUndefined();
  });

  it('a reload swaps the advertised list for new connections', async () => {
    const spec = testSpec({ backendPort: h2cPort, alpn: ['h2'] });
    const material = serverMaterial(server, [pki.caPem]);
    const proxy = await startProxy(spec, material);
    proxies.push(proxy);
    const negotiate = async () => {
      const socket = tlsConnect({ port: proxy.port, caPem: pki.caPem, cert: alice, ALPNProtocols: ['h2', 'http/1.1'] });
      await eventWithin(socket, 'secureConnect', 10_000);
      const agreed = socket.alpnProtocol;
      socket.destroy();
      return agreed;
    };
    expect(await negotiate()).toBe('h2');
    expect(proxy.service.reload({ ...spec, alpn: ['http/1.1'] }, material)).toContain('alpn');
    expect(await negotiate()).toBe('http/1.1');
  });

  it('a gRPC unary call with TLS and a client certificate reaches an insecure grpc-js server', async () => {
    const proxy = await alpnProxy(grpcPort);
    const credentials = grpc.credentials.createSsl(Buffer.from(pki.caPem), Buffer.from(alice.keyPem!), Buffer.from(alice.certPem));
    const client = new echoClient(`127.0.0.1:${proxy.port}`, credentials, { 'grpc.ssl_target_name_override': 'localhost' }) as unknown as grpc.Client & {
      Say(req: { text: string }, cb: (err: grpc.ServiceError | null, res?: { text: string }) => void): void;
    };
    try {
      const reply = await new Promise<{ text: string } | undefined>((resolve, reject) => client.Say({ text: 'hi' }, (err, res) => (err ? reject(err) : resolve(res))));
      expect(reply?.text).toBe('echo hi');
    } finally {
      client.close();
    }
    const event = await waitFor(() => proxy.events.find((e) => e.result === 'accepted'), { what: 'the accepted event' });
    expect(event.alpn).toBe('h2');
  });

  it('client mode offers listen.alpn upstream: prior-knowledge HTTP/2 in, h2 negotiated with the remote', async () => {
    const remote = await alpnProxy(h2cPort);
    const client = await startProxy(
      testSpec({ backendPort: remote.port, mode: 'client', server_name: 'localhost', alpn: ['h2'] }),
      serverMaterial(alice, [pki.caPem]),
    );
    proxies.push(client);
    const session = h2Connect(`http://127.0.0.1:${client.port}`);
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const req = session.request({ ':path': '/' });
        let data = '';
        req.setEncoding('utf8');
        req.on('data', (d: string) => (data += d));
        req.on('end', () => resolve(data));
        req.on('error', reject);
        req.end();
      });
      expect(body).toBe('hello over 2.0');
    } finally {
      session.close();
    }
    const upstream = await waitFor(() => client.events.find((e) => e.result === 'accepted'), { what: 'the client-mode event' });
    expect(upstream.alpn).toBe('h2');
    const inbound = await waitFor(() => remote.events.find((e) => e.result === 'accepted'), { what: 'the server-mode event' });
    expect(inbound.alpn).toBe('h2');
  });
});
