/**
 * Client mode says why the remote was never reached: a refused client
 * certificate (TLS 1.3: an alert read after the handshake), an untrusted
 * server, a name mismatch and a dial error each give a log line with the
 * reason, a `rejected` audit event and a `rejected_by_reason` count (the
 * tlsmcp_rejections_total label), and the local connection is closed at once.
 * The remote is a real tlsmcp server-mode listener in front of an echo backend.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, connect as netConnect, type Server } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { serverMaterial, startProxy, testSpec, type RunningProxy } from '../helpers/proxy-fixture.js';
import { eventWithin, waitFor } from '../helpers/proxy-wait.js';
import { createLogger } from '../../src/logger.js';
import { createRevocationFeed } from '../../src/core/revocation.js';
import { createProxyService, type ProxyService } from '../../src/proxy/proxy-service.js';
import type { ConnectionEvent, TlsMaterial, WorkerSpec } from '../../src/protocol/messages.js';
import type { IssueResult } from '../../src/ca/types.js';

let pki: TestPki;
let otherPki: TestPki;
let alice: IssueResult;
let backend: CountingBackend;
let remote: RunningProxy;
let client: { service: ProxyService; port: number; events: ConnectionEvent[]; logs: Record<string, unknown>[] } | undefined;

beforeAll(async () => {
  [pki, otherPki] = await Promise.all([createTestPki(), createTestPki()]);
  alice = await pki.client('alice');
  backend = await startEchoBackend();
  remote = await startProxy(testSpec({ backendPort: backend.port, mtls: { mode: 'required' } }), serverMaterial(await pki.server(), [pki.caPem]));
});

afterEach(async () => {
  await client?.service.drain(0);
  client = undefined;
});

afterAll(async () => {
  await remote.service.drain(0);
  await backend.close();
  pki.cleanup();
  otherPki.cleanup();
});

async function startClient(overrides: Partial<WorkerSpec>, material: TlsMaterial) {
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const events: ConnectionEvent[] = [];
  const spec = testSpec({ backendPort: remote.port, mode: 'client', server_name: 'localhost', ...overrides });
  const service = createProxyService({ spec, material, revocations: createRevocationFeed([]), logger: createLogger({ level: 'warn', destination }), onEvent: (e) => events.push(e) });
  const { port } = await service.listen();
  client = { service, port, events, logs };
  return client;
}

/** A local client writes and must see its connection closed (long before idle_timeout) with nothing echoed. */
async function expectClosedWithReason(reason: string, detail: RegExp) {
  const before = backend.connections;
  const local = netConnect({ host: '127.0.0.1', port: client!.port });
  let echoed = '';
  local.on('data', (d: Buffer) => (echoed += d.toString()));
  local.on('error', () => undefined);
  local.write('ping');
  await eventWithin(local, 'close', 10_000);
  expect(echoed).toBe('');
  expect(backend.connections).toBe(before);
  const event = await waitFor(() => client!.events.find((e) => e.result !== 'accepted' || e.reason), { what: 'the connection event' });
  expect(event).toMatchObject({ result: 'rejected', reason });
  expect(event.detail).toMatch(detail);
  expect(client!.service.stats().rejected_by_reason[reason]).toBe(1);
  expect(client!.service.stats().accepted).toBe(0);
  const line = await waitFor(() => client!.logs.find((l) => l.reason === reason), { what: `a log line with reason ${reason}` });
  expect(line).toMatchObject({ level: 'warn', service: 'test' });
  expect(String(line.msg)).toMatch(detail);
}

describe('client mode: upstream failures are named', () => {
  it('sanity: a trusted client certificate is echoed through and accepted', async () => {
    await startClient({}, serverMaterial(alice, [pki.caPem]));
    const local = netConnect({ host: '127.0.0.1', port: client!.port });
    let echoed = '';
    local.on('data', (d: Buffer) => {
      echoed += d.toString();
      if (echoed === 'ping') local.end();
    });
    local.write('ping');
    await eventWithin(local, 'close', 10_000);
    expect(echoed).toBe('ping');
    const event = await waitFor(() => client!.events[0], { what: 'the connection event' });
    expect(event.result).toBe('accepted');
  });

  it('a client certificate a tlsmcp remote refuses (closed after the handshake, no alert)', async () => {
    await startClient({}, serverMaterial(await otherPki.client('mallory'), [pki.caPem]));
    await expectClosedWithReason('remote_refused_certificate', /refused our client certificate/);
  });

  it('a client certificate refused by a TLS 1.3 alert read after the handshake (openssl s_server -Verify)', async () => {
    const server = await pki.server();
    writeFileSync(join(pki.dir, 's.pem'), server.certPem);
    writeFileSync(join(pki.dir, 's.key'), server.keyPem!, { mode: 0o600 });
    writeFileSync(join(pki.dir, 'ca.pem'), pki.caPem);
    const port = await freePort();
    const sServer: ChildProcess = spawn('openssl', ['s_server', '-quiet', '-tls1_3', '-Verify', '1', '-verify_return_error', '-CAfile', join(pki.dir, 'ca.pem'), '-cert', join(pki.dir, 's.pem'), '-key', join(pki.dir, 's.key'), '-accept', `127.0.0.1:${port}`], { stdio: 'ignore' });
    try {
      await waitFor(() => new Promise<boolean>((resolve) => {
        const probe = netConnect({ host: '127.0.0.1', port }, () => { probe.destroy(); resolve(true); });
        probe.on('error', () => resolve(false));
      }), { what: 'openssl s_server to listen' });
      await startClient({ backend: { host: '127.0.0.1', port } }, serverMaterial(await otherPki.client('mallory'), [pki.caPem]));
      await expectClosedWithReason('remote_refused_certificate', /refused our client certificate \(ERR_SSL_TLSV1_ALERT_UNKNOWN_CA\)/);
    } finally {
      sServer.kill();
    }
  });

  it('a remote whose certificate we do not trust', async () => {
    await startClient({}, serverMaterial(alice, [otherPki.caPem]));
    await expectClosedWithReason('remote_untrusted', /do not trust/);
  });

  it('a remote certificate for another name', async () => {
    await startClient({ server_name: 'elsewhere.example' }, serverMaterial(alice, [pki.caPem]));
    await expectClosedWithReason('remote_name_mismatch', /another name/);
  });

  it('a remote that cannot be dialled', async () => {
    const closedPort = await freePort();
    await startClient({ backend: { host: '127.0.0.1', port: closedPort } }, serverMaterial(alice, [pki.caPem]));
    await expectClosedWithReason('remote_dial_failed', /unreachable: ECONNREFUSED/);
  });
});

/** A port nothing listens on (bound, read, closed). */
function freePort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const s: Server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
