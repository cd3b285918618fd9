/**
 * `server_cert.provider: letsencrypt` against Debian's Pebble (a test ACME
 * CA) with pebble-challtestsrv as its DNS (every name is 127.0.0.1), all on
 * loopback: `tlsmcp run` obtains the listener's certificate by HTTP-01, serves
 * it (issued by Pebble's CA, verified against Pebble's roots), and renews it
 * `renew_before` ahead of expiry without dropping a live connection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { runCli } from '../helpers/cli.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { writeCertFiles } from '../helpers/proxy-foreign.js';
import { eventWithin, waitFor } from '../helpers/proxy-wait.js';
import { startTlsmcpRun, type RunningTlsmcp } from '../helpers/tlsmcp-run.js';

const HAVE_PEBBLE = existsSync('/usr/bin/pebble') && existsSync('/usr/bin/pebble-challtestsrv');
const DOMAIN = 'api.example.test';

let pki: TestPki;
let backend: CountingBackend;
const children: ChildProcess[] = [];
const sockets: TLSSocket[] = [];
let tlsmcp: RunningTlsmcp | undefined;

beforeEach(async () => {
  pki = await createTestPki();
  backend = await startEchoBackend();
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await tlsmcp?.stop();
  tlsmcp = undefined;
  for (const child of children.splice(0).reverse()) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await eventWithin(child, 'exit', 5_000);
    }
  }
  await backend.close();
  pki.cleanup();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function start(command: string, args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TLSMCP_HOME: '', ...env } });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  children.push(child);
  return { child, output: () => output };
}

function httpsGet(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Pebble (challtestsrv as its DNS) and `tlsmcp run` with one ACME service answering `challenge`; the first certificate served. */
async function startScenario(challenge: 'http-01' | 'tls-alpn-01') {
  const [dirPort, mgmtPort, dnsPort, challMgmtPort, httpPort, listenPort] = await Promise.all(Array.from({ length: 6 }, () => freePort()));
  // Pebble's own HTTPS listener gets a certificate the project issues.
  const pebbleTls = writeCertFiles(pki.dir, 'pebble', await pki.server());
  const caFile = join(pki.dir, 'tlsmcp-ca.pem');
  writeFileSync(caFile, pki.caPem);
  const pebbleConfig = join(pki.dir, 'pebble.json');
  writeFileSync(pebbleConfig, JSON.stringify({
    pebble: {
      listenAddress: `127.0.0.1:${dirPort}`,
      managementListenAddress: `127.0.0.1:${mgmtPort}`,
      certificate: pebbleTls.cert,
      privateKey: pebbleTls.key,
      httpPort,
      tlsPort: challenge === 'tls-alpn-01' ? listenPort : 5001,
      ocspResponderURL: '',
      externalAccountBindingRequired: false,
      certificateValidityPeriod: 45,
    },
  }));
  const dns = start('pebble-challtestsrv', ['-dns01', `127.0.0.1:${dnsPort}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-management', `127.0.0.1:${challMgmtPort}`, '-defaultIPv4', '127.0.0.1', '-defaultIPv6', '']);
  await waitFor(() => dns.output().includes('Starting') || dns.output().includes('listening'), { timeoutMs: 10_000, what: 'pebble-challtestsrv' }).catch(() => undefined);
  const pebble = start('pebble', ['-config', pebbleConfig, '-dnsserver', `127.0.0.1:${dnsPort}`], { PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' });
  await waitFor(async () => {
    if (pebble.child.exitCode !== null) throw new Error(`pebble exited:\n${pebble.output()}`);
    return httpsGet(`https://127.0.0.1:${dirPort}/dir`, pki.caPem).then(() => true, () => false);
  }, { timeoutMs: 15_000, what: 'the Pebble directory' });

  const config = join(pki.dir, 'tlsmcp.yaml');
  const lines = [
    'admin: { address: "127.0.0.1:0" }',
    'services:',
    '  - name: api',
    `    listen: "127.0.0.1:${listenPort}"`,
    `    backend: "127.0.0.1:${backend.port}"`,
    '    server_cert:',
    '      provider: letsencrypt',
    `      domains: [${DOMAIN}]`,
    '      renew_before: 30s',
    `      acme: { directory_url: "https://127.0.0.1:${dirPort}/dir", ca_file: "${caFile}", challenge: ${challenge}, http_port: ${httpPort}, retry_delay: 1s }`,
  ];
  const run = await startTlsmcpRun({ dir: pki.dir, stateDir: pki.stateDir, config: lines, args: ['--log-level', 'info'] });
  tlsmcp = run;

  const roots = (await httpsGet(`https://127.0.0.1:${mgmtPort}/roots/0`, pki.caPem)) + (await httpsGet(`https://127.0.0.1:${mgmtPort}/intermediates/0`, pki.caPem));
  const client = await pki.client('web');
  const open = async () => {
    const socket = connect({ host: '127.0.0.1', port: listenPort, servername: DOMAIN, ca: roots, cert: client.certPem, key: client.keyPem });
    sockets.push(socket);
    await eventWithin(socket, 'secureConnect', 10_000);
    return socket;
  };
  const echo = async (socket: TLSSocket, text: string) => {
    let got = '';
    const onData = (d: Buffer) => (got += d.toString());
    socket.on('data', onData);
    socket.write(text);
    await waitFor(() => got.includes(text), { timeoutMs: 5_000, what: `echo ${text}` });
    socket.off('data', onData);
  };

  const status = async () => JSON.parse((await runCli(['--state', pki.stateDir, '--config', config, 'status', '--json'])).stdout) as { acme: { service: string; failures: number; not_after: string; next_attempt: string }[] };
  return { run, pebble, config, open, echo, status };
}

describe.skipIf(!HAVE_PEBBLE)('ACME with Pebble', () => {
  it('tlsmcp run obtains a certificate by HTTP-01, serves it, and renews it before renew_before without dropping a live connection', { timeout: 240_000 }, async () => {
    const { run, pebble, config, open, echo, status } = await startScenario('http-01');
    // Served, verified against Pebble's roots for the ACME domain (the connect above verifies).
    const first = await open();
    const firstCert = first.getPeerCertificate();
    expect(first.authorized).toBe(true);
    expect(firstCert.issuer.CN).toMatch(/Pebble/i);
    expect(firstCert.subjectaltname).toContain(`DNS:${DOMAIN}`);
    await echo(first, 'before');
    expect(run.stderr()).toContain('answering http-01 for api.example.test');
    expect(statSync(join(pki.stateDir, 'acme', 'account.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(pki.stateDir, 'acme', 'api', 'key.pem')).mode & 0o777).toBe(0o600);

    // 45 s certificates renewed 30 s ahead: a new serial on new connections, the live one unharmed.
    await waitFor(async () => {
      const s = await open();
      const serial = s.getPeerCertificate().serialNumber;
      s.destroy();
      return serial !== firstCert.serialNumber;
    }, { timeoutMs: 60_000, what: 'the renewed ACME certificate on new connections' }).catch((err: Error) => {
      throw new Error(`${err.message}\n${run.stderr()}`);
    });
    await waitFor(() => run.stderr().includes('acme_renewed') || run.stderr().includes('acme_renew_failed'), { timeoutMs: 15_000, what: 'the renewal log' });
    expect(run.stderr()).toContain('ACME certificate renewed and active for new connections');
    expect(run.stderr()).not.toContain('acme_renew_failed');
    await echo(first, 'after');
    expect(run.child.exitCode).toBeNull();
    await waitFor(async () => (await status()).acme?.[0]?.failures === 0, { timeoutMs: 10_000, what: 'the ACME state in tlsmcp status' });

    // With the CA gone, the next renewal fails and is retried with backoff; status says so.
    pebble.child.kill('SIGKILL');
    await waitFor(() => run.stderr().includes('"event":"acme_renew_failed"'), { timeoutMs: 90_000, what: 'a failed renewal' });
    const failing = await waitFor(async () => {
      const a = (await status()).acme?.[0];
      return a && a.failures >= 1 && a;
    }, { timeoutMs: 10_000, what: 'the failure in tlsmcp status' });
    // When the retry is due is a moment in time (no wall-clock assertion: a loaded machine reads status late).
    expect(Number.isFinite(Date.parse(failing.next_attempt))).toBe(true);
    expect(run.stderr()).toMatch(/ACME renewal failed \(attempt 1\); retrying in 1s/);

    // /health names the failing service and its last error; the metrics count the failures and give the next retry.
    const admin = JSON.parse((await runCli(['--state', pki.stateDir, '--config', config, 'status', '--json'])).stdout) as { admin: string };
    const health = (await (await fetch(`${admin.admin}/health`)).json()) as { status: string; acme_failures?: { service: string; failures: number; last_error: string }[] };
    expect(health.status).toBe('degraded');
    expect(health.acme_failures?.[0]?.service).toBe('api');
    expect(health.acme_failures?.[0]?.last_error).toBeTruthy();
    const metrics = await (await fetch(`${admin.admin}/metrics`)).text();
    expect(Number(/^tlsmcp_acme_failures_total\{service="api"\} (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(/^tlsmcp_acme_next_retry_timestamp_seconds\{service="api"\} ([\d.e+]+)/m.exec(metrics)?.[1]) * 1000).toBeGreaterThan(Date.now() - 5_000);
  });

  it('tlsmcp run obtains a certificate by TLS-ALPN-01 on the service port, serves it, and renews it on its live mTLS listener', { timeout: 240_000 }, async () => {
    const { run, open, echo } = await startScenario('tls-alpn-01');
    const first = await open();
    const firstCert = first.getPeerCertificate();
    expect(first.authorized).toBe(true);
    expect(firstCert.issuer.CN).toMatch(/Pebble/i);
    expect(firstCert.subjectaltname).toContain(`DNS:${DOMAIN}`);
    await echo(first, 'before');
    expect(run.stderr()).toContain('answering tls-alpn-01 for api.example.test');

    // The renewal's challenge is answered by the running listener (acme-tls/1), beside the live connection.
    await waitFor(async () => {
      const s = await open();
      const serial = s.getPeerCertificate().serialNumber;
      s.destroy();
      return serial !== firstCert.serialNumber;
    }, { timeoutMs: 60_000, what: 'the certificate renewed by TLS-ALPN-01 on new connections' }).catch((err: Error) => {
      throw new Error(`${err.message}\n${run.stderr()}`);
    });
    await waitFor(() => run.stderr().includes('acme_renewed') || run.stderr().includes('acme_renew_failed'), { timeoutMs: 15_000, what: 'the renewal log' });
    expect(run.stderr()).not.toContain('acme_renew_failed');
    expect(run.stderr()).toContain('"event":"acme_challenge_answered"');
    await echo(first, 'after');
  });
});
