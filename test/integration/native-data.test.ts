/**
 * The native data path moving bytes: a foreign client (openssl s_client), a
 * 50 MB transfer checked by hash both ways, half-close, a revocation cutting a
 * live connection, silent sockets freed at handshake_timeout, a reload that
 * swaps the server certificate for new connections only, and max_connections.
 * Real TLS on 127.0.0.1 against an echo backend that counts its connections.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { closed, serverMaterial, testSpec, tlsConnect, tryEcho, type RunningProxy } from '../helpers/proxy-fixture.js';
import { writeCertFiles } from '../helpers/proxy-foreign.js';
import { waitFor } from '../helpers/proxy-wait.js';
import { startNativeProxy } from '../helpers/native-fixture.js';
import type { IssueResult } from '../../src/ca/types.js';
import type { WorkerSpec } from '../../src/protocol/messages.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';

let pki: TestPki;
let server: IssueResult;
let alice: IssueResult;
let backend: CountingBackend;
let proxy: RunningProxy | undefined;
const open: TLSSocket[] = [];

beforeAll(async () => {
  pki = await createTestPki();
  [server, alice] = await Promise.all([pki.server(), pki.client('alice')]);
  backend = await startEchoBackend();
});

afterAll(async () => {
  await backend.close();
  pki.cleanup();
});

afterEach(async () => {
  for (const s of open.splice(0)) s.destroy();
  await proxy?.service.drain(0);
  proxy = undefined;
});

async function start(limits: Partial<WorkerSpec['limits']> = {}) {
  const base = testSpec({ backendPort: backend.port });
  proxy = await startNativeProxy({ ...base, limits: { ...base.limits, ...limits } }, serverMaterial(server, [pki.caPem]));
  return proxy;
}

/** A connected, admitted client (its first echo came back). */
async function liveClient(): Promise<TLSSocket> {
  const socket = tlsConnect({ port: proxy!.port, caPem: pki.caPem, cert: alice });
  open.push(socket);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => socket.write('hi'));
    socket.once('data', () => resolve());
    socket.once('close', () => reject(new Error('closed before the echo')));
  });
  return socket;
}

describe('native data path: forwarding', () => {
  it('openssl s_client with a client certificate gets its bytes echoed through', async () => {
    await start();
    const files = writeCertFiles(pki.dir, 'alice', alice);
    const caFile = join(pki.dir, 'ca.pem');
    writeFileSync(caFile, pki.caPem);
    // -quiet keeps the connection open after stdin ends: read until the echo, then end the client.
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${proxy!.port}`, '-servername', 'localhost', '-CAfile', caFile, '-cert', files.cert, '-key', files.key, '-quiet'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.write('hello-native\n');
    try {
      await waitFor(() => out.includes('hello-native'), { what: 'the echo through s_client' });
    } finally {
      child.kill();
    }
    await waitFor(() => proxy!.events.some((e) => e.result === 'accepted' && e.peer_cn === 'alice'), { what: 'the accepted event' });
  });

  it('carries 50 MB intact both ways (sha256) and half-closes: the client ends, the backend finishes and ends', async () => {
    await start();
    const payload = randomBytes(50 * 1024 * 1024);
    const socket = tlsConnect({ port: proxy!.port, caPem: pki.caPem, cert: alice });
    open.push(socket);
    const received = createHash('sha256');
    let bytes = 0;
    socket.on('data', (d: Buffer) => {
      received.update(d);
      bytes += d.length;
    });
    const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()));
    socket.once('secureConnect', () => {
      for (let at = 0; at < payload.length; at += 1 << 20) socket.write(payload.subarray(at, at + (1 << 20)));
      socket.end(); // half-close: our close_notify + FIN; the echo still flows back
    });
    await ended;
    expect(bytes).toBe(payload.length);
    expect(received.digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
    const event = await waitFor(() => proxy!.events.find((e) => e.result === 'accepted'), { what: 'the connection event' });
    expect(event.bytes_in).toBe(payload.length);
    expect(event.bytes_out).toBe(payload.length);
    expect(proxy!.service.stats().active).toBe(0);
  }, 60_000);

  it('small records one at a time and back to back all come through (nothing left in the read-ahead buffer)', async () => {
    await start();
    const socket = await liveClient();
    let got = '';
    socket.on('data', (d: Buffer) => (got += d.toString()));
    // Sequential round trips of varied small sizes: each one waits for its echo.
    let sent = 'hi';
    for (let i = 0; i < 200; i++) {
      const msg = `${i}:${'x'.repeat(i % 97)};`;
      sent += msg;
      socket.write(msg);
      await waitFor(() => got.length === sent.length - 2, { what: `echo ${i}` });
    }
    // A burst: many records written back to back, so several arrive in one TCP segment.
    for (let i = 0; i < 300; i++) {
      const msg = `b${i}:${'y'.repeat((i * 7) % 300)};`;
      sent += msg;
      socket.write(msg);
    }
    await waitFor(() => got.length === sent.length - 2, { what: 'the whole burst echoed' });
    expect(got).toBe(sent.slice(2));
  });

  it('a revocation cuts a live connection within a second, and its serial leaves live_serials', async () => {
    await start();
    const socket = await liveClient();
    expect(proxy!.service.stats().live_serials).toContain(alice.record.serial);
    const outcome = await proxy!.revocations.add([alice.record.serial]);
    expect(outcome.cut).toEqual({ connections: 1 });
    await waitFor(() => socket.destroyed || socket.readableEnded, { timeoutMs: 1000, what: 'the revoked connection to be cut' });
    await waitFor(() => proxy!.service.stats().live_serials?.length === 0, { timeoutMs: 1000, what: 'live_serials to empty' });
    // The same certificate is refused from now on.
    expect((await tryEcho({ port: proxy!.port, caPem: pki.caPem, cert: alice })).echoed).toBe(false);
  });

  it('frees silent sockets at handshake_timeout (the listener holds nothing afterwards)', async () => {
    await start({ handshake_timeout: 200 });
    const before = backend.connections;
    const raws = Array.from({ length: 5 }, () => netConnect(proxy!.port, '127.0.0.1'));
    for (const raw of raws) raw.on('error', () => undefined).resume();
    await Promise.all(raws.map((raw) => closed(raw)));
    await waitFor(() => proxy!.events.filter((e) => e.reason === 'handshake_timeout').length === 5, { what: 'five handshake_timeout events' });
    expect(backend.connections).toBe(before);
    // A good client still gets through afterwards.
    expect((await tryEcho({ port: proxy!.port, caPem: pki.caPem, cert: alice })).echoed).toBe(true);
  });

  it('still enforces handshake_timeout after an idle spell (the sweep stops with no connection and restarts on accept)', async () => {
    await start({ handshake_timeout: 200 });
    // First a connection, then none: the sweep (every 50 ms here) finds the listener empty and stops.
    expect((await tryEcho({ port: proxy!.port, caPem: pki.caPem, cert: alice })).echoed).toBe(true);
    await waitFor(() => proxy!.service.stats().active === 0, { what: 'the listener to be empty' });
    await new Promise((r) => setTimeout(r, 300)); // several sweep periods with nothing to watch: the condition under test
    const raw = netConnect(proxy!.port, '127.0.0.1');
    raw.on('error', () => undefined).resume();
    await closed(raw);
    await waitFor(() => proxy!.events.some((e) => e.reason === 'handshake_timeout'), { what: 'a handshake_timeout event' });
  });

  it('reload swaps the server certificate for new connections while a live one carries on', async () => {
    await start();
    const live = await liveClient();
    const firstSerial = live.getPeerX509Certificate()!.serialNumber;
    const next = await pki.server();
    proxy!.service.reload(testSpec({ backendPort: backend.port }), serverMaterial(next, [pki.caPem]));
    const fresh = await liveClient();
    expect(fresh.getPeerX509Certificate()!.serialNumber).not.toBe(firstSerial);
    expect(fresh.getPeerX509Certificate()!.serialNumber).toBe(new X509Certificate(next.certPem).serialNumber);
    const echoed = new Promise<string>((resolve) => live.once('data', (d: Buffer) => resolve(d.toString())));
    live.write('still-here');
    expect(await echoed).toBe('still-here');
  });

  it('max_connections: at the cap a new client is refused with nothing forwarded', async () => {
    await start({ max_connections: 2 });
    await liveClient();
    await liveClient();
    const before = backend.connections;
    const third = await tryEcho({ port: proxy!.port, caPem: pki.caPem, cert: alice });
    expect(third.echoed).toBe(false);
    expect(backend.connections).toBe(before);
    expect(proxy!.service.stats().rejected_by_reason.max_connections).toBe(1);
  });
});
