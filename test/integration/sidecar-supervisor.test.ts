/**
 * The supervisor over real worker threads: start, traffic through, revocation
 * cutting a live connection (written by the CA as `tlsmcp cert revoke` would),
 * a crashed worker restarted, reload under concurrent connects, client mode.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startEchoBackend, startEchoBackendOn, type CountingBackend } from '../helpers/proxy-backend.js';
import { tlsConnect, tryEcho } from '../helpers/proxy-fixture.js';
import { sidecarConfig, startSidecar } from '../helpers/proxy-sidecar.js';
import { eventWithin, waitFor, within } from '../helpers/proxy-wait.js';
import { once } from 'node:events';
import type { ProxySupervisor } from '../../src/supervisor/supervisor.js';
import type { AuditLog } from '../../src/state/audit-log.js';
import { createConnection } from 'node:net';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { statePaths } from '../../src/state/state-dir.js';
import { resolveWorkerEntry } from '../../src/supervisor/worker-entry.js';

let pki: TestPki;
let backend: CountingBackend;
let supervisor: ProxySupervisor | undefined;
let auditLog: AuditLog | undefined;

beforeEach(async () => {
  pki = await createTestPki();
  backend = await startEchoBackend();
});

afterEach(async () => {
  await supervisor?.close({ drainMs: 0 });
  await auditLog?.close();
  supervisor = undefined;
  await backend.close();
  pki.cleanup();
});

async function startOne(mtls: Record<string, unknown> = {}) {
  const config = sidecarConfig(pki, [{ name: 'api', listen: '127.0.0.1:0', backend: `127.0.0.1:${backend.port}`, mtls: { mode: 'required', ...mtls } }]);
  ({ supervisor, auditLog } = await startSidecar(pki, config));
  return supervisor.address('api')!.port;
}

describe('supervisor', () => {
  it('starts a worker, forwards traffic with a CA-issued server certificate, audits the connection', async () => {
    const port = await startOne();
    const [status] = supervisor!.status();
    expect(status).toMatchObject({ name: 'api', state: 'ready', certificate: { source: 'ca' } });
    expect((await tryEcho({ port, caPem: pki.caPem, cert: await pki.client('alice') })).echoed).toBe(true);
    await waitFor(() => supervisor!.status()[0]!.connections.accepted === 1, { what: 'accepted count' });
    // Read the file itself: AuditLog.flush() waits for a 'drain' that a short write never emits.
    const auditPath = statePaths(pki.stateDir).auditLog;
    const events = await waitFor(() => {
      const lines = existsSync(auditPath) ? readFileSync(auditPath, 'utf8').split('\n').filter(Boolean) : [];
      const found = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.kind === 'connection');
      return found.length > 0 && found;
    }, { what: 'an audit line' });
    expect(events[0]).toMatchObject({ service: 'api', result: 'accepted', peer_cn: 'alice' });
    expect(events[0]!.fingerprint).toMatch(/^[0-9A-F:]+$/);
    expect(events[0]!.handshake_s).toBeGreaterThan(0);
  });

  it('cuts a live connection within a second when its certificate is revoked in the state dir', async () => {
    const port = await startOne();
    const cert = await pki.client('doomed');
    const socket = tlsConnect({ port, caPem: pki.caPem, cert });
    socket.on('error', () => undefined);
    await eventWithin(socket, 'secureConnect', 5_000);
    socket.write('hold');
    await eventWithin(socket, 'data', 5_000); // forwarding is live
    const closedEvent = once(socket, 'close');
    await pki.ca.revoke(cert.record.id); // rewrites revocations.json, as `tlsmcp cert revoke` does
    // Counted from the moment revocations.json is written.
    await within(closedEvent, 1_500, 'the revoked connection closing');
    // New handshakes with that serial are refused too.
    const before = backend.connections;
    expect((await tryEcho({ port, caPem: pki.caPem, cert })).echoed).toBe(false);
    expect(backend.connections).toBe(before);
  });

  it('reports connections cut by revoke()', async () => {
    const port = await startOne();
    const cert = await pki.client('bob');
    const socket = tlsConnect({ port, caPem: pki.caPem, cert });
    socket.on('error', () => undefined);
    await eventWithin(socket, 'secureConnect', 5_000);
    socket.write('x');
    await eventWithin(socket, 'data', 5_000);
    const results = await supervisor!.revoke([cert.record.serial]);
    expect(results).toEqual([{ serial: cert.record.serial, connections_closed: 1 }]);
  });

  it('restarts a crashed worker with backoff and serves again on the same port', async () => {
    const port = await startOne();
    supervisor!.crashWorker('api');
    await waitFor(() => supervisor!.status()[0]!.worker.restarts === 1 && supervisor!.status()[0]!.state === 'ready', { what: 'worker restart' });
    expect(supervisor!.address('api')!.port).toBe(port);
    expect((await tryEcho({ port, caPem: pki.caPem, cert: await pki.client('alice') })).echoed).toBe(true);
  });

  it('reloads certificates and policy while clients connect in a loop, with zero failures', async () => {
    const port = await startOne();
    const cert = await pki.client('alice');
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    const loop = async () => {
      while (!stop) {
        const r = await tryEcho({ port, caPem: pki.caPem, cert });
        if (r.echoed) ok += 1;
        else failures.push(r.error ?? 'no echo');
      }
    };
    const loops = [loop(), loop(), loop()];
    for (let i = 0; i < 5; i++) {
      const results = await supervisor!.reload();
      expect(results[0]).toMatchObject({ service: 'api', reloaded: true });
      expect(results[0]!.applied).toContain('certificate');
    }
    // A config change: tighten nothing, but a new port is reported, not applied.
    const next = sidecarConfig(pki, [{ name: 'api', listen: '127.0.0.1:1', backend: `127.0.0.1:${backend.port}`, mtls: { mode: 'required', allowed_services: ['alice'] } }]);
    const [res] = await supervisor!.reload({ config: next });
    expect(res!.applied).toContain('policy');
    expect(res!.needs_restart).toEqual(['listen.address']);
    await waitFor(() => ok >= 20, { what: '20 successful connects' });
    stop = true;
    await Promise.all(loops);
    expect(failures).toEqual([]);
  });

  it('data_path: auto serves on the native path, and a reload that moves it to js keeps the listener and says data_path needs a restart', async () => {
    const port = await startOne();
    expect(supervisor!.status()[0]).toMatchObject({ data_path: 'native', state: 'ready' });
    // The PROXY protocol is not the native path's: auto would now pick js.
    const next = sidecarConfig(pki, [{ name: 'api', listen: '127.0.0.1:0', backend: { address: `127.0.0.1:${backend.port}`, proxy_protocol: 'v2' }, mtls: { mode: 'required' } }]);
    const [res] = await supervisor!.reload({ config: next });
    expect(res).toMatchObject({ reloaded: true, needs_restart: ['data_path'] });
    expect(supervisor!.status()[0]).toMatchObject({ data_path: 'native', state: 'ready' });
    expect((await tryEcho({ port, caPem: pki.caPem, cert: await pki.client('alice') })).echoed).toBe(true);
    // A crashed worker comes back on the path the service runs, not half of it on the other.
    supervisor!.crashWorker('api');
    await waitFor(() => supervisor!.status()[0]!.worker.restarts === 1 && supervisor!.status()[0]!.state === 'ready', { what: 'worker restart' });
    expect(supervisor!.status()[0]!.data_path).toBe('native');
  });

  it('data_path: js stays on Node\'s listener with the addon built', async () => {
    const config = sidecarConfig(pki, [{ name: 'api', data_path: 'js', listen: '127.0.0.1:0', backend: `127.0.0.1:${backend.port}`, mtls: { mode: 'required' } }]);
    ({ supervisor, auditLog } = await startSidecar(pki, config));
    expect(supervisor.status()[0]).toMatchObject({ data_path: 'js', state: 'ready' });
  });

  it('client mode: plain TCP in, mTLS to a tlsmcp server service, to the backend', async () => {
    // Server service first, to learn its port; then the client service pointing at it.
    await startOne();
    const serverPort = supervisor!.address('api')!.port;
    const clientSup = await startSidecar(
      pki,
      sidecarConfig(pki, [{ name: 'edge', mode: 'client', listen: '127.0.0.1:0', backend: { address: `127.0.0.1:${serverPort}`, tls: { server_name: 'localhost' } } }]),
    );
    try {
      const port = clientSup.supervisor.address('edge')!.port;
      const before = backend.connections;
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.write('through two hops');
      const [data] = (await eventWithin(socket, 'data', 5_000)) as [Buffer];
      expect(data.toString()).toBe('through two hops');
      socket.end();
      await eventWithin(socket, 'close', 5_000);
      expect(backend.connections).toBe(before + 1);
      await waitFor(() => supervisor!.status()[0]!.connections.accepted >= 1, { what: 'server side accepted' });
    } finally {
      await clientSup.supervisor.close({ drainMs: 0 });
      await clientSup.auditLog.close();
    }
  });
});

describe('supervisor: certificate files and backend health', () => {
  it('swaps in a server certificate rewritten on disk, without a reload call', async () => {
    const files = { cert: join(pki.dir, 'server.crt'), key: join(pki.dir, 'server.key') };
    const first = await pki.server();
    writeFileSync(files.cert, first.certPem);
    writeFileSync(files.key, first.keyPem!);
    const config = sidecarConfig(pki, [{ name: 'api', listen: '127.0.0.1:0', backend: `127.0.0.1:${backend.port}`, server_cert: { cert_file: files.cert, key_file: files.key } }]);
    ({ supervisor, auditLog } = await startSidecar(pki, config));
    const port = supervisor.address('api')!.port;
    const servedSerial = async () => {
      const socket = tlsConnect({ port, caPem: pki.caPem, cert: await pki.client('alice') });
      socket.on('error', () => undefined);
      await eventWithin(socket, 'secureConnect', 5_000);
      const serial = socket.getPeerX509Certificate()!.serialNumber.toLowerCase();
      socket.destroy();
      return serial.replace(/^(00)+/, '');
    };
    expect(await servedSerial()).toBe(first.record.serial);
    const second = await pki.server();
    writeFileSync(files.key, second.keyPem!);
    writeFileSync(files.cert, second.certPem);
    await waitFor(async () => (await servedSerial()) === second.record.serial, { timeoutMs: 10_000, what: 'the new certificate to be served' });
    expect(supervisor.status()[0]!.certificate).toMatchObject({ source: 'config', serial: second.record.serial });
  });

  it('reports not_ready while the backend is down and ready once it is up', async () => {
    const port = backend.port;
    await backend.close();
    const config = sidecarConfig(pki, [{ name: 'api', listen: '127.0.0.1:0', backend: { address: `127.0.0.1:${port}`, health_check: { interval: '100ms', timeout: '100ms' } } }]);
    ({ supervisor, auditLog } = await startSidecar(pki, config));
    await waitFor(() => supervisor!.status()[0]!.state === 'not_ready', { what: 'not_ready' });
    expect(supervisor.status()[0]!.state_reason).toContain('unreachable');
    backend = await startEchoBackendOn(port);
    await waitFor(() => supervisor!.status()[0]!.state === 'ready', { what: 'ready again' });
  });
});

describe('supervisor: renewal and protocols', () => {
  it('renews a CA-issued server certificate server_cert.renew_before ahead of expiry and serves the new one', async () => {
    const config = sidecarConfig(pki, [{ name: 'api', listen: '127.0.0.1:0', backend: `127.0.0.1:${backend.port}`, server_cert: { ttl: '4s', renew_before: '3s' } }]);
    ({ supervisor, auditLog } = await startSidecar(pki, config));
    const first = supervisor.status()[0]!.certificate.serial;
    await waitFor(() => supervisor!.status()[0]!.certificate.serial !== first, { timeoutMs: 10_000, what: 'a renewed certificate' });
    const port = supervisor.address('api')!.port;
    const socket = tlsConnect({ port, caPem: pki.caPem, cert: await pki.client('alice') });
    socket.on('error', () => undefined);
    await eventWithin(socket, 'secureConnect', 5_000);
    expect(socket.getPeerX509Certificate()!.serialNumber.toLowerCase().replace(/^(00)+/, '')).not.toBe(first);
    socket.destroy();
  });

  it('skips a service whose protocol has no worker, with a clear reason, and runs the TCP ones', async () => {
    const config = sidecarConfig(pki, [
      { name: 'api', listen: '127.0.0.1:0', backend: `127.0.0.1:${backend.port}` },
      { name: 'tools', protocol: 'mcp', listen: '127.0.0.1:0', backend: { command: ['node', '--version'] } },
    ]);
    ({ supervisor, auditLog } = await startSidecar(pki, config, { workerEntry: (protocol: string) => (protocol === 'tcp' ? resolveWorkerEntry('tcp') : undefined) }));
    const [api, tools] = supervisor.status();
    expect(api!.state).toBe('ready');
    expect(tools).toMatchObject({ name: 'tools', state: 'stopped' });
    expect(tools!.state_reason).toContain('protocol "mcp"');
  });
});
