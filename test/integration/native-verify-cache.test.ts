/**
 * The native listener remembers the client chains it verified (native/src/verify-cache.c):
 * a certificate seen again on the same TLS context skips the chain walk, and only that.
 * Each case connects once (remembered), changes one thing, and shows the next handshake
 * is judged as a first one would be: expiry, a trust change by reload, revocation.
 * Admission in TypeScript checks validity only for resumed sessions, so the expiry case
 * fails if the remembered entry ignored time.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { serverMaterial, testSpec, tryEcho, type RunningProxy } from '../helpers/proxy-fixture.js';
import { startNativeProxy } from '../helpers/native-fixture.js';
import type { IssueResult } from '../../src/ca/types.js';

let pki: TestPki;
let otherPki: TestPki;
let server: IssueResult;
let backend: CountingBackend;
let proxy: RunningProxy | undefined;

beforeAll(async () => {
  [pki, otherPki] = await Promise.all([createTestPki(), createTestPki()]);
  server = await pki.server();
  backend = await startEchoBackend();
});

afterAll(async () => {
  await backend.close();
  pki.cleanup();
  otherPki.cleanup();
});

afterEach(async () => {
  await proxy?.service.drain(0);
  proxy = undefined;
});

async function echoes(cert: IssueResult, caPem = pki.caPem): Promise<boolean> {
  return (await tryEcho({ port: proxy!.port, caPem, cert })).echoed;
}

async function expectRefused(cert: IssueResult, reason: string) {
  const before = backend.connections;
  expect(await echoes(cert)).toBe(false);
  expect(backend.connections).toBe(before);
  expect(proxy!.events.map((e) => e.reason)).toContain(reason);
}

describe('native data path: remembered chain verification', () => {
  it('refuses a remembered certificate once it has expired', async () => {
    proxy = await startNativeProxy(testSpec({ backendPort: backend.port }), serverMaterial(server, [pki.caPem]));
    const shortLived = await pki.client('brief', { ttlMs: 3_000 });
    expect(await echoes(shortLived)).toBe(true);
    expect(await echoes(shortLived)).toBe(true);
    // Wait out the certificate's validity (whole seconds in X.509), not a timing assumption.
    const notAfter = Date.parse(new X509Certificate(shortLived.certPem).validTo);
    while (Date.now() < notAfter + 1_100) await new Promise((r) => setTimeout(r, 200));
    await expectRefused(shortLived, 'expired');
  });

  it('forgets what it verified when a reload changes the trust anchors', async () => {
    proxy = await startNativeProxy(testSpec({ backendPort: backend.port }), serverMaterial(server, [pki.caPem]));
    const alice = await pki.client('alice');
    expect(await echoes(alice)).toBe(true);
    proxy.service.reload(testSpec({ backendPort: backend.port }), serverMaterial(server, [otherPki.caPem]));
    await expectRefused(alice, 'untrusted');
    expect(await echoes(await otherPki.client('bob'))).toBe(true);
  });

  it('refuses a remembered certificate once it is revoked', async () => {
    proxy = await startNativeProxy(testSpec({ backendPort: backend.port }), serverMaterial(server, [pki.caPem]));
    const carol = await pki.client('carol');
    expect(await echoes(carol)).toBe(true);
    await proxy.revocations.add([carol.record.serial]);
    await expectRefused(carol, 'revoked');
  });

  it('keeps each certificate apart: many remembered, a stranger still refused', async () => {
    proxy = await startNativeProxy(testSpec({ backendPort: backend.port }), serverMaterial(server, [pki.caPem]));
    const clients = await Promise.all(['d1', 'd2', 'd3'].map((cn) => pki.client(cn)));
    for (const round of [1, 2]) for (const c of clients) expect(await echoes(c), `${c.record.cn} round ${round}`).toBe(true);
    await expectRefused(await otherPki.client('stranger'), 'untrusted');
  });
});
