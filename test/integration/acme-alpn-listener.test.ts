/**
 * TLS-ALPN-01 on a running mTLS listener (src/proxy/acme-alpn.ts), real TLS on
 * loopback: while a challenge is pending, a hello offering `acme-tls/1` for the
 * pending name gets the challenge certificate and `acme-tls/1`; every other
 * connection keeps the listener's certificate and its mTLS demands; once the
 * challenge is withdrawn, `acme-tls/1` gets nothing special.
 */
import { X509Certificate } from 'node:crypto';
import { connect, type TLSSocket } from 'node:tls';
import * as acme from 'acme-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { serverMaterial, startProxy, testSpec, tryEcho, type RunningProxy } from '../helpers/proxy-fixture.js';
import { eventWithin } from '../helpers/proxy-wait.js';
import { readClientHello } from '../../src/proxy/acme-alpn.js';

let pki: TestPki;
let backend: CountingBackend;
let proxy: RunningProxy;
let serverCertPem: string;

beforeEach(async () => {
  pki = await createTestPki();
  backend = await startEchoBackend();
  const server = await pki.server();
  serverCertPem = server.certPem;
  proxy = await startProxy(testSpec({ backendPort: backend.port }), serverMaterial(server, [pki.caPem]));
});
afterEach(async () => {
  await proxy.service.drain(0);
  await backend.close();
  pki.cleanup();
});

/** Handshake as a TLS-ALPN-01 validator does (no client certificate, no chain check). */
async function validate(servername: string): Promise<{ alpn: string | false | null; certPem: string }> {
  const socket: TLSSocket = connect({ host: '127.0.0.1', port: proxy.port, servername, ALPNProtocols: ['acme-tls/1'], rejectUnauthorized: false });
  socket.on('error', () => undefined);
  await eventWithin(socket, 'secureConnect', 5_000);
  const result = { alpn: socket.alpnProtocol, certPem: socket.getPeerX509Certificate()!.toString() };
  socket.destroy();
  return result;
}

const serialOf = (pem: string) => new X509Certificate(pem).serialNumber;

describe('TLS-ALPN-01 on the mTLS listener', () => {
  it('answers acme-tls/1 for the pending name only, leaves every other connection to the listener, and stops when withdrawn', async () => {
    const keyAuthorization = 'token-abc.thumbprint-xyz';
    const [key, cert] = await acme.crypto.createAlpnCertificate({ identifier: { type: 'dns', value: 'localhost' } } as never, keyAuthorization);
    proxy.service.acmeChallenge!('localhost', { certPem: cert.toString(), keyPem: key.toString() });

    const answered = await validate('localhost');
    expect(answered.alpn).toBe('acme-tls/1');
    expect(acme.crypto.isAlpnCertificateAuthorizationValid(answered.certPem, keyAuthorization)).toBe(true);

    // Another name, even with acme-tls/1: the listener's own certificate.
    expect(serialOf((await validate('other.example')).certPem)).toBe(serialOf(serverCertPem));
    // mTLS is untouched while the challenge is pending: with a certificate through, without one refused.
    expect((await tryEcho({ port: proxy.port, caPem: pki.caPem, cert: await pki.client('web') })).echoed).toBe(true);
    expect((await tryEcho({ port: proxy.port, caPem: pki.caPem })).echoed).toBe(false);

    proxy.service.acmeChallenge!('localhost', undefined);
    const after = await validate('localhost');
    expect(after.alpn).not.toBe('acme-tls/1');
    expect(serialOf(after.certPem)).toBe(serialOf(serverCertPem));
    expect((await tryEcho({ port: proxy.port, caPem: pki.caPem, cert: await pki.client('web') })).echoed).toBe(true);
  });

  it('reads SNI and ALPN from a ClientHello, asks for more when the record is cut short, and rejects what is not one', async () => {
    const hello = await captureHello();
    expect(readClientHello(hello)).toEqual({ servername: 'api.example.test', alpn: ['acme-tls/1'] });
    expect(readClientHello(hello.subarray(0, 40))).toBe('more');
    expect(readClientHello(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toBeUndefined();
  });
});

async function captureHello(): Promise<Buffer> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const got = new Promise<Buffer>((resolve) => server.once('connection', (s) => s.once('data', (d: Buffer) => (resolve(d), s.destroy()))));
  const { port } = server.address() as { port: number };
  const client = connect({ host: '127.0.0.1', port, servername: 'api.example.test', ALPNProtocols: ['acme-tls/1'] });
  client.on('error', () => undefined);
  const data = await got;
  client.destroy();
  server.close();
  return data;
}
