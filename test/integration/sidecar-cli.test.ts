/**
 * `tlsmcp run` as a real child process: status and reload from another
 * process through the admin endpoint, the admin routes, and SIGTERM draining a
 * live connection (it can still finish) before exiting 0.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { tlsConnect } from '../helpers/proxy-fixture.js';
import { runProcess } from '../helpers/proxy-foreign.js';
import { eventWithin, waitFor } from '../helpers/proxy-wait.js';
import { startTlsmcpRun, TLSMCP_BIN, type RunningTlsmcp } from '../helpers/tlsmcp-run.js';
import { statePaths } from '../../src/state/state-dir.js';

let pki: TestPki;
let backend: CountingBackend;
let run: RunningTlsmcp | undefined;

beforeEach(async () => {
  pki = await createTestPki();
  backend = await startEchoBackend();
});

afterEach(async () => {
  await run?.stop();
  run = undefined;
  await backend.close();
  pki.cleanup();
});

async function startRun(): Promise<RunningTlsmcp> {
  run = await startTlsmcpRun({
    dir: pki.dir,
    stateDir: pki.stateDir,
    config: ['version: 1', 'admin: { address: "127.0.0.1:0" }', 'logging: { level: info }', 'services:', '  - name: echo', '    listen: "127.0.0.1:0"', `    backend: "127.0.0.1:${backend.port}"`, '    limits: { drain_timeout: 10s }'],
  });
  return run;
}

/** Works whether or not an instance runs (`status` with none). */
const cli = (...args: string[]) => runProcess(process.execPath, [TLSMCP_BIN, '--state', pki.stateDir, ...args]);

describe('tlsmcp run', { timeout: 90_000 }, () => {
  it('answers status, reload and the admin routes while running', async () => {
    const { admin } = await startRun();
    const status = await cli('status', '--json');
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout) as { services: { name: string; state: string; certificate: { source: string } }[] };
    expect(parsed.services[0]).toMatchObject({ name: 'echo', state: 'ready', certificate: { source: 'ca' } });

    const second = await cli('run', '--config', join(pki.dir, 'tlsmcp.yaml'));
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('already running');

    const reload = await cli('reload', '--json');
    expect(reload.code).toBe(0);
    expect(JSON.parse(reload.stdout)).toMatchObject({ results: [{ service: 'echo', reloaded: true }] });

    expect((await fetch(`${admin}/health`)).status).toBe(200);
    expect(await (await fetch(`${admin}/ready`)).json()).toEqual({ ready: true, problems: [] });
    expect(await (await fetch(`${admin}/info`)).json()).toMatchObject({ service: 'tlsmcp', services: [{ name: 'echo', state: 'ready' }] });
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    for (const name of ['tlsmcp_active_connections', 'tlsmcp_cert_expiry_days{service="echo"}', 'tlsmcp_handshake_duration_seconds', 'tlsmcp_revocation_events_total']) {
      expect(metrics).toContain(name);
    }
  });

  it('`tlsmcp cert revoke` in another process cuts a live connection of the running sidecar; SIGHUP reloads', async () => {
    const { port } = await startRun();
    const cert = await pki.client('doomed');
    const socket = tlsConnect({ port, caPem: pki.caPem, cert });
    socket.on('error', () => undefined);
    await eventWithin(socket, 'secureConnect', 5_000);
    socket.write('hold');
    await eventWithin(socket, 'data', 5_000);
    const closed = eventWithin(socket, 'close', 10_000);
    const revoke = await cli('cert', 'revoke', cert.record.id);
    expect(revoke.code).toBe(0);
    await closed;
    await waitFor(() => run!.stderr().includes('"event":"revocation_applied"'), { what: 'the revocation log line' });

    run!.child.kill('SIGHUP');
    await waitFor(() => run!.stderr().includes('"event":"reload_done"'), { what: 'the SIGHUP reload' });
  });

  it('status says clearly when nothing is running', async () => {
    const r = await cli('status');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERR_NOT_RUNNING');
  });

  it('drains on SIGTERM, and a SIGHUP mid-drain does not kill it: a live connection can still finish, then the process exits 0', async () => {
    const { port } = await startRun();
    const socket = tlsConnect({ port, caPem: pki.caPem, cert: await pki.client('alice') });
    socket.on('error', () => undefined);
    await eventWithin(socket, 'secureConnect', 5_000);
    socket.write('before');
    await eventWithin(socket, 'data', 5_000);

    const exited = eventWithin(run!.child, 'exit', 20_000);
    run!.child.kill('SIGTERM');
    await waitFor(() => run!.stderr().includes('draining'), { what: 'the drain log line' });
    // A SIGHUP mid-drain must not kill the process (its default action would).
    run!.child.kill('SIGHUP');
    await waitFor(() => run!.stderr().includes('SIGHUP while draining'), { what: 'the ignored-SIGHUP log line' });
    // New connections are no longer accepted...
    // ...but the live one still carries traffic until it finishes.
    socket.write('after-sigterm');
    const [data] = (await eventWithin(socket, 'data', 5_000)) as [Buffer];
    expect(data.toString()).toBe('after-sigterm');
    socket.end();
    const [code] = await exited;
    expect(code).toBe(0);
    expect(existsSync(statePaths(pki.stateDir).runtimeFile)).toBe(false);
  });
});
