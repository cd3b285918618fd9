/**
 * TLS 1.3 session resumption through the listener, on both data paths (Node's
 * listener and `data_path: native`): tickets survive a certificate reload, are
 * invalidated when the trust anchors change, and a resumed session does not
 * outlive its client certificate nor its revocation.
 */
import { describe, expect, it } from 'vitest';
import { connect, type TLSSocket } from 'node:tls';
import { useProxyTestBed } from '../helpers/proxy-testbed.js';
import { startNativeProxy } from '../helpers/native-fixture.js';
import { serverMaterial, startProxy, testSpec } from '../helpers/proxy-fixture.js';
import { eventWithin, waitFor } from '../helpers/proxy-wait.js';
import type { IssueResult } from '../../src/ca/types.js';

const bed = useProxyTestBed();

/** Connects (offering `session` if given), echoes once, and reports reuse, the echo and the next session. */
async function roundTrip(port: number, cert: IssueResult, session?: Buffer): Promise<{ reused: boolean; echoed: boolean; session: Buffer | undefined }> {
  const socket: TLSSocket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: bed.pki.caPem, cert: cert.certPem, key: cert.keyPem, ...(session ? { session } : {}) });
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
    bed.proxy = await startProxy(testSpec({ backendPort: bed.backend.port }), serverMaterial(bed.server, [bed.pki.caPem]));
    const alice = await bed.pki.client('alice');
    const first = await roundTrip(bed.proxy.port, alice);
    expect(first).toMatchObject({ reused: false, echoed: true });
    expect(first.session).toBeDefined();
    const spec = testSpec({ backendPort: bed.backend.port });
    bed.proxy.service.reload(spec, serverMaterial(await bed.pki.server(), [bed.pki.caPem]));
    const second = await roundTrip(bed.proxy.port, alice, first.session);
    expect(second).toMatchObject({ reused: true, echoed: true });
    expect(bed.proxy.service.reload(spec, serverMaterial(bed.server, [bed.pki.caPem, bed.otherPki.caPem]))).toContain('trust');
    const third = await roundTrip(bed.proxy.port, alice, second.session ?? first.session);
    expect(third).toMatchObject({ reused: false, echoed: true });
  });

  it('refuses a resumed session whose client certificate has expired since (regression: resumption skips OpenSSL’s date check)', async () => {
    bed.proxy = await startProxy(testSpec({ backendPort: bed.backend.port }), serverMaterial(bed.server, [bed.pki.caPem]));
    const shortLived = await bed.pki.client('brief', { ttlMs: 1_500 });
    const first = await roundTrip(bed.proxy.port, shortLived);
    expect(first.echoed).toBe(true);
    const expiresAt = Date.parse(shortLived.record.not_after);
    await waitFor(() => Date.now() > expiresAt + 50, { what: 'the certificate to expire' });
    const before = bed.backend.connections;
    const resumed = await roundTrip(bed.proxy.port, shortLived, first.session);
    expect(resumed).toMatchObject({ reused: true, echoed: false });
    expect(bed.backend.connections).toBe(before);
    expect(bed.proxy.events.at(-1)).toMatchObject({ result: 'rejected', reason: 'expired' });
  });

  it('refuses a resumed session whose client certificate was revoked since', async () => {
    bed.proxy = await startProxy(testSpec({ backendPort: bed.backend.port }), serverMaterial(bed.server, [bed.pki.caPem]));
    const carol = await bed.pki.client('carol');
    const first = await roundTrip(bed.proxy.port, carol);
    expect(first.echoed).toBe(true);
    await bed.proxy.revocations.add([carol.record.serial]);
    const before = bed.backend.connections;
    const resumed = await roundTrip(bed.proxy.port, carol, first.session);
    expect(resumed).toMatchObject({ reused: true, echoed: false });
    expect(bed.backend.connections).toBe(before);
    expect(bed.proxy.events.at(-1)).toMatchObject({ result: 'rejected', reason: 'revoked' });
  });
});
