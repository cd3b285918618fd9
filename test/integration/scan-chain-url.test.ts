/**
 * Issue 18 against real local servers: a chain sent without its intermediate
 * is completed the way SSL Labs and testssl do (AIA caIssuers served over a
 * local HTTP URL, or --intermediates) and graded B with a finding, or T when
 * the issuer cannot be obtained; HSTS is checked on the URL target's path.
 */
import { X509Certificate } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../src/logger.js';
import type { ScanProgress } from '../../src/scan/progress.js';
import { scanReportSchema, type ScanReport } from '../../src/scan/report-schema.js';
import { scanTarget, type ScanOptions } from '../../src/scan/scan.js';
import { parseScanTarget } from '../../src/scan/target.js';
import { createTestPki, type TestPki } from '../helpers/scan-certs.js';
import { startHttpFileServer, startTlsServer, type TestServer, type TlsServerOptions } from '../helpers/scan-servers.js';

const HSTS_YEAR = { 'Strict-Transport-Security': 'max-age=31536000; includeSubDomains' };
/** Loopback allowed explicitly: the AIA URL and the servers are on 127.0.0.1. */
const LOOPBACK = { allow: ['127.0.0.0/8'], deny: [] };

let pki: TestPki;
const servers: TestServer[] = [];

beforeAll(() => {
  pki = createTestPki();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(options: TlsServerOptions): Promise<number> {
  const server = await startTlsServer({ minVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384', ...options });
  servers.push(server);
  return server.port;
}

async function scan(port: number, extra: Partial<ScanOptions> = {}, onProgress?: (p: ScanProgress) => void): Promise<ScanReport> {
  const report = await scanTarget(
    { host: '127.0.0.1', port, sni: 'localhost', caPem: pki.root.certPem, probeTimeoutMs: 2_000, deadlineMs: 20_000, policy: LOOPBACK, ...extra },
    { logger: createSilentLogger(), onProgress },
  );
  scanReportSchema.parse(JSON.parse(JSON.stringify(report)));
  return report;
}

const intermediateDer = () => new X509Certificate(pki.intermediate.certPem).raw;

describe('scan: incomplete chains completed as the reference scanners do', () => {
  it('leaf sent alone, intermediate at its AIA caIssuers URL: trusted, B with a finding, path "aia"', async () => {
    const aia = await startHttpFileServer('/intermediate.cer', intermediateDer());
    servers.push(aia);
    const leaf = pki.leaf({ aiaCaIssuers: aia.url });
    const port = await serve({ key: leaf.keyPem, cert: leaf.certPem, httpHeaders: HSTS_YEAR });
    const r = await scan(port);
    expect(aia.hits()).toBeGreaterThan(0);
    expect(r.chain?.complete).toBe(false);
    expect(r.chain?.completion.path).toBe('aia');
    expect(r.chain?.completion.added).toEqual([expect.objectContaining({ subject: 'CN=tlsmcp test intermediate', source: 'aia', url: aia.url })]);
    expect(r.chain?.trusted_local_ca).toBe(true);
    const finding = r.findings.find((f) => f.id === 'cert-chain-incomplete');
    expect(finding?.severity).toBe('medium');
    expect(finding?.evidence).toContain(`from AIA caIssuers ${aia.url}`);
    expect(r.findings.map((f) => f.id)).not.toContain('cert-untrusted');
    expect(r.grade?.caps).toContainEqual({ cap: 'B', reason: 'incomplete certificate chain (completed from AIA caIssuers)' });
    expect(r.grade?.grade).toBe('B');
  });

  it('the AIA URL answers 404: the issuer is not obtainable, T, path "unobtainable"', async () => {
    const aia = await startHttpFileServer('/elsewhere.cer', intermediateDer());
    servers.push(aia);
    const missing = aia.url.replace('/elsewhere.cer', '/intermediate.cer');
    const leaf = pki.leaf({ aiaCaIssuers: missing });
    const port = await serve({ key: leaf.keyPem, cert: leaf.certPem, httpHeaders: HSTS_YEAR });
    const r = await scan(port);
    expect(r.chain?.completion.path).toBe('unobtainable');
    expect(r.chain?.completion.note).toContain(`${missing}: HTTP 404`);
    expect(r.findings.find((f) => f.id === 'cert-chain-incomplete')?.severity).toBe('high');
    expect(r.grade?.grade).toBe('T');
    expect(r.grade?.grade_if_trusted).toBe('B');
    expect(r.grade?.caps.some((c) => c.cap === 'T' && /issuer is not obtainable/.test(c.reason))).toBe(true);
  });

  it('the AIA host refused by scan.deny: not fetched, T', async () => {
    const aia = await startHttpFileServer('/intermediate.cer', intermediateDer());
    servers.push(aia);
    const leaf = pki.leaf({ aiaCaIssuers: aia.url.replace('127.0.0.1', 'aia.invalid') });
    const port = await serve({ key: leaf.keyPem, cert: leaf.certPem });
    const r = await scan(port, { policy: { allow: ['127.0.0.0/8'], deny: ['aia.invalid'] } });
    expect(aia.hits()).toBe(0);
    expect(r.chain?.completion.note).toMatch(/ERR_SCAN_TARGET_REFUSED|scan\.deny\[0\]/);
    expect(r.grade?.grade).toBe('T');
  });

  it('leaf sent alone, intermediate in the local CA bundle: B, path "local-ca" (no AIA fetch needed)', async () => {
    const aia = await startHttpFileServer('/intermediate.cer', intermediateDer());
    servers.push(aia);
    const leaf = pki.leaf({ aiaCaIssuers: aia.url });
    const port = await serve({ key: leaf.keyPem, cert: leaf.certPem });
    const r = await scan(port, { caPem: pki.root.certPem + pki.intermediate.certPem });
    expect(r.chain?.completion).toMatchObject({ path: 'local-ca', added: [expect.objectContaining({ source: 'local-ca', url: null })] });
    expect(aia.hits()).toBe(0);
    expect(r.grade?.caps).toContainEqual({ cap: 'B', reason: 'incomplete certificate chain (completed from the local CA)' });
    expect(r.grade?.grade).toBe('B');
  });

  it('leaf sent alone, intermediate given with --intermediates: B, path "intermediates"', async () => {
    const leaf = pki.leaf();
    const port = await serve({ key: leaf.keyPem, cert: leaf.certPem });
    const r = await scan(port, { intermediatesPem: pki.intermediate.certPem });
    expect(r.chain?.completion.path).toBe('intermediates');
    expect(r.chain?.trusted_local_ca).toBe(true);
    expect(r.grade?.grade).toBe('B');
  });
});

describe('scan: URL targets', () => {
  it('parses HOST[:PORT], [IPv6]:PORT, bare IPv6 and https:// URLs', () => {
    expect(parseScanTarget('example.com')).toEqual({ host: 'example.com', port: 443, path: null });
    expect(parseScanTarget('[::1]:8443')).toEqual({ host: '::1', port: 8443, path: null });
    expect(parseScanTarget('::1')).toEqual({ host: '::1', port: 443, path: null });
    expect(parseScanTarget('https://[::1]:8443/app?x=1')).toEqual({ host: '::1', port: 8443, path: '/app?x=1' });
    expect(parseScanTarget('https://example.com')).toEqual({ host: 'example.com', port: 443, path: '/' });
    expect(() => parseScanTarget('http://example.com/')).toThrow(/TLS needs https/);
    expect(() => parseScanTarget('https://u:p@example.com/')).toThrow(/credentials/);
  });

  it('HSTS only on /app: A+ for https://…/app, A for the root', async () => {
    const port = await serve({ key: pki.leafKey.pem, cert: pki.leaf().certPem + pki.intermediate.certPem, minVersion: 'TLSv1.2', httpHeadersByPath: { '/app': HSTS_YEAR } });
    const app = parseScanTarget(`https://127.0.0.1:${port}/app`);
    const atApp = await scan(app.port, { path: app.path });
    expect(atApp.target.path).toBe('/app');
    expect(atApp.hsts?.max_age).toBe(31_536_000);
    expect(atApp.grade?.grade).toBe('A+');
    const root = await scan(port);
    expect(root.target.path).toBe('/');
    expect(root.hsts?.header).toBeNull();
    expect(root.grade?.grade).toBe('A');
  });

  it('[IPv6]:PORT with --sni: dials ::1 and checks the certificate against the SNI name', async () => {
    const port = await serve({ host: '::1', key: pki.leafKey.pem, cert: pki.leaf().certPem + pki.intermediate.certPem });
    const t = parseScanTarget(`[::1]:${port}`);
    const r = await scan(t.port, { host: t.host, policy: { allow: ['::1/128'], deny: [] } });
    expect(r.target).toMatchObject({ host: '::1', address: '::1', sni: 'localhost', path: '/' });
    expect(r.chain?.hostname_match).toBe(true);
    expect(r.grade?.grade).toBe('A');
  });

  it('reports progress once per probe group, in order, ending with the grade', async () => {
    const port = await serve({ key: pki.leafKey.pem, cert: pki.leaf().certPem + pki.intermediate.certPem });
    const events: ScanProgress[] = [];
    await scan(port, {}, (p) => events.push(p));
    expect(events.map((e) => e.step)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(events.every((e) => e.total === 7)).toBe(true);
    expect(events[0]?.group).toBe('target');
    expect(events.at(-1)).toMatchObject({ group: 'grade', detail: 'A' });
  });
});
