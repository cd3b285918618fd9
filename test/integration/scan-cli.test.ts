/** `tlsmcp scan` end to end in-process: human and --json output, exit codes, refused targets, bad args. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanReportSchema } from '../../src/scan/report-schema.js';
import { createTestPki, issueCert } from '../helpers/scan-certs.js';
import { runCli } from '../helpers/scan-cli.js';
import { startTlsServer, type TestServer } from '../helpers/scan-servers.js';

let dir: string;
let server: TestServer | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tlsmcp-scan-cli-'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function selfSignedServer(): Promise<number> {
  const pki = createTestPki();
  const self = issueCert({ cn: 'localhost', dns: ['localhost'], key: pki.leafKey });
  server = await startTlsServer({ key: self.keyPem, cert: self.certPem });
  return server.port;
}

describe('tlsmcp scan (CLI)', () => {
  it('prints the grade, findings and fixes, and exits 0 whatever the grade', async () => {
    const port = await selfSignedServer();
    const run = await runCli(['--state', dir, 'scan', `127.0.0.1:${port}`, '--sni', 'localhost', '--probe-timeout', '2s']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Grade: T \(/m);
    expect(run.stdout).toMatch(/\[high\] Self-signed certificate \(cert-self-signed\)/);
    expect(run.stdout).toMatch(/fix: {2}use a certificate issued by a CA/);
    expect(run.stdout).toMatch(/TLSv1\.3 +offered/);
  });

  it('--json prints a report that matches scanReportSchema', async () => {
    const port = await selfSignedServer();
    const run = await runCli(['--state', dir, 'scan', `127.0.0.1:${port}`, '--json', '--probe-timeout', '2s']);
    expect(run.code).toBe(0);
    const report = scanReportSchema.parse(JSON.parse(run.stdout));
    expect(report.grade?.grade).toBe('T');
    expect(report.target.sni).toBeNull();
  });

  it('a target refused by scan.deny exits 1 with ERR_SCAN_TARGET_REFUSED', async () => {
    const config = join(dir, 'tlsmcp.yaml');
    writeFileSync(config, 'version: 1\nscan:\n  deny: ["127.0.0.0/8"]\n');
    const run = await runCli(['--state', dir, '--config', config, 'scan', '127.0.0.1:8443']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/ERR_SCAN_TARGET_REFUSED: scan target 127\.0\.0\.1 refused by scan\.deny\[0\] 127\.0\.0\.0\/8: 127\.0\.0\.1 is inside it/);
    expect(run.stderr).toMatch(/fix: remove the network from scan.deny/);
    const json = await runCli(['--state', dir, '--config', config, 'scan', '127.0.0.1:8443', '--json']);
    expect(JSON.parse(json.stdout).error.code).toBe('ERR_SCAN_TARGET_REFUSED');
  });

  it('bad arguments exit non-zero with the argument named', async () => {
    const badPort = await runCli(['--state', dir, 'scan', '127.0.0.1:70000']);
    expect(badPort.code).toBe(1);
    expect(badPort.stderr).toMatch(/target: port 70000 is out of range/);
    const halfPair = await runCli(['--state', dir, 'scan', '127.0.0.1:443', '--cert', join(dir, 'c.pem')]);
    expect(halfPair.stderr).toMatch(/--cert and --key go together/);
    const badTimeout = await runCli(['--state', dir, 'scan', '127.0.0.1:443', '--probe-timeout', 'soon']);
    expect(badTimeout.stderr).toMatch(/--probe-timeout "soon" is not a duration/);
    const missing = await runCli(['--state', dir, 'scan']);
    expect(missing.code).toBe(2);
  });
});

describe('tlsmcp scan (CLI): progress and URL targets', () => {
  it('prints one progress line per probe group on stderr while stdout holds only the JSON report', async () => {
    const port = await selfSignedServer();
    const run = await runCli(['--state', dir, 'scan', `https://127.0.0.1:${port}/app`, '--sni', 'localhost', '--json', '--probe-timeout', '2s']);
    expect(run.code).toBe(0);
    const report = scanReportSchema.parse(JSON.parse(run.stdout));
    expect(report.target).toMatchObject({ host: '127.0.0.1', port, path: '/app' });
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatch(/^scan \[1\/7\] target: /);
    expect(lines[2]).toMatch(/^scan \[3\/7\] protocols: offered: .*TLSv1\.3/);
    expect(lines[6]).toBe('scan [7/7] grade: T');
    const quiet = await runCli(['--state', dir, 'scan', `127.0.0.1:${port}`, '--json', '--no-progress', '--probe-timeout', '2s']);
    expect(quiet.stderr).toBe('');
  });
});
