/**
 * Every way a client can be refused, against a backend that counts its
 * connections: a refused client must never cause a backend connection.
 * Real TLS on 127.0.0.1, certificates from a fresh CA per run. The refusals
 * and the identity policy run against both data paths (the JS listener and
 * `data_path: native`): the decision is the core's, so the verdicts and the
 * reasons must be the same.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { serverMaterial, startProxy, testSpec, tryEcho, type RunningProxy } from '../helpers/proxy-fixture.js';
import { startNativeProxy } from '../helpers/native-fixture.js';
import type { IssueResult } from '../../src/ca/types.js';
import type { WorkerSpec } from '../../src/protocol/messages.js';

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

const DATA_PATHS = [
  ['js', startProxy],
  ['native', startNativeProxy],
] as const;
let starter: typeof startProxy = startProxy;

async function start(mtls: Partial<WorkerSpec['mtls']> = {}, extra: Partial<WorkerSpec> = {}, revoked: string[] = []) {
  proxy = await starter(testSpec({ backendPort: backend.port, mtls: { mode: 'required', ...mtls }, ...extra }), serverMaterial(server, [pki.caPem]), revoked);
  return proxy;
}

async function expectRefused(cert: IssueResult | undefined, reason: string, options: { maxVersion?: 'TLSv1.2' } = {}) {
  const before = backend.connections;
  const result = await tryEcho({ port: proxy!.port, caPem: pki.caPem, ...(cert ? { cert } : {}), ...options });
  expect(result.echoed).toBe(false);
  expect(backend.connections).toBe(before);
  expect(proxy!.events.map((e) => e.reason)).toContain(reason);
  expect(proxy!.service.stats().rejected_by_reason[reason]).toBe(1);
}

describe.each(DATA_PATHS)('data path %s', (_name, startOn) => {
  beforeAll(() => {
    starter = startOn;
  });
  afterAll(() => {
    starter = startProxy;
  });

  describe('server mode: refusals never reach the backend', () => {
    it('accepts a valid client certificate and echoes through', async () => {
      await start();
      const before = backend.connections;
      const result = await tryEcho({ port: proxy!.port, caPem: pki.caPem, cert: await pki.client('alice') });
      expect(result.echoed).toBe(true);
      expect(backend.connections).toBe(before + 1);
    });

    it('refuses a client without a certificate', async () => {
      await start();
      await expectRefused(undefined, 'no_certificate');
    });

    it('refuses a certificate from an untrusted CA', async () => {
      await start();
      await expectRefused(await otherPki.client('mallory'), 'untrusted');
    });

    it('refuses an expired certificate', async () => {
      await start();
      await expectRefused(await pki.expiredClient('old'), 'expired');
    });

    it('refuses a certificate that is not yet valid', async () => {
      await start();
      await expectRefused(await pki.futureClient('early'), 'not_yet_valid');
    });

    it('refuses a revoked certificate at handshake time', async () => {
      const cert = await pki.client('revoked');
      await start({}, {}, [cert.record.serial]);
      await expectRefused(cert, 'revoked');
    });

    it('refuses a serverAuth-only certificate used as a client', async () => {
      await start();
      await expectRefused(await pki.server({ cn: 'a-server' }), 'invalid_purpose');
    });

    it('refuses a TLS 1.2 client on a TLS 1.3-only listener', async () => {
      await start();
      await expectRefused(await pki.client('alice'), 'tls_handshake', { maxVersion: 'TLSv1.2' });
    });
  });

  describe('identity policy', () => {
    const cases: { name: string; mtls: Partial<WorkerSpec['mtls']>; good: () => Promise<IssueResult>; bad: () => Promise<IssueResult> }[] = [
      { name: 'CN allowlist (allowed_services)', mtls: { allowed_services: ['billing'] }, good: () => pki.client('billing'), bad: () => pki.client('intruder') },
      { name: 'CN regex (required_cn_pattern)', mtls: { required_cn_pattern: '^svc-[a-z]+$' }, good: () => pki.client('svc-api'), bad: () => pki.client('api') },
      { name: 'Organization', mtls: { allowed_organizations: ['acme'] }, good: () => pki.client('a', { o: 'acme' }), bad: () => pki.client('b', { o: 'evil' }) },
      { name: 'OU', mtls: { allowed_ous: ['payments'] }, good: () => pki.client('a', { ou: 'payments' }), bad: () => pki.client('b', { ou: 'marketing' }) },
      { name: 'DNS SAN', mtls: { allowed_dns_sans: ['*.prod.internal'] }, good: () => pki.client('a', { dns: ['api.prod.internal'] }), bad: () => pki.client('b', { dns: ['api.dev.internal'] }) },
      {
        name: 'URI SAN (SPIFFE)',
        mtls: { allowed_uri_sans: ['spiffe://example.org/ns/prod/sa/api'] },
        good: () => pki.client('a', { uri: ['spiffe://example.org/ns/prod/sa/api'] }),
        bad: () => pki.client('b', { uri: ['spiffe://example.org/ns/dev/sa/api'] }),
      },
    ];
    for (const c of cases) {
      it(`${c.name}: allows a match, refuses a mismatch before dialling`, async () => {
        await start(c.mtls);
        const before = backend.connections;
        expect((await tryEcho({ port: proxy!.port, caPem: pki.caPem, cert: await c.good() })).echoed).toBe(true);
        expect(backend.connections).toBe(before + 1);
        await expectRefused(await c.bad(), 'policy');
        const rule = Object.keys(c.mtls)[0]!;
        expect(proxy!.events.find((e) => e.reason === 'policy')?.detail).toContain(`mtls.${rule}`);
      });
    }
  });
});

describe('mtls.mode', () => {
  it('optional: lets a client without a certificate through but refuses an invalid one', async () => {
    await start({ mode: 'optional' });
    expect((await tryEcho({ port: proxy!.port, caPem: pki.caPem })).echoed).toBe(true);
    await expectRefused(await otherPki.client('mallory'), 'untrusted');
  });

  it('disabled: no client certificate is asked for', async () => {
    await start({ mode: 'disabled' });
    expect((await tryEcho({ port: proxy!.port, caPem: pki.caPem })).echoed).toBe(true);
  });
});
