/**
 * The native listener remembers the client chains it verified (native/src/verify-cache.c):
 * a certificate seen again on the same TLS context skips the chain walk, and only that.
 * Each case connects once (remembered), changes one thing, and shows the next handshake
 * is judged as a first one would be: expiry, a trust change by reload, revocation.
 * Admission in TypeScript checks validity only for resumed sessions, so the expiry case
 * fails if the remembered entry ignored time.
 */
import { describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { useProxyTestBed } from '../helpers/proxy-testbed.js';
import { makeOpensslChain } from '../helpers/openssl-chain.js';
import { serverMaterial, testSpec, tryEcho } from '../helpers/proxy-fixture.js';
import { startNativeProxy } from '../helpers/native-fixture.js';
import type { IssueResult } from '../../src/ca/types.js';

const bed = useProxyTestBed();

async function echoes(cert: IssueResult, caPem = bed.pki.caPem): Promise<boolean> {
  return (await tryEcho({ port: bed.proxy!.port, caPem, cert })).echoed;
}

async function expectRefused(cert: IssueResult, reason: string) {
  const before = bed.backend.connections;
  expect(await echoes(cert)).toBe(false);
  expect(bed.backend.connections).toBe(before);
  expect(bed.proxy!.events.map((e) => e.reason)).toContain(reason);
}

describe('native data path: remembered chain verification', () => {
  it('refuses a remembered certificate once it has expired', async () => {
    bed.proxy = await startNativeProxy(testSpec({ backendPort: bed.backend.port }), serverMaterial(bed.server, [bed.pki.caPem]));
    const shortLived = await bed.pki.client('brief', { ttlMs: 3_000 });
    expect(await echoes(shortLived)).toBe(true);
    expect(await echoes(shortLived)).toBe(true);
    // Wait out the certificate's validity (whole seconds in X.509), not a timing assumption.
    const notAfter = Date.parse(new X509Certificate(shortLived.certPem).validTo);
    while (Date.now() < notAfter + 1_100) await new Promise((r) => setTimeout(r, 200));
    await expectRefused(shortLived, 'expired');
  });

  it('forgets what it verified when a reload changes the trust anchors', async () => {
    bed.proxy = await startNativeProxy(testSpec({ backendPort: bed.backend.port }), serverMaterial(bed.server, [bed.pki.caPem]));
    const alice = await bed.pki.client('alice');
    expect(await echoes(alice)).toBe(true);
    bed.proxy.service.reload(testSpec({ backendPort: bed.backend.port }), serverMaterial(bed.server, [bed.otherPki.caPem]));
    await expectRefused(alice, 'untrusted');
    expect(await echoes(await bed.otherPki.client('bob'))).toBe(true);
  });

  it('refuses a remembered certificate once it is revoked', async () => {
    bed.proxy = await startNativeProxy(testSpec({ backendPort: bed.backend.port }), serverMaterial(bed.server, [bed.pki.caPem]));
    const carol = await bed.pki.client('carol');
    expect(await echoes(carol)).toBe(true);
    await bed.proxy.revocations.add([carol.record.serial]);
    await expectRefused(carol, 'revoked');
  });

  it('remembers the chain the client sent, not only its certificate: the same leaf without its intermediate is refused', async () => {
    // A client under an intermediate; the listener trusts only the root, so the client must send the intermediate.
    const chain = makeOpensslChain(bed.pki.dir, 'viaintermediate', 'extendedKeyUsage=clientAuth\n');
    bed.proxy = await startNativeProxy(testSpec({ backendPort: bed.backend.port }), serverMaterial(bed.server, [bed.pki.caPem, chain.root]));
    const withIntermediate = { certPem: `${chain.leaf}${chain.inter}`, keyPem: chain.leafKey } as IssueResult;
    const leafAlone = { certPem: chain.leaf, keyPem: chain.leafKey } as IssueResult;
    expect(await echoes(withIntermediate)).toBe(true);
    expect(await echoes(withIntermediate)).toBe(true);
    await expectRefused(leafAlone, 'untrusted');
  });

  it('keeps each certificate apart: many remembered, a stranger still refused', async () => {
    bed.proxy = await startNativeProxy(testSpec({ backendPort: bed.backend.port }), serverMaterial(bed.server, [bed.pki.caPem]));
    const clients = await Promise.all(['d1', 'd2', 'd3'].map((cn) => bed.pki.client(cn)));
    for (const round of [1, 2]) for (const c of clients) expect(await echoes(c), `${c.record.cn} round ${round}`).toBe(true);
    await expectRefused(await bed.otherPki.client('stranger'), 'untrusted');
  });
});
