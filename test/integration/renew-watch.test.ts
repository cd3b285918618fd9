/**
 * `tlsmcp renew --watch` beside a running `tlsmcp run`, with short lifetimes:
 * it replaces the server certificate of a server-mode service and the client
 * certificate of a client-mode service, logs each step, keeps the old ones
 * valid (overlap), new connections get the new certificates without a
 * restart, and connections opened before the swap stay up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CertView } from '../../src/ca/index.js';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { CLI_BIN, runCli } from '../helpers/cli.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { tlsConnect } from '../helpers/proxy-fixture.js';
import { eventWithin, waitFor } from '../helpers/proxy-wait.js';
import { startTlsmcpRun, type RunningTlsmcp } from '../helpers/tlsmcp-run.js';

let pki: TestPki;
let backend: CountingBackend;
const children: ChildProcess[] = [];
const sockets: Socket[] = [];
let run: RunningTlsmcp | undefined;

beforeEach(async () => {
  pki = await createTestPki();
  backend = await startEchoBackend();
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await run?.stop();
  run = undefined;
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await eventWithin(child, 'exit', 5_000);
    }
  }
  await backend.close();
  pki.cleanup();
});

function start(args: string[]): { child: ChildProcess; stderr: () => string } {
  let stderr = '';
  const child = spawn(process.execPath, [CLI_BIN, '--state', pki.stateDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TLSMCP_HOME: '' } });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  children.push(child);
  return { child, stderr: () => stderr };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Sends `text` and waits for the echo: proves the connection is up end to end. */
async function echo(socket: Socket, text: string): Promise<void> {
  let got = '';
  const onData = (d: Buffer) => (got += d.toString());
  socket.on('data', onData);
  socket.write(text);
  await waitFor(() => got.includes(text), { timeoutMs: 5_000, what: `the echo of ${text}` });
  socket.off('data', onData);
}

async function serverSerial(port: number): Promise<{ socket: TLSSocket; serial: string }> {
  const socket = tlsConnect({ port, caPem: pki.caPem, cert: await pki.client('web') });
  sockets.push(socket);
  await eventWithin(socket, 'secureConnect', 5_000);
  return { socket, serial: socket.getPeerCertificate().serialNumber.toLowerCase() };
}

async function plain(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  sockets.push(socket);
  await eventWithin(socket, 'connect', 5_000);
  return socket;
}

async function inventory(): Promise<CertView[]> {
  const res = await runCli(['--state', pki.stateDir, 'cert', 'list', '--json']);
  return (JSON.parse(res.stdout) as { certs: CertView[] }).certs;
}

describe('tlsmcp renew --watch', () => {
  it('replaces a server and a client certificate with overlap; the swap reaches new connections of a running tlsmcp run and live ones stay up', { timeout: 180_000 }, async () => {
    const apiPort = await freePort();
    const edgePort = await freePort();
    run = await startTlsmcpRun({
      dir: pki.dir,
      stateDir: pki.stateDir,
      config: [
        'admin: { address: "127.0.0.1:0" }',
        'server_cert: { ttl: 24s, renew_before: 16s, auto_renew: false, overlap: 1h }',
        'client_cert: { default_ttl: 24s, min_ttl: 1s, renew_before: 16s, overlap: 1h }',
        'services:',
        '  - name: api',
        `    listen: "127.0.0.1:${apiPort}"`,
        `    backend: "127.0.0.1:${backend.port}"`,
        '  - name: edge',
        '    mode: client',
        `    listen: "127.0.0.1:${edgePort}"`,
        `    backend: { address: "127.0.0.1:${apiPort}", tls: { server_name: localhost } }`,
      ],
    });
    const config = join(pki.dir, 'tlsmcp.yaml');

    const before = await inventory();
    const oldServer = before.find((c) => c.type === 'server' && c.service === 'api')!;
    const oldClient = before.find((c) => c.type === 'client' && c.service === 'edge')!;
    const direct = await serverSerial(apiPort);
    expect(direct.serial).toBe(oldServer.serial);
    await echo(direct.socket, 'direct-before');
    const tunnel = await plain(edgePort);
    await echo(tunnel, 'tunnel-before');

    const renew = start(['--config', config, 'renew', '--watch', '--interval', '500ms']);
    await waitFor(() => (renew.stderr().match(/Overlap: 1h/g) ?? []).length >= 2, { timeoutMs: 60_000, what: 'two renewals' });
    const log = renew.stderr();
    for (const step of ['Checking cert', 'Requesting renewal', 'New cert issued', 'Validation OK', 'Active for new conns (tlsmcp pid', 'Overlap: 1h (old still valid']) expect(log).toContain(step);

    const after = await inventory();
    const newServer = after.find((c) => c.renewed_from === oldServer.id)!;
    const newClient = after.find((c) => c.renewed_from === oldClient.id)!;
    expect(newServer).toBeDefined();
    expect(newClient).toBeDefined();
    // Overlap: the old ones stay valid.
    expect(after.find((c) => c.id === oldServer.id)!.revoked).toBeUndefined();
    expect(after.find((c) => c.id === oldClient.id)!.revoked).toBeUndefined();

    // New connections get the new server certificate, without a restart.
    await waitFor(async () => (await serverSerial(apiPort)).serial === newServer.serial, { timeoutMs: 10_000, what: 'the new server certificate on new connections' });
    // Connections opened before the swap are still up, both ways.
    await echo(direct.socket, 'direct-after');
    await echo(tunnel, 'tunnel-after');

    // The client-mode service now presents the new client certificate: with
    // the old one revoked, new tunnels still get through.
    expect((await runCli(['--state', pki.stateDir, 'cert', 'revoke', oldClient.id])).code).toBe(0);
    await waitFor(async () => {
      const t = await plain(edgePort);
      try {
        await echo(t, 'tunnel-new');
        return true;
      } catch {
        return false;
      } finally {
        t.destroy();
      }
    }, { timeoutMs: 15_000, what: 'a new tunnel with the new client certificate' });
    expect(run.child.exitCode).toBeNull();
  });

  it('renew with nothing due reports ok per service and renews nothing (--once --json)', { timeout: 60_000 }, async () => {
    const config = join(pki.dir, 'tlsmcp.yaml');
    writeFileSync(config, `services:\n  - name: api\n    listen: "127.0.0.1:0"\n    backend: "127.0.0.1:${backend.port}"\n`);
    await pki.server({ service: 'api', ttlMs: 60 * 86_400_000 });
    const res = await runCli(['--state', pki.stateDir, '--config', config, 'renew', '--once', '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout), res.stdout).toEqual({ outcomes: [expect.objectContaining({ service: 'api', result: 'ok' })] });
  });
});
