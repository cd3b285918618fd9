/**
 * TLS 1.3 session resumption through the listener, on both data paths (Node's
 * listener and `data_path: native`): tickets survive a certificate reload, are
 * invalidated when the trust anchors change, and a resumed session does not
 * outlive its client certificate nor its revocation.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type TLSSocket } from 'node:tls';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { startNativeProxy } from '../helpers/native-fixture.js';
import { serverMaterial, startProxy, testSpec, type RunningProxy } from '../helpers/proxy-fixture.js';
import { eventWithin, waitFor } from '../helpers/proxy-wait.js';
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

/** Connects (offering `session` if given), echoes once, and reports reuse, the echo and the next session. */
async function roundTrip(port: number, cert: IssueResult, session?: Buffer): Promise<{ reused: boolean; echoed: boolean; session: Buffer | undefined }> {
  const socket: TLSSocket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caPem, cert: cert.certPem, key: cert.keyPem, ...(session ? { session } : {}) });
  let next: Buffer | undefined;
  socket.on('session', (s: Buffer) => (next = s));
  socket.on('error', () => undefined);
  await eventWithin(socket, 'secureConnect', 5_000);
  const reused = socket.isSessionReused();
  socket.write('ping');
  const echoed = await Promise.race([
    eventWithin(socket, 'data', 5_000).then(() => true),
    eventWithin(socket, 'close', 5_000).then(() => false),
  ]).catch(() => false);
  // The server sends its tickets right after the handshake, ahead of any data: once the echo is in, so are they.
  socket.destroy();
  return { reused, echoed, session: next };
}

describe.each([
  ['js', startProxy],
  ['native', startNativeProxy],
] as const)('session resumption (%s data path)', (_path, startProxy) => {
  it('keeps resuming across a certificate reload, and stops when the trust anchors change', async () => {
    proxy = await startProxy(testSpec({ backendPort: backend.port }), serverMaterial(server, [pki.caPem]));
    const alice = await pki.client('alice');
    const first = await roundTrip(proxy.port, alice);
    expect(first).toMatchObject({ reused: false, echoed: true });
    expect(first.session).toBeDefined();
    const spec = testSpec({ backendPort: backend.port });
    proxy.service.reload(spec, serverMaterial(await pki.server(), [pki.caPem]));
    const second = await roundTrip(proxy.port, alice, first.session);
    expect(second).toMatchObject({ reused: true, echoed: true });
    expect(proxy.service.reload(spec, serverMaterial(server, [pki.caPem, otherPki.caPem]))).toContain('trust');
    const third = await roundTrip(proxy.port, alice, second.session ?? first.session);
    expect(third).toMatchObject({ reused: false, echoed: true });
  });

  it('refuses a resumed session whose client certificate has expired since (regression: resumption skips OpenSSL’s date check)', async () => {
    proxy = await startProxy(testSpec({ backendPort: backend.port }), serverMaterial(server, [pki.caPem]));
    const shortLived = await pki.client('brief', { ttlMs: 1_500 });
    const first = await roundTrip(proxy.port, shortLived);
    expect(first.echoed).toBe(true);
    const expiresAt = Date.parse(shortLived.record.not_after);
    await waitFor(() => Date.now() > expiresAt + 50, { what: 'the certificate to expire' });
    const before = backend.connections;
    const resumed = await roundTrip(proxy.port, shortLived, first.session);
    expect(resumed).toMatchObject({ reused: true, echoed: false });
    expect(backend.connections).toBe(before);
    expect(proxy.events.at(-1)).toMatchObject({ result: 'rejected', reason: 'expired' });
  });

  it('refuses a resumed session whose client certificate was revoked since', async () => {
    proxy = await startProxy(testSpec({ backendPort: backend.port }), serverMaterial(server, [pki.caPem]));
    const carol = await pki.client('carol');
    const first = await roundTrip(proxy.port, carol);
    expect(first.echoed).toBe(true);
    await proxy.revocations.add([carol.record.serial]);
    const before = backend.connections;
    const resumed = await roundTrip(proxy.port, carol, first.session);
    expect(resumed).toMatchObject({ reused: true, echoed: false });
    expect(backend.connections).toBe(before);
    expect(proxy.events.at(-1)).toMatchObject({ result: 'rejected', reason: 'revoked' });
  });
});
