/**
 * The scanner against real local servers with known flaws (issue 5, "Done
 * means"): each is a Node tls server on 127.0.0.1:0 with certificates made at
 * test time, scanned for real, with its findings and grade asserted.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { scanTarget } from '../../src/scan/scan.js';
import type { ScanOptions } from '../../src/scan/scan.js';
import type { ScanReport } from '../../src/scan/report-schema.js';
import { scanReportSchema } from '../../src/scan/report-schema.js';
import { createSilentLogger } from '../../src/logger.js';
import { createTestPki, issueCert, makeRsaKey, type TestPki } from '../helpers/scan-certs.js';
import { startTlsServer, type TestServer, type TlsServerOptions } from '../helpers/scan-servers.js';

const DAY = 86_400_000;
const HSTS_YEAR = { 'Strict-Transport-Security': 'max-age=31536000; includeSubDomains' };

let pki: TestPki;
const servers: TestServer[] = [];

beforeAll(() => {
  pki = createTestPki();
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(options: TlsServerOptions): Promise<number> {
  const server = await startTlsServer(options);
  servers.push(server);
  return server.port;
}

async function scan(port: number, extra: Partial<ScanOptions> = {}): Promise<ScanReport> {
  const report = await scanTarget(
    { host: '127.0.0.1', port, sni: 'localhost', caPem: pki.root.certPem, probeTimeoutMs: 2_000, deadlineMs: 20_000, ...extra },
    { logger: createSilentLogger() },
  );
  expect(() => scanReportSchema.parse(JSON.parse(JSON.stringify(report)))).not.toThrow();
  return report;
}

const ids = (r: ScanReport) => r.findings.map((f) => f.id);
const offered = (r: ScanReport) => r.protocols.filter((p) => p.status === 'offered').map((p) => p.name);
const chainPem = () => pki.leaf().certPem + pki.intermediate.certPem;

describe('scan: servers with known flaws', () => {
  it('grades a clean TLS 1.2/1.3 server with a year of HSTS as A+', async () => {
    const port = await serve({
      key: pki.leafKey.pem,
      cert: chainPem(),
      minVersion: 'TLSv1.2',
      ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305',
      honorCipherOrder: true,
      ALPNProtocols: ['h2', 'http/1.1'],
      httpHeaders: HSTS_YEAR,
    });
    const r = await scan(port);
    expect(offered(r)).toEqual(['TLSv1.2', 'TLSv1.3']);
    expect(r.chain?.trusted_local_ca).toBe(true);
    expect(r.chain?.complete).toBe(true);
    expect(r.chain?.as_sent).toBe(true);
    expect(r.chain?.hostname_match).toBe(true);
    expect(r.hsts?.max_age).toBe(31_536_000);
    expect(r.alpn).toEqual(['h2', 'http/1.1']);
    expect(r.server_preference).toBe(true);
    expect(r.preferred_order['TLSv1.2']?.[0]).toBe('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r.grade?.grade).toBe('A+');
  });

  it('TLS 1.3 only with a required client certificate: grades what is visible, says a certificate is required', async () => {
    const port = await serve({ key: pki.leafKey.pem, cert: chainPem(), minVersion: 'TLSv1.3', requestCert: true, rejectUnauthorized: true, ca: pki.root.certPem });
    const r = await scan(port);
    expect(offered(r)).toEqual(['TLSv1.3']);
    expect(r.suites.map((s) => s.name).sort()).toEqual(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']);
    expect(r.client_auth).toMatchObject({ requested: true, required: true, presented: false });
    expect(ids(r)).toContain('client-cert-required');
    expect(r.chain?.as_sent).toBe(false);
    expect(r.grade?.grade).toBe('A');
    expect(r.grade?.caps.some((c) => /HSTS/.test(c.reason))).toBe(true);
  });

  it('TLS 1.3 only with a required client certificate, scanned with one: accepted, not refused', async () => {
    const client = issueCert({ cn: 'scanner', key: pki.leafKey, issuer: pki.intermediate });
    const port = await serve({ key: pki.leafKey.pem, cert: chainPem(), minVersion: 'TLSv1.3', requestCert: true, rejectUnauthorized: true, ca: [pki.root.certPem, pki.intermediate.certPem] });
    const r = await scan(port, { clientCertPem: client.certPem + pki.intermediate.certPem, clientKeyPem: client.keyPem });
    expect(r.client_auth).toMatchObject({ required: true, presented: true });
    expect(ids(r)).not.toContain('client-cert-required');
  });

  it('TLS 1.2 with an optional client certificate: requested (seen in the raw CertificateRequest), not required', async () => {
    const port = await serve({ key: pki.leafKey.pem, cert: chainPem(), maxVersion: 'TLSv1.2', requestCert: true, rejectUnauthorized: false });
    const r = await scan(port);
    expect(r.client_auth).toMatchObject({ requested: true, required: false });
    expect(ids(r)).toContain('client-cert-optional');
  });

  it('TLS 1.2 with a required client certificate: versions and suites still seen through raw ClientHellos', async () => {
    const port = await serve({ key: pki.leafKey.pem, cert: chainPem(), maxVersion: 'TLSv1.2', requestCert: true, rejectUnauthorized: true, ca: pki.root.certPem });
    const r = await scan(port);
    expect(offered(r)).toEqual(['TLSv1.2']);
    expect(r.suites.map((s) => s.name)).toContain('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
    expect(r.client_auth).toMatchObject({ requested: true, required: true });
    expect(r.grade?.grade).toBe('A-');
  });

  it('TLS 1.0-1.2 with weak suites (NULL, anonymous, CBC-SHA1, static RSA): F with each weakness named', async () => {
    const port = await serve({ key: pki.leafKey.pem, cert: chainPem(), minVersion: 'TLSv1', maxVersion: 'TLSv1.2', ciphers: 'ALL:eNULL:@SECLEVEL=0', dhparam: 'auto' } as TlsServerOptions);
    const r = await scan(port);
    expect(offered(r)).toEqual(['TLSv1', 'TLSv1.1', 'TLSv1.2']);
    expect(ids(r)).toEqual(expect.arrayContaining(['protocol-tls10', 'protocol-tls11', 'no-tls13', 'suite-null', 'suite-anonymous', 'suite-cbc-sha1', 'suites-without-forward-secrecy']));
    expect(r.findings.find((f) => f.id === 'suite-null')?.severity).toBe('critical');
    expect(r.suites.some((s) => s.name === 'TLS_RSA_WITH_AES_128_CBC_SHA' && s.weak === 'CBC with SHA-1' && !s.forward_secrecy)).toBe(true);
    expect(ids(r)).not.toContain('suite-rc4');
    expect(r.grade?.grade).toBe('F');
    expect(r.grade?.caps.map((c) => c.cap)).toEqual(expect.arrayContaining(['F', 'B', 'A-']));
  });

  it('TLS 1.0-1.2 with only CBC-SHA1 suites: capped at B for old protocols and no AEAD', async () => {
    const port = await serve({ key: pki.leafKey.pem, cert: chainPem(), minVersion: 'TLSv1', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:@SECLEVEL=0' });
    const r = await scan(port);
    expect(ids(r)).toEqual(expect.arrayContaining(['protocol-tls10', 'protocol-tls11', 'no-aead', 'suite-cbc-sha1']));
    expect(r.grade?.grade).toBe('B');
    expect(r.grade?.caps.map((c) => c.reason)).toEqual(expect.arrayContaining(['TLS 1.0 or 1.1 offered', 'no AEAD suite']));
  });

  it('expired certificate: T, cert-expired is critical', async () => {
    const leaf = pki.leaf({ notBefore: new Date(Date.now() - 60 * DAY), notAfter: new Date(Date.now() - 2 * DAY) });
    const port = await serve({ key: leaf.keyPem, cert: leaf.certPem + pki.intermediate.certPem });
    const r = await scan(port);
    expect(r.chain?.expired).toBe(true);
    expect(r.chain?.trusted_local_ca).toBe(false);
    expect(r.chain?.local_ca_error).toBe('CERT_HAS_EXPIRED');
    expect(r.findings.find((f) => f.id === 'cert-expired')?.severity).toBe('critical');
    expect(r.grade?.grade).toBe('T');
  });

  it('self-signed certificate: T with cert-self-signed', async () => {
    const self = issueCert({ cn: 'localhost', dns: ['localhost'], key: pki.leafKey });
    const port = await serve({ key: self.keyPem, cert: self.certPem });
    const r = await scan(port);
    expect(r.chain?.certificates[0]?.self_signed).toBe(true);
    expect(ids(r)).toContain('cert-self-signed');
    expect(r.grade?.grade).toBe('T');
    expect(r.grade?.caps.some((c) => c.cap === 'T' && /self-signed/.test(c.reason))).toBe(true);
  });

  it('hostname mismatch: M with cert-hostname-mismatch', async () => {
    const other = pki.leaf({ cn: 'other.example', dns: ['other.example'], ip: [] });
    const port = await serve({ key: other.keyPem, cert: other.certPem + pki.intermediate.certPem, httpHeaders: HSTS_YEAR });
    const r = await scan(port);
    expect(r.chain?.hostname_match).toBe(false);
    expect(ids(r)).toContain('cert-hostname-mismatch');
    expect(r.grade?.grade).toBe('M');
    expect(r.grade?.grade_if_trusted).toMatch(/^A/);
  });

  it('missing intermediate with no AIA URL: incomplete chain, capped at B, not obtainable so T', async () => {
    const port = await serve({ key: pki.leafKey.pem, cert: pki.leaf().certPem });
    const r = await scan(port);
    expect(r.chain?.certificates).toHaveLength(1);
    expect(r.chain?.complete).toBe(false);
    expect(r.chain?.local_ca_error).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(ids(r)).toContain('cert-chain-incomplete');
    expect(r.chain?.completion.path).toBe('unobtainable');
    expect(r.grade?.caps).toContainEqual({ cap: 'B', reason: 'incomplete certificate chain (issuer not obtainable)' });
    expect(r.grade?.grade).toBe('T');
    expect(r.grade?.grade_if_trusted).toBe('B');
  });

  it('SHA-1 signed leaf: T with cert-weak-signature', async () => {
    const leaf = pki.leaf({ digest: 'sha1' });
    const port = await serve({ key: leaf.keyPem, cert: leaf.certPem + pki.intermediate.certPem, ciphers: 'DEFAULT:@SECLEVEL=0' });
    const r = await scan(port);
    expect(r.chain?.certificates[0]?.signature_algorithm).toBe('sha1WithRSAEncryption');
    expect(ids(r)).toContain('cert-weak-signature');
    expect(r.grade?.grade).toBe('T');
    expect(r.grade?.caps.some((c) => c.cap === 'T' && /SHA-1/.test(c.reason))).toBe(true);
  });

  it('RSA-1024 key: B cap and a high cert-weak-key finding', async () => {
    const key = makeRsaKey(1024);
    const leaf = pki.leaf({ key });
    const port = await serve({ key: leaf.keyPem, cert: leaf.certPem + pki.intermediate.certPem, ciphers: 'DEFAULT:@SECLEVEL=0' });
    const r = await scan(port);
    expect(r.chain?.certificates[0]).toMatchObject({ key_type: 'rsa', key_bits: 1024 });
    expect(r.findings.find((f) => f.id === 'cert-weak-key')?.severity).toBe('high');
    expect(r.grade?.key_exchange_score).toBe(40 * 2);
    expect(r.grade?.grade).toBe('B');
  });
});
