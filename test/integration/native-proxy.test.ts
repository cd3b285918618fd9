/**
 * The native data path (data_path: native) with real TLS on 127.0.0.1: good
 * clients pass bytes both ways, every refusal happens before the backend is
 * dialled, and the admission decision is the core's (same reasons as the JS
 * listener). Certificates from a fresh CA per run.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { serverMaterial, testSpec, tryEcho, type RunningProxy } from '../helpers/proxy-fixture.js';
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

async function start(mtls: Partial<WorkerSpec['mtls']> = {}, extra: Partial<WorkerSpec> = {}, revoked: string[] = []) {
  proxy = await startNativeProxy(testSpec({ backendPort: backend.port, mtls: { mode: 'required', ...mtls }, ...extra }), serverMaterial(server, [pki.caPem]), revoked);
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

describe('native data path: admission', () => {
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

  it('refuses a revoked certificate at handshake time', async () => {
    const cert = await pki.client('revoked');
    await start({}, {}, [cert.record.serial]);
    await expectRefused(cert, 'revoked');
  });

  it('refuses a CN the policy does not allow, before dialling', async () => {
    await start({ allowed_services: ['billing'] });
    expect((await tryEcho({ port: proxy!.port, caPem: pki.caPem, cert: await pki.client('billing') })).echoed).toBe(true);
    await expectRefused(await pki.client('intruder'), 'policy');
  });

  it('refuses a TLS 1.2 client on a TLS 1.3-only listener', async () => {
    await start();
    await expectRefused(await pki.client('alice'), 'tls_handshake', { maxVersion: 'TLSv1.2' });
  });
});
