/**
 * The listener's identity cache (src/proxy/identity-cache.ts) on real mTLS
 * sockets: one parse per certificate, the same answer as parsing afresh, a
 * bound, and (through a running proxy) no verdict cached: a certificate seen
 * and admitted once is refused once it is revoked.
 */
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { peerIdentityOf } from '../../../src/core/identity.js';
import { createIdentityCache } from '../../../src/proxy/identity-cache.js';
import type { IssueResult } from '../../../src/ca/types.js';
import { createTestPki, type TestPki } from '../../helpers/ca-fixture.js';
import { startEchoBackend, type CountingBackend } from '../../helpers/proxy-backend.js';
import { serverMaterial, startProxy, testSpec, tryEcho, type RunningProxy } from '../../helpers/proxy-fixture.js';

let pki: TestPki;
let serverCert: IssueResult;
let alice: IssueResult;
let bob: IssueResult;
let server: Server;
const open: TLSSocket[] = [];

beforeAll(async () => {
  pki = await createTestPki();
  [serverCert, alice, bob] = await Promise.all([pki.server(), pki.client('alice', { dns: ['alice.internal'] }), pki.client('bob')]);
  server = createServer({ cert: serverCert.certPem, key: serverCert.keyPem!, ca: pki.caPem, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3' });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
});

afterAll(async () => {
  for (const s of open) s.destroy();
  server.close();
  pki.cleanup();
});

/** The server side of one new mTLS connection made with `cert` (or none). */
async function serverSocket(cert?: IssueResult): Promise<TLSSocket> {
  const accepted = once(server, 'secureConnection') as Promise<[TLSSocket]>;
  const client = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername: 'localhost', ca: pki.caPem, ...(cert ? { cert: cert.certPem, key: cert.keyPem! } : {}) });
  client.on('error', () => undefined);
  const [socket] = await accepted;
  open.push(client, socket);
  return socket;
}

describe('identity cache', () => {
  it('parses a certificate once and gives what a fresh parse gives', async () => {
    const cache = createIdentityCache();
    const first = cache.of(await serverSocket(alice));
    const second = cache.of(await serverSocket(alice));
    expect(second).toBe(first);
    const fresh = peerIdentityOf(await serverSocket(alice))!;
    expect({ ...first!, cert: undefined, fingerprint256: first!.fingerprint256 }).toEqual({ ...fresh, cert: undefined, fingerprint256: fresh.fingerprint256 });
    expect(first!.cn).toBe('alice');
    expect(first!.dns).toEqual(['alice.internal']);
    const other = cache.of(await serverSocket(bob));
    expect(other!.cn).toBe('bob');
    expect(cache.size).toBe(2);
  });

  it('answers undefined for a client without a certificate', async () => {
    expect(createIdentityCache().of(await serverSocket())).toBeUndefined();
  });

  it('takes DER (the native data path) and shares entries with sockets; unreadable DER throws', async () => {
    const cache = createIdentityCache();
    const fromSocket = cache.of(await serverSocket(alice));
    const der = new X509Certificate(alice.certPem).raw;
    expect(cache.ofDer(der)).toBe(fromSocket);
    expect(cache.size).toBe(1);
    expect(() => cache.ofDer(Buffer.from('not a certificate'))).toThrow();
    expect(cache.size).toBe(1);
  });

  it('holds at most its bound, dropping the oldest', async () => {
    const cache = createIdentityCache(1);
    const a = cache.of(await serverSocket(alice));
    cache.of(await serverSocket(bob));
    expect(cache.size).toBe(1);
    expect(cache.of(await serverSocket(alice))).not.toBe(a);
  });
});

describe('a proxy reading identities through the cache', () => {
  let backend: CountingBackend;
  let proxy: RunningProxy | undefined;
  afterEach(async () => {
    await proxy?.service.drain(0);
    await backend.close();
  });

  it('refuses a certificate it admitted before, once it is revoked (the cache holds names, not verdicts)', async () => {
    backend = await startEchoBackend();
    proxy = await startProxy(testSpec({ backendPort: backend.port }), serverMaterial(serverCert, [pki.caPem]));
    expect((await tryEcho({ port: proxy.port, caPem: pki.caPem, cert: alice })).echoed).toBe(true);
    await proxy.revocations.add([alice.record.serial]);
    expect((await tryEcho({ port: proxy.port, caPem: pki.caPem, cert: alice })).echoed).toBe(false);
    expect(proxy.events.at(-1)).toMatchObject({ result: 'rejected', reason: 'revoked' });
  });
});
