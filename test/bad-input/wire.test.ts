/**
 * Bad input on the wire, against a real TCP service (mTLS listener in front of
 * a counting echo backend). Each case is named with the property it proves:
 * no byte reaches the backend, the listener frees the socket, good clients are
 * still served.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import * as x509 from '@peculiar/x509';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IssueResult } from '../../src/ca/types.js';
import type { WorkerSpec } from '../../src/protocol/messages.js';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startCoreListeners, type CoreListeners } from '../helpers/core-listeners.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { serverMaterial, startProxy, testSpec, tryEcho, type RunningProxy } from '../helpers/proxy-fixture.js';
import { waitFor } from '../helpers/proxy-wait.js';
import { socketsInState } from '../helpers/proc-net.js';

const HANDSHAKE_TIMEOUT = 800;

function rawConnect(port: number): Promise<Socket> {
  const s = netConnect({ host: '127.0.0.1', port });
  s.on('error', () => undefined);
  return once(s, 'connect').then(() => s);
}

/** Sends bytes on a plain TCP socket and resolves when the server has closed it (what it answered, if anything). */
async function sendAndAwaitClose(port: number, bytes: Buffer | string): Promise<Buffer> {
  const s = await rawConnect(port);
  const chunks: Buffer[] = [];
  s.on('data', (d: Buffer) => chunks.push(d));
  s.write(bytes);
  await once(s, 'close');
  return Buffer.concat(chunks);
}

/** A TLS client at a forced protocol version; resolves with whether it ever finished a handshake. */
function legacyHello(port: number, version: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, minVersion: version, maxVersion: version, ciphers: 'DEFAULT:@SECLEVEL=0', rejectUnauthorized: false });
    let secured = false;
    s.once('secureConnect', () => (secured = true));
    s.on('error', () => undefined);
    s.once('close', () => resolve(secured));
  });
}

/** An SSLv3 ClientHello, by hand: OpenSSL cannot send one any more. */
function sslv3Hello(): Buffer {
  const body = Buffer.concat([Buffer.from([0x03, 0x00]), Buffer.alloc(32, 7), Buffer.from([0x00, 0x00, 0x02, 0x00, 0x2f, 0x01, 0x00])]);
  const handshake = Buffer.concat([Buffer.from([0x01, 0x00, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x00, (handshake.length >> 8) & 0xff, handshake.length & 0xff]), handshake]);
}

async function selfSignedPem(cn: string, dnsCount: number): Promise<{ certPem: string; keyPem: string }> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];
  const names = Array.from({ length: dnsCount }, (_, i) => ({ type: 'dns' as const, value: `host-${i}-padding-padding.example.org` }));
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${cn}`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: alg,
    extensions: names.length ? [new x509.SubjectAlternativeNameExtension(names)] : [],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', (keys as unknown as { privateKey: CryptoKeyLike }).privateKey));
  return { certPem: cert.toString('pem'), keyPem: `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n` };
}
type CryptoKeyLike = Parameters<typeof webcrypto.subtle.exportKey>[1];

describe('bad input on the wire (TCP service)', () => {
  let pki: TestPki;
  let other: TestPki;
  let backend: CountingBackend;
  let proxy: RunningProxy;
  let good: IssueResult;
  let server: IssueResult;

  const start = async (over: Partial<WorkerSpec> = {}, revoked: string[] = []) => {
    proxy = await startProxy(
      testSpec({ backendPort: backend.port, limits: { dial_timeout: 2_000, idle_timeout: 30_000, handshake_timeout: HANDSHAKE_TIMEOUT, max_connections: 100, drain_timeout: 1_000 }, ...over }),
      serverMaterial(server, [pki.caPem]),
      revoked,
    );
  };
  const goodClientServed = async () => expect((await tryEcho({ port: proxy.port, caPem: pki.caPem, cert: good })).echoed).toBe(true);
  /** The property most cases prove: nothing reached the backend, the socket is freed, a good client still gets through. */
  const noByteAndStillServing = async (before: number) => {
    expect(backend.connections).toBe(before);
    await waitFor(() => socketsInState(proxy.port, '08') === 0, { timeoutMs: 3_000, what: 'no CLOSE-WAIT socket on the listener' });
    await goodClientServed();
  };

  beforeAll(async () => {
    pki = await createTestPki();
    other = await createTestPki();
    backend = await startEchoBackend();
    server = await pki.server();
    good = await pki.client('web');
  });
  afterAll(async () => {
    await backend?.close();
    pki?.cleanup();
    other?.cleanup();
  });
  afterEach(async () => {
    await proxy?.service.drain(0);
  });

  it('garbage bytes: no byte to the backend, the socket is closed, good clients still served', async () => {
    await start();
    const before = backend.connections;
    await sendAndAwaitClose(proxy.port, Buffer.from('\x00\xff garbage \x16\x03\x09\x00\x01 more garbage'));
    await noByteAndStillServing(before);
  });

  it('plaintext HTTP: no byte to the backend, good clients still served', async () => {
    await start();
    const before = backend.connections;
    const answer = await sendAndAwaitClose(proxy.port, 'GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    expect(answer.toString()).not.toContain('HTTP/1.1 200');
    await noByteAndStillServing(before);
  });

  it('an SSLv3 ClientHello is refused: no byte to the backend', async () => {
    await start();
    const before = backend.connections;
    await sendAndAwaitClose(proxy.port, sslv3Hello());
    await noByteAndStillServing(before);
  });

  for (const version of ['TLSv1', 'TLSv1.1', 'TLSv1.2'] as const) {
    it(`a ${version} hello to a TLS 1.3 listener never completes a handshake: no byte to the backend`, async () => {
      await start();
      const before = backend.connections;
      expect(await legacyHello(proxy.port, version)).toBe(false);
      await noByteAndStillServing(before);
    });
  }

  const refusedCerts: { name: string; cert: () => Promise<IssueResult | { certPem: string; keyPem: string } | undefined>; mtls?: WorkerSpec['mtls']; revoke?: boolean }[] = [
    { name: 'no client certificate', cert: async () => undefined },
    { name: 'a certificate from another CA', cert: () => other.client('web') },
    { name: 'an expired certificate', cert: () => pki.expiredClient('web') },
    { name: 'a not yet valid certificate', cert: () => pki.futureClient('web') },
    { name: 'a revoked certificate', cert: () => pki.client('web'), revoke: true },
    { name: 'a serverAuth-only certificate', cert: () => pki.server({ cn: 'web' }) },
    { name: 'a CN the policy does not allow', cert: () => pki.client('intruder'), mtls: { mode: 'required', allowed_services: ['web'] } },
    { name: 'a 100 KB self-signed certificate', cert: () => selfSignedPem('web', 2_000) },
  ];
  for (const c of refusedCerts) {
    it(`${c.name} is refused: no byte to the backend, good clients still served`, async () => {
      const cert = await c.cert();
      const revoked = c.revoke && cert && 'record' in cert ? [cert.record.serial] : [];
      await start(c.mtls ? { mtls: c.mtls } : {}, revoked);
      const before = backend.connections;
      const r = await tryEcho({ port: proxy.port, caPem: pki.caPem, ...(cert ? { cert: cert as IssueResult } : {}) });
      expect(r.echoed).toBe(false);
      await noByteAndStillServing(before);
    });
  }

  it('a huge chain (a foreign leaf with 60 extra certificates) is refused, good clients still served', async () => {
    await start();
    const leaf = await other.client('web');
    const junk = (await Promise.all(Array.from({ length: 6 }, (_, i) => other.client(`junk-${i}`)))).map((j) => j.certPem);
    const chain = leaf.certPem + Array.from({ length: 10 }, () => junk.join('')).join('');
    const before = backend.connections;
    const r = await tryEcho({ port: proxy.port, caPem: pki.caPem, cert: { ...leaf, certPem: chain } });
    expect(r.echoed).toBe(false);
    await noByteAndStillServing(before);
  });

  it('slow handshake: a client silent past handshake_timeout (counted from accept) is cut and never accepted later', async () => {
    await start();
    const s = await rawConnect(proxy.port);
    const opened = performance.now();
    await once(s, 'close');
    expect(performance.now() - opened).toBeGreaterThanOrEqual(HANDSHAKE_TIMEOUT - 50);
    await waitFor(() => proxy.events.some((e) => e.reason === 'handshake_timeout'), { what: 'a handshake_timeout event' });
    expect(proxy.events.filter((e) => e.result === 'accepted')).toEqual([]);
    await goodClientServed();
  });

  it('renegotiation on a TLS 1.2 listener is refused; the connection cannot be renegotiated', async () => {
    await start({ protocol: 'tls12' });
    const s = tlsConnect({ host: '127.0.0.1', port: proxy.port, ca: pki.caPem, servername: 'localhost', cert: good.certPem, key: good.keyPem, maxVersion: 'TLSv1.2' });
    s.on('error', () => undefined);
    await once(s, 'secureConnect');
    // The server answers a renegotiation request with a no_renegotiation alert and never starts a handshake:
    // the client's callback reports an error or nothing at all, never success.
    const outcome = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('refused'), 2_000);
      const ok = s.renegotiate({ rejectUnauthorized: false }, (err) => {
        clearTimeout(timer);
        resolve(err ? 'refused' : 'renegotiated');
      });
      if (!ok) resolve('refused');
      s.once('close', () => resolve('refused'));
    });
    s.destroy();
    expect(outcome).toBe('refused');
    await goodClientServed();
  });

  it('connect-and-close flood and silent sockets with max_connections 100: a good client connects within 1 s and no socket stays in CLOSE-WAIT', async () => {
    await start();
    const before = backend.connections;
    // 500 connect-and-close, 100 silent sockets that hold every slot.
    for (let round = 0; round < 5; round++) {
      const batch = await Promise.all(Array.from({ length: 100 }, () => rawConnect(proxy.port)));
      for (const s of batch) s.end();
    }
    const silent = await Promise.all(Array.from({ length: 100 }, () => rawConnect(proxy.port)));
    const began = performance.now();
    const r = await tryEcho({ port: proxy.port, caPem: pki.caPem, cert: good });
    const took = performance.now() - began;
    expect(r.echoed).toBe(true);
    expect(took).toBeLessThan(1_000);
    expect(backend.connections).toBe(before + 1);
    // Every silent socket is cut at the handshake deadline; nothing is left half-closed.
    await Promise.all(silent.map((s) => (s.destroyed ? undefined : once(s, 'close'))));
    await waitFor(() => socketsInState(proxy.port, '08') === 0 && socketsInState(proxy.port, '01') === 0, { timeoutMs: 5_000, what: 'no CLOSE-WAIT or ESTABLISHED socket left' });
    expect(proxy.service.stats().active).toBe(0);
  });
});

describe('bad input on the wire (MCP front and remote MCP listener: the same handshake guard)', () => {
  let pki: TestPki;
  let listeners: CoreListeners;
  let good: IssueResult;
  beforeAll(async () => {
    pki = await createTestPki();
    good = await pki.client('agent');
    listeners = await startCoreListeners(pki, {}, [], { handshakeTimeoutMs: HANDSHAKE_TIMEOUT });
  }, 60_000);
  afterAll(async () => {
    await listeners?.close();
    pki?.cleanup();
  });

  for (const kind of ['mcp-front', 'mcp-remote'] as const) {
    it(`${kind}: connect-and-close and silent sockets are freed at handshake_timeout (not Node's 120 s), no CLOSE-WAIT, good clients still served`, async () => {
      const port = kind === 'mcp-front' ? listeners.frontPort : listeners.remotePort;
      for (let i = 0; i < 50; i++) (await rawConnect(port)).end();
      const silent = await Promise.all(Array.from({ length: 20 }, () => rawConnect(port)));
      const opened = performance.now();
      expect(await listeners.verdict(kind, good)).toBe('accepted');
      await Promise.all(silent.map((s) => (s.destroyed ? undefined : once(s, 'close'))));
      expect(performance.now() - opened).toBeLessThan(HANDSHAKE_TIMEOUT + 5_000);
      await waitFor(() => socketsInState(port, '08') === 0, { timeoutMs: 5_000, what: 'no CLOSE-WAIT socket on the listener' });
    });
  }
});
