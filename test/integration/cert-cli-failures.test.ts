/**
 * The failure paths of `tlsmcp cert` through the real CLI: each must end with a
 * clear message naming what is wrong, the right exit code (2 for usage, 1 for
 * refusals), no stack trace, and the state left as it was.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CertRecord } from '../../src/ca/index.js';
import { createCliSandbox, type CliResult, type CliSandbox } from '../helpers/cli.js';

let sb: CliSandbox;
beforeEach(() => {
  sb = createCliSandbox();
});
afterEach(() => sb.cleanup());

async function init(): Promise<void> {
  const r = await sb.run(['init']);
  expect(r.code, r.stderr).toBe(0);
}

/** No stack trace: no "    at fn (file:line)" frames and no Node error banner. */
function expectNoStack(r: CliResult): void {
  expect(r.stderr + r.stdout).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);
  expect(r.stderr).not.toContain('node:internal');
}

/** Each CLI run is a fresh Node process loading the TypeScript source: allow for a loaded machine. */
const SLOW = 120_000;

const inventory = () => join(sb.stateDir, 'inventory.json');

describe('tlsmcp cert: failure paths', () => {
  it('refuses a TTL over the configured maximum, naming the policy key', async () => {
    await init();
    const r = await sb.run(['cert', 'issue', '--type', 'client', '--service', 'web', '--ttl', '91d']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERR_CERT_TTL');
    expect(r.stderr).toContain('--ttl 91d exceeds client_cert.max_ttl (90d)');
    expectNoStack(r);

    // The maximum comes from the config file.
    const config = join(sb.dir, 'tlsmcp.yaml');
    writeFileSync(config, 'version: 1\nclient_cert:\n  default_ttl: 1h\n  max_ttl: 2d\nserver_cert:\n  ttl: 1d\n  max_ttl: 3d\n  renew_before: 1h\n');
    const client = await sb.run(['--config', config, 'cert', 'issue', '--type', 'client', '--service', 'web', '--ttl', '3d']);
    expect(client.code).toBe(1);
    expect(client.stderr).toContain('exceeds client_cert.max_ttl (2d)');
    const server = await sb.run(['--config', config, 'cert', 'issue', '--type', 'server', '--service', 'api', '--ttl', '4d', '--json']);
    expect(server.code).toBe(1);
    expect(JSON.parse(server.stdout).error).toMatchObject({ code: 'ERR_CERT_TTL', message: expect.stringContaining('server_cert.max_ttl (3d)') });
    const ok = await sb.json<CertRecord>(['--config', config, 'cert', 'issue', '--type', 'client', '--service', 'web', '--json']);
    expect(Date.parse(ok.not_after) - Date.parse(ok.not_before)).toBe(3_600_000 + 60_000); // default_ttl 1h, plus backdating
    expect(JSON.parse(readFileSync(inventory(), 'utf8')).certs).toHaveLength(1);
  }, SLOW);

  it('refuses a CSR whose signature was tampered with, and records nothing', async () => {
    await init();
    const key = join(sb.dir, 'k.pem');
    const csr = execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-subj', '/CN=mallory'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const der = Buffer.from(csr.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    der.writeUInt8(der.readUInt8(der.length - 5) ^ 0x01, der.length - 5); // inside the signature value, the DER's last element
    const bad = join(sb.dir, 'bad.csr');
    writeFileSync(bad, `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE REQUEST-----\n`);
    const r = await sb.run(['cert', 'issue', '--type', 'client', '--service', 'x', '--csr', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERR_CSR_INVALID');
    expect(r.stderr).toContain('signature does not verify');
    expectNoStack(r);
    const list = await sb.json<{ certs: unknown[] }>(['cert', 'list', '--json']);
    expect(list.certs).toEqual([]);
  }, SLOW);

  it('reports an unknown id for info, revoke and renew', async () => {
    await init();
    const all = [['cert', 'info', 'deadbeef0000'], ['cert', 'revoke', 'deadbeef0000'], ['cert', 'renew', 'deadbeef0000']];
    const results = await Promise.all(all.map((args) => sb.run(args)));
    for (const [i, args] of all.entries()) {
      const r = results[i]!;
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain('ERR_CERT_NOT_FOUND');
      expect(r.stderr).toContain('no certificate with id or serial "deadbeef0000"');
      expect(r.stderr).toContain('tlsmcp cert list');
      expectNoStack(r);
    }
  }, SLOW);

  it('reports a corrupt inventory as ERR_STATE_CORRUPT and never overwrites it', async () => {
    await init();
    const garbage = Buffer.from('{"version": 1, "certs": [ this is not json \u0000\xff');
    writeFileSync(inventory(), garbage);
    for (const args of [
      ['cert', 'list'],
      ['cert', 'issue', '--type', 'client', '--service', 'web'],
      ['cert', 'revoke', 'abc'],
      ['cert', 'info', 'abc'],
    ]) {
      const r = await sb.run(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain('ERR_STATE_CORRUPT');
      expect(r.stderr).toContain(`state file ${inventory()} is not valid JSON`);
      expect(r.stderr).toContain('left it untouched');
      expectNoStack(r);
      expect(readFileSync(inventory()).equals(garbage)).toBe(true);
    }
    // Valid JSON of the wrong shape is just as corrupt.
    writeFileSync(inventory(), '{"version": 1, "certs": [{"id": 7}]}');
    const shape = await sb.run(['cert', 'list', '--json']);
    expect(shape.code).toBe(1);
    expect(JSON.parse(shape.stdout).error).toMatchObject({ code: 'ERR_STATE_CORRUPT', message: expect.stringContaining('does not match the expected shape at certs.0') });
  }, SLOW);

  it('records every certificate when four cert issue processes run at once', async () => {
    await init();
    const runs = await Promise.all(
      ['a', 'b', 'c', 'd'].map((name) => sb.run(['cert', 'issue', '--type', 'client', '--service', name, '--json'])),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const issued = runs.map((r) => JSON.parse(r.stdout) as CertRecord);
    const list = await sb.json<{ certs: CertRecord[] }>(['cert', 'list', '--json']);
    expect(list.certs.map((c) => c.service).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(new Set(list.certs.map((c) => c.serial)).size).toBe(4);
    expect(list.certs.map((c) => c.id).sort()).toEqual(issued.map((c) => c.id).sort());
  }, SLOW);

  it('gives usage errors exit code 2 with a message naming the flag', async () => {
    await init();
    const cases: [string[], RegExp][] = [
      [['cert', 'issue', '--type', 'both', '--service', 'x'], /--type <type>' argument 'both' is invalid. Allowed choices are client, server/],
      [['cert', 'issue', '--type', 'client'], /required option '--service <name>' not specified/],
      [['cert', 'issue', '--service', 'x'], /required option '--type <type>' not specified/],
      [['cert', 'issue', '--type', 'client', '--service', 'x', '--ttl', '5y'], /--ttl 5y: not a duration/],
      [['cert', 'issue', '--type', 'client', '--service', 'x', '--ip', '300.1.1.1'], /--ip 300\.1\.1\.1: not an IPv4 or IPv6 address/],
      [['cert', 'issue', '--type', 'client', '--service', 'x', '--dns', 'bad name'], /--dns bad name: not a valid DNS name/],
      [['cert', 'issue', '--type', 'client', '--service', 'x', '--key-type', 'dsa'], /--key-type <type>' argument 'dsa' is invalid/],
      [['cert', 'issue', '--type', 'client', '--service', 'x', '--csr', 'missing.csr'], /--csr .*missing\.csr: cannot read it \(ENOENT\)/],
      [['cert', 'issue', '--type', 'client', '--service', 'x', '--csr', 'a.csr', '--p12'], /--p12' cannot be used with option '--csr/],
      [['cert', 'revoke', 'abc', '--reason', 'bored'], /--reason <reason>' argument 'bored' is invalid/],
      [['init', '--key-type', 'rsa-1024'], /--key-type <type>' argument 'rsa-1024' is invalid/],
    ];
    // Independent of each other and of the state: run them side by side.
    const results = await Promise.all(cases.map(([args]) => sb.run(args)));
    cases.forEach(([args, message], i) => {
      const r = results[i]!;
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expectNoStack(r);
    });
  }, SLOW);

  it('says to run tlsmcp init when there is no CA', async () => {
    mkdirSync(sb.stateDir, { recursive: true });
    const r = await sb.run(['cert', 'issue', '--type', 'client', '--service', 'web']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERR_CA_MISSING');
    expect(r.stderr).toContain(`tlsmcp init --state ${sb.stateDir}`);
  }, SLOW);
});
