/**
 * `tlsmcp cert` and `tlsmcp ca crl` through the real CLI (node bin/tlsmcp.js),
 * checked against OpenSSL: what we issue must verify, read and revoke the way
 * OpenSSL expects.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CertRecord } from '../../src/ca/index.js';
import { createCliSandbox, type CliSandbox } from '../helpers/cli.js';

let sb: CliSandbox;
beforeEach(async () => {
  sb = createCliSandbox();
  const init = await sb.run(['init']);
  expect(init.code, init.stderr).toBe(0);
});
afterEach(() => sb.cleanup());

/** Each CLI run is a fresh Node process loading the TypeScript source: allow for a loaded machine. */
const SLOW = 120_000;

const caPem = () => join(sb.stateDir, 'ca', 'ca.pem');

function openssl(args: string[], input?: string): string {
  return execFileSync('openssl', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** openssl's combined output and exit code, for commands expected to fail. */
function opensslResult(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

describe('tlsmcp cert: interoperability with OpenSSL', () => {
  it('issues a client certificate that openssl verifies, with clientAuth, SANs, O and OU', async () => {
    const record = await sb.json<CertRecord>([
      'cert', 'issue', '--type', 'client', '--service', 'web', '--org', 'Acme', '--ou', 'Payments',
      '--dns', 'web.internal', '--dns', 'web.local', '--uri', 'spiffe://acme.test/web', '--json',
    ]);
    expect(record).toMatchObject({ type: 'client', service: 'web', cn: 'web', sans: { dns: ['web.internal', 'web.local'], ip: [], uri: ['spiffe://acme.test/web'] } });
    expect(record.serial.length).toBeGreaterThanOrEqual(32); // 128+ random bits
    expect(openssl(['verify', '-CAfile', caPem(), '-purpose', 'sslclient', record.files.cert])).toContain(': OK');
    const text = openssl(['x509', '-noout', '-text', '-in', record.files.cert]);
    expect(text).toContain('TLS Web Client Authentication');
    expect(text).not.toContain('TLS Web Server Authentication');
    expect(text).toContain('DNS:web.internal, DNS:web.local, URI:spiffe://acme.test/web');
    expect(text).toMatch(/Subject: CN ?= ?web, O ?= ?Acme, OU ?= ?Payments/);
    expect(statSync(record.files.key!).mode & 0o777).toBe(0o600);
  }, SLOW);

  it('issues an RSA server certificate for --dns and --ip into --out', async () => {
    const out = join(sb.dir, 'out');
    const record = await sb.json<CertRecord>([
      'cert', 'issue', '--type', 'server', '--service', 'api', '--dns', 'localhost', '--ip', '127.0.0.1', '--key-type', 'rsa-2048', '--ttl', '10d', '--out', 'out', '--json',
    ]);
    expect(readdirSync(out).sort()).toEqual(['ca.pem', 'cert.pem', 'key.pem']);
    expect(record.files.cert).toBe(join(out, 'cert.pem'));
    expect(statSync(join(out, 'key.pem')).mode & 0o777).toBe(0o600);
    expect(openssl(['verify', '-CAfile', join(out, 'ca.pem'), '-purpose', 'sslserver', join(out, 'cert.pem')])).toContain(': OK');
    const text = openssl(['x509', '-noout', '-text', '-in', join(out, 'cert.pem')]);
    expect(text).toContain('TLS Web Server Authentication');
    expect(text).toContain('DNS:localhost, IP Address:127.0.0.1');
    expect(text).toContain('Public-Key: (2048 bit)');
    expect(Date.parse(record.not_after) - Date.parse(record.not_before)).toBe(10 * 86_400_000 + 60_000); // 10d plus the minute of backdating
  }, SLOW);

  it('signs a CSR made by openssl req and writes no key', async () => {
    const key = join(sb.dir, 'partner.key');
    const csr = join(sb.dir, 'partner.csr');
    openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=partner', '-addext', 'subjectAltName=DNS:partner.example']);
    const out = join(sb.dir, 'out');
    const record = await sb.json<CertRecord>(['cert', 'issue', '--type', 'client', '--service', 'partner', '--csr', csr, '--out', out, '--json']);
    expect(record.files.key).toBeUndefined();
    expect(record.from_csr).toBe(true);
    expect(record).toMatchObject({ cn: 'partner', sans: { dns: ['partner.example'] } });
    expect(readdirSync(out).sort()).toEqual(['ca.pem', 'cert.pem']);
    expect(readdirSync(join(sb.stateDir, 'certs', record.id)).sort()).toEqual(['ca.pem', 'cert.pem']);
    expect(openssl(['verify', '-CAfile', caPem(), record.files.cert])).toContain(': OK');
    // The certificate carries the requester's key.
    expect(openssl(['x509', '-noout', '-pubkey', '-in', record.files.cert])).toBe(openssl(['pkey', '-pubout', '-in', key]));

    // Renewing a CSR certificate keeps the requester's key.
    const renewed = await sb.json<CertRecord>(['cert', 'renew', record.id, '--json']);
    expect(renewed.files.key).toBeUndefined();
    expect(openssl(['x509', '-noout', '-pubkey', '-in', renewed.files.cert])).toBe(openssl(['pkey', '-pubout', '-in', key]));
  }, SLOW);

  it('revokes, and the CRL parses with openssl crl, verifies, lists the serial and makes verify -crl_check fail', async () => {
    const record = await sb.json<CertRecord>(['cert', 'issue', '--type', 'client', '--service', 'web', '--json']);
    const keep = await sb.json<CertRecord>(['cert', 'issue', '--type', 'client', '--service', 'web', '--json']);
    const revoked = await sb.json<{ revoked: { reason: string; at: string }; status: string }>(['cert', 'revoke', record.id, '--reason', 'keyCompromise', '--json']);
    expect(revoked).toMatchObject({ status: 'revoked', revoked: { reason: 'keyCompromise' } });

    const crlFile = join(sb.dir, 'crl.pem');
    const written = await sb.run(['ca', 'crl', '--out', crlFile]);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toContain('1 revoked serial');
    const text = openssl(['crl', '-in', crlFile, '-noout', '-text']);
    expect(text).toContain(`Serial Number: ${record.serial.toUpperCase()}`);
    expect(text).not.toContain(keep.serial.toUpperCase());
    expect(text).toContain('Key Compromise');
    expect(opensslResult(['crl', '-in', crlFile, '-noout', '-CAfile', caPem()]).out).toContain('verify OK');
    const check = opensslResult(['verify', '-crl_check', '-CAfile', caPem(), '-CRLfile', crlFile, record.files.cert]);
    expect(check.ok).toBe(false);
    expect(check.out).toContain('certificate revoked');
    expect(openssl(['verify', '-crl_check', '-CAfile', caPem(), '-CRLfile', crlFile, keep.files.cert])).toContain(': OK');

    // To stdout, the same PEM.
    const stdout = await sb.run(['ca', 'crl']);
    expect(stdout.stdout).toMatch(/^-----BEGIN X509 CRL-----\n[\s\S]+-----END X509 CRL-----\n$/);
  }, SLOW);

  it('writes a PKCS#12 bundle openssl pkcs12 reads, with the password from the environment or the flag', async () => {
    const out = join(sb.dir, 'out');
    const record = await sb.json<CertRecord>(['cert', 'issue', '--type', 'client', '--service', 'web', '--out', out, '--p12', '--json']);
    expect(record.files.p12).toBe(join(out, 'bundle.p12'));
    expect(statSync(record.files.p12!).mode & 0o777).toBe(0o600);
    const bundle = openssl(['pkcs12', '-in', record.files.p12!, '-nodes', '-passin', 'pass:']);
    expect(bundle).toContain('BEGIN PRIVATE KEY');
    expect(bundle.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);

    const fromEnv = await sb.json<CertRecord>(['cert', 'issue', '--type', 'client', '--service', 'web', '--p12', '--json'], { env: { TLSMCP_P12_PASSWORD: 'from-env' } });
    expect(openssl(['pkcs12', '-in', fromEnv.files.p12!, '-nodes', '-passin', 'pass:from-env'])).toContain('BEGIN PRIVATE KEY');
    const fromFlag = await sb.json<CertRecord>(['cert', 'issue', '--type', 'client', '--service', 'web', '--p12', '--p12-password', 'flag', '--json']);
    expect(opensslResult(['pkcs12', '-in', fromFlag.files.p12!, '-nodes', '-passin', 'pass:']).ok).toBe(false);
    expect(openssl(['pkcs12', '-in', fromFlag.files.p12!, '-nodes', '-passin', 'pass:flag'])).toContain('BEGIN PRIVATE KEY');
  }, SLOW);
});

describe('tlsmcp cert: list, info, renew', () => {
  it('lists status and days left, shows details, renews with the same identity', async () => {
    const a = await sb.json<CertRecord>(['cert', 'issue', '--type', 'client', '--service', 'web', '--ttl', '30d', '--dns', 'web.internal', '--json']);
    const b = await sb.json<CertRecord>(['cert', 'issue', '--type', 'server', '--service', 'api', '--dns', 'api.internal', '--json']);
    expect((await sb.run(['cert', 'revoke', b.id])).code).toBe(0);

    const table = await sb.run(['cert', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+TYPE\s+SERVICE\s+CN\s+STATUS\s+DAYS LEFT\s+EXPIRES/);
    expect(table.stdout).toMatch(new RegExp(`${a.id}\\s+client\\s+web\\s+web\\s+valid\\s+29\\s`));
    expect(table.stdout).toMatch(new RegExp(`${b.id}\\s+server\\s+api\\s+api\\s+revoked`));
    const onlyWeb = await sb.json<{ certs: { id: string; status: string; days_left: number }[] }>(['cert', 'list', '--service', 'web', '--json']);
    expect(onlyWeb.certs).toEqual([expect.objectContaining({ id: a.id, status: 'valid', days_left: 29 })]);

    const info = await sb.run(['cert', 'info', a.id]);
    expect(info.stdout).toMatch(/eku\s+clientAuth/);
    expect(info.stdout).toMatch(/sans\s+DNS:web\.internal/);
    expect(info.stdout).toMatch(/key\s+ecdsa-p256 \(256 bits\)/);
    expect(info.stdout).toMatch(/signature\s+ecdsa-with-SHA256/);
    expect(info.stdout).toMatch(/revocation\s+not revoked/);
    expect(info.stdout).toContain(a.fingerprint_sha256);
    const revokedInfo = await sb.json<{ revocation: { status: string; reason: string } }>(['cert', 'info', b.files.cert, '--json']);
    expect(revokedInfo.revocation).toMatchObject({ status: 'revoked', reason: 'unspecified' });

    const renewed = await sb.json<CertRecord>(['cert', 'renew', a.id, '--json']);
    expect(renewed).toMatchObject({ cn: 'web', service: 'web', type: 'client', sans: a.sans, renewed_from: a.id });
    expect(renewed.serial).not.toBe(a.serial);
    expect(readFileSync(renewed.files.key!, 'utf8')).not.toBe(readFileSync(a.files.key!, 'utf8'));
    const after = await sb.json<{ status: string }>(['cert', 'info', a.id, '--json']);
    expect(after.status).toBe('valid'); // the old one stays valid
  }, SLOW);

  it('reports a certificate from elsewhere as unknown to this CA', async () => {
    const key = join(sb.dir, 'self.key');
    const cert = join(sb.dir, 'self.pem');
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=elsewhere', '-days', '2']);
    const info = await sb.run(['cert', 'info', cert]);
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toMatch(/subject\s+CN=elsewhere/);
    expect(info.stdout).toMatch(/key\s+rsa-2048 \(2048 bits\)/);
    expect(info.stdout).toMatch(/signature\s+sha256WithRSAEncryption/);
    expect(info.stdout).toMatch(/revocation\s+unknown to this CA/);
  }, SLOW);
});
