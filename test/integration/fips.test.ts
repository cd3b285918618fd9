/**
 * FIPS: `--fips` and `fips_mode: true` refuse to start on this Node.js (its
 * bundled OpenSSL has no FIPS provider) with ERR_FIPS_UNAVAILABLE and a fix
 * naming how to install one; `tls_profile: fips` restricts a real `tlsmcp run`
 * listener to FIPS-approved algorithms, proven by `tlsmcp scan` (only AES-GCM
 * suites, no ChaCha20, P-256/P-384 key exchange) and by OpenSSL clients that
 * offer only X25519 (refused) or only P-384 (accepted).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FIPS_TLS12_CIPHERS, FIPS_TLS13_SUITES } from '../../src/core/tls-profile.js';
import { scanReportSchema } from '../../src/scan/report-schema.js';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { runProcess, writeCertFiles } from '../helpers/proxy-foreign.js';
import { eventWithin } from '../helpers/proxy-wait.js';
import { runCli } from '../helpers/scan-cli.js';
import { startTlsmcpRun, TLSMCP_BIN, type RunningTlsmcp } from '../helpers/tlsmcp-run.js';

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

/** openssl s_client with one group offered; resolves to its exit code and output. */
async function sClient(port: number, args: string[], files: { cert: string; key: string; ca: string }): Promise<{ code: number; out: string }> {
  const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', files.ca, '-cert', files.cert, '-key', files.key, '-verify_return_error', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  child.stdin.end('Q\n');
  const [code] = (await eventWithin(child, 'exit', 15_000)) as [number];
  return { code, out };
}

describe('FIPS mode', () => {
  it('--fips refuses to start where there is no FIPS provider, naming how to install one', async () => {
    const r = await runProcess(process.execPath, [TLSMCP_BIN, '--state', pki.stateDir, '--fips', 'run']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERR_FIPS_UNAVAILABLE');
    expect(r.stderr).toMatch(/fix: install an OpenSSL 3 FIPS provider/);
    expect(r.stderr).toContain('--openssl-config');
    expect(r.stderr).not.toContain('service_listening');
  });

  it('fips_mode: true in the config refuses the same way (and --json says so as JSON)', async () => {
    const config = join(pki.dir, 'fips.yaml');
    writeFileSync(config, ['version: 1', 'fips_mode: true', 'services:', '  - name: echo', '    listen: "127.0.0.1:0"', `    backend: "127.0.0.1:${backend.port}"`, ''].join('\n'));
    const r = await runProcess(process.execPath, [TLSMCP_BIN, '--state', pki.stateDir, 'run', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERR_FIPS_UNAVAILABLE');
    const json = await runProcess(process.execPath, [TLSMCP_BIN, '--state', pki.stateDir, '--config', config, 'cert', 'list', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'ERR_FIPS_UNAVAILABLE', fix: expect.stringContaining('openssl fipsinstall') as unknown } });
  });
});

describe('tls_profile: fips', () => {
  it('a listener offers only FIPS-approved suites and groups: tlsmcp scan and OpenSSL clients prove it', async () => {
    run = await startTlsmcpRun({
      dir: pki.dir,
      stateDir: pki.stateDir,
      config: [
        'version: 1',
        'admin: { address: "127.0.0.1:0" }',
        'services:',
        '  - name: echo',
        '    listen: { address: "127.0.0.1:0", protocol: tls12, tls_profile: fips }',
        `    backend: "127.0.0.1:${backend.port}"`,
      ],
    });
    const client = writeCertFiles(pki.dir, 'client', await pki.client('scanner'));
    const ca = join(pki.dir, 'ca.pem');
    writeFileSync(ca, pki.caPem);

    const scan = await runCli(['--state', pki.stateDir, 'scan', `127.0.0.1:${run.port}`, '--sni', 'localhost', '--cert', client.cert, '--key', client.key, '--json', '--no-progress', '--probe-timeout', '5s', '--deadline', '120s']);
    expect(scan.code, scan.stderr).toBe(0);
    const report = scanReportSchema.parse(JSON.parse(scan.stdout));
    expect(report.partial).toBe(false);
    const offered = (v: string) => report.protocols.find((p) => p.name === v)?.status;
    expect(offered('TLSv1.3')).toBe('offered');
    expect(offered('TLSv1.2')).toBe('offered');
    for (const old of ['TLSv1', 'TLSv1.1', 'SSLv3']) expect(offered(old) ?? 'not_offered').not.toBe('offered');

    const approved: string[] = [...FIPS_TLS13_SUITES, ...FIPS_TLS12_CIPHERS];
    expect(report.suites.length).toBeGreaterThanOrEqual(3);
    for (const suite of report.suites) {
      expect(approved, `${suite.protocol} ${suite.name}`).toContain(suite.openssl_name);
      expect(suite.name).not.toMatch(/CHACHA20|CBC|SHA$|3DES|RC4/);
      expect(suite.aead).toBe(true);
      if (suite.key_exchange) expect(suite.key_exchange, suite.name).toMatch(/P-256|P-384|prime256v1|secp384r1/i);
    }
    expect(report.suites.some((s) => s.name === 'TLS_AES_256_GCM_SHA384')).toBe(true);

    const files = { ...client, ca };
    const x25519 = await sClient(run.port, ['-groups', 'X25519'], files);
    expect(x25519.code, x25519.out).not.toBe(0);
    expect(x25519.out).toMatch(/handshake failure|no suitable key share|alert/i);
    const p384 = await sClient(run.port, ['-groups', 'P-384'], files);
    expect(p384.code, p384.out).toBe(0);
    expect(p384.out).toMatch(/P-384|secp384r1/);
    const chacha = await sClient(run.port, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-CHACHA20-POLY1305'], files);
    expect(chacha.code, chacha.out).not.toBe(0);
  });
});
