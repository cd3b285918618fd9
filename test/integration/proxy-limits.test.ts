/**
 * Forwarding behaviour and limits of the server-mode listener: half-close
 * passed through, max_connections refused cleanly, idle_timeout, a dead
 * backend, and the health check refusing clients at once while it is down.
 */
import { spawn } from 'node:child_process';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { serverMaterial, startProxy, testSpec, tlsConnect, tryEcho, type RunningProxy } from '../helpers/proxy-fixture.js';
import { eventWithin, waitFor } from '../helpers/proxy-wait.js';
import type { IssueResult } from '../../src/ca/types.js';
import type { WorkerSpec } from '../../src/protocol/messages.js';

let pki: TestPki;
let server: IssueResult;
let alice: IssueResult;
let backend: CountingBackend;
let proxy: RunningProxy | undefined;

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
  await proxy?.service.drain(0);
  proxy = undefined;
});

const start = async (overrides: Partial<WorkerSpec> = {}, backendPort = backend.port) => {
  proxy = await startProxy(testSpec({ backendPort, ...overrides }), serverMaterial(server, [pki.caPem]));
  return proxy;
};

async function openEchoing(port: number) {
  const socket = tlsConnect({ port, caPem: pki.caPem, cert: alice });
  socket.on('error', () => undefined);
  await eventWithin(socket, 'secureConnect', 5_000);
  socket.write('x');
  await eventWithin(socket, 'data', 5_000);
  return socket;
}

describe('forwarding and limits', () => {
  it('passes a half-close through: the client ends its side and still reads the reply', async () => {
    const { port } = await start();
    const socket = tlsConnect({ port, caPem: pki.caPem, cert: alice });
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString()));
    await eventWithin(socket, 'secureConnect', 5_000);
    socket.end('last words');
    await eventWithin(socket, 'end', 5_000);
    expect(data).toBe('last words');
  });

  it('refuses connections beyond limits.max_connections instead of queueing them', async () => {
    const { port } = await start({ limits: { ...testSpec({ backendPort: 0 }).limits, max_connections: 1 } });
    const held = await openEchoing(port);
    const before = backend.connections;
    expect((await tryEcho({ port, caPem: pki.caPem, cert: alice })).echoed).toBe(false);
    expect(backend.connections).toBe(before);
    await waitFor(() => proxy!.service.stats().rejected_by_reason.max_connections === 1, { what: 'a max_connections refusal' });
    held.destroy();
  });

  it('cuts a connection idle for limits.idle_timeout', async () => {
    const { port } = await start({ limits: { ...testSpec({ backendPort: 0 }).limits, idle_timeout: 200 } });
    const socket = await openEchoing(port);
    await eventWithin(socket, 'close', 5_000);
  });

  it('closes the client when the backend refuses, and records the dial failure', async () => {
    const dead = createServer();
    dead.listen(0, '127.0.0.1');
    await once(dead, 'listening');
    const deadPort = (dead.address() as AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const { port } = await start({}, deadPort);
    expect((await tryEcho({ port, caPem: pki.caPem, cert: alice })).echoed).toBe(false);
    await waitFor(() => proxy!.events.find((e) => e.reason === 'backend_dial_failed'), { what: 'a dial failure event' });
  });

  it('gives up on a backend that never answers after limits.dial_timeout, and closes the client', async () => {
    // A stopped process's listener with a full accept queue: the kernel drops
    // further SYNs, so a dial neither succeeds nor fails until our timeout.
    const child = spawn(process.execPath, ['-e', "const s=require('net').createServer();s.listen({host:'127.0.0.1',port:0,backlog:1},()=>console.log(s.address().port))"], { stdio: ['ignore', 'pipe', 'ignore'] });
    const fillers: Socket[] = [];
    try {
      const [line] = (await eventWithin(child.stdout!, 'data', 10_000)) as [Buffer];
      const silentPort = Number(line.toString().trim());
      child.kill('SIGSTOP');
      for (let i = 0; i < 3; i++) {
        const filler = connect(silentPort, '127.0.0.1');
        filler.on('error', () => undefined);
        fillers.push(filler);
      }
      // backlog 1 admits two pending connections; the third already hangs.
      await Promise.all([eventWithin(fillers[0]!, 'connect', 5_000), eventWithin(fillers[1]!, 'connect', 5_000)]);
      const { port } = await start({ limits: { ...testSpec({ backendPort: silentPort }).limits, dial_timeout: 300 } }, silentPort);
      expect((await tryEcho({ port, caPem: pki.caPem, cert: alice })).echoed).toBe(false);
      const failure = await waitFor(() => proxy!.events.find((e) => e.reason === 'backend_dial_failed'), { what: 'a dial failure event' });
      expect(failure.detail).toMatch(/did not answer within limits\.dial_timeout/);
    } finally {
      for (const f of fillers) f.destroy();
      child.kill('SIGKILL');
    }
  });

  it('while the health check says the backend is down, refuses clients at once', async () => {
    const { port, service } = await start();
    service.setBackendReady(false);
    const before = backend.connections;
    expect((await tryEcho({ port, caPem: pki.caPem, cert: alice })).echoed).toBe(false);
    expect(backend.connections).toBe(before);
    expect(service.stats().rejected_by_reason.backend_unavailable).toBe(1);
    service.setBackendReady(true);
    expect((await tryEcho({ port, caPem: pki.caPem, cert: alice })).echoed).toBe(true);
  });

  it('listen.protocol tls12 lets a TLS 1.2 client in; ciphersuites pins the TLS 1.3 suite', async () => {
    const { port } = await start({ protocol: 'tls12' });
    expect((await tryEcho({ port, caPem: pki.caPem, cert: alice, maxVersion: 'TLSv1.2' })).echoed).toBe(true);
    await proxy!.service.drain(0);
    const pinned = await start({ ciphersuites: 'TLS_CHACHA20_POLY1305_SHA256' });
    const socket = tlsConnect({ port: pinned.port, caPem: pki.caPem, cert: alice });
    socket.on('error', () => undefined);
    await eventWithin(socket, 'secureConnect', 5_000);
    expect(socket.getCipher().standardName).toBe('TLS_CHACHA20_POLY1305_SHA256');
    expect(socket.getProtocol()).toBe('TLSv1.3');
    socket.destroy();
  });

  it('drain stops accepting, lets a live connection finish, and cuts it at the deadline', async () => {
    const { port, service } = await start();
    const socket = await openEchoing(port);
    const drained = service.drain(300);
    socket.write('still here');
    const [data] = (await eventWithin(socket, 'data', 5_000)) as [Buffer];
    expect(data.toString()).toBe('still here');
    expect(await drained).toBe(1); // cut at the deadline
    await eventWithin(socket, 'close', 5_000);
    proxy = undefined;
  });
});
