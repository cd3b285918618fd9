import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../helpers/ca-fixture.js';

let pki: TestPki;
beforeEach(async () => {
  pki = await createTestPki();
});
afterEach(() => pki.cleanup());

function openssl(args: string[], input?: string): string {
  return execFileSync('openssl', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

describe('certificate authority', () => {
  it('issues a client certificate that openssl verifies, with clientAuth EKU and the SANs asked for', async () => {
    const { record, certPem } = await pki.client('web', { uri: ['spiffe://example.org/ns/prod/sa/web'], dns: ['web.internal'] });
    const caFile = join(pki.dir, 'ca.pem');
    writeFileSync(caFile, pki.caPem);
    writeFileSync(join(pki.dir, 'leaf.pem'), certPem);
    expect(openssl(['verify', '-CAfile', caFile, '-purpose', 'sslclient', join(pki.dir, 'leaf.pem')])).toContain(': OK');
    const text = openssl(['x509', '-noout', '-text', '-in', join(pki.dir, 'leaf.pem')]);
    expect(text).toContain('TLS Web Client Authentication');
    expect(text).toContain('URI:spiffe://example.org/ns/prod/sa/web');
    expect(text).toContain('DNS:web.internal');
    expect(record.serial.length).toBeGreaterThanOrEqual(32);
    expect(statSync(record.files.key!).mode & 0o777).toBe(0o600);
  });

  it('revokes and lists the serial in a CRL openssl parses', async () => {
    const { record } = await pki.client('web');
    await pki.ca.revoke(record.id, 'keyCompromise');
    const crl = await pki.ca.crlPem();
    const text = openssl(['crl', '-noout', '-text'], crl);
    expect(text.toLowerCase().replace(/:/g, '')).toContain(record.serial.toUpperCase().toLowerCase());
    expect(text).toContain('Key Compromise');
    expect((await pki.ca.get(record.id)).status).toBe('revoked');
  });

  it('reports expired and not-yet-valid certificates by status', async () => {
    const expired = await pki.expiredClient('old');
    expect((await pki.ca.get(expired.record.id)).status).toBe('expired');
    const future = await pki.futureClient('new');
    expect(readFileSync(future.record.files.cert, 'utf8')).toContain('BEGIN CERTIFICATE');
  });
});

describe('certificate authority: renew and lookup', () => {
  it('renews with the same identity and SANs, a new serial and key; the old one stays valid', async () => {
    const { record } = await pki.client('web', { dns: ['web.internal'], o: 'Acme', ou: 'Payments' });
    const renewed = await pki.ca.renew(record.id);
    expect(renewed.record).toMatchObject({ cn: 'web', o: 'Acme', ou: 'Payments', sans: record.sans, renewed_from: record.id, type: 'client' });
    expect(renewed.record.serial).not.toBe(record.serial);
    expect(renewed.keyPem).toBeDefined();
    expect((await pki.ca.get(record.id)).status).toBe('valid');
  });

  it('refuses to renew a revoked certificate', async () => {
    const { record } = await pki.client('web');
    await pki.ca.revoke(record.id, 'keyCompromise');
    await expect(pki.ca.renew(record.id)).rejects.toMatchObject({ code: 'ERR_CERT_REVOKED' });
  });

  it('finds a certificate by id, serial with colons, or fingerprint', async () => {
    const { record } = await pki.client('web');
    const colons = record.serial.toUpperCase().match(/../g)!.join(':');
    expect((await pki.ca.get(colons)).id).toBe(record.id);
    expect((await pki.ca.get(record.fingerprint_sha256)).id).toBe(record.id);
    await expect(pki.ca.get('nope')).rejects.toMatchObject({ code: 'ERR_CERT_NOT_FOUND' });
  });

  it('refuses --p12 with a CSR before writing anything', async () => {
    const other = await pki.client('other');
    const csrPem = execFileSync('openssl', ['req', '-new', '-key', other.record.files.key!, '-subj', '/CN=x'], { encoding: 'utf8' });
    const before = (await pki.ca.list()).length;
    await expect(pki.ca.issue({ type: 'client', service: 'x', csrPem, p12: true })).rejects.toMatchObject({ code: 'ERR_ARGUMENT_INVALID' });
    expect((await pki.ca.list()).length).toBe(before);
  });

  it('keeps the replaced CA aside on init --force', async () => {
    const again = await pki.ca.init({ force: true });
    expect(again.created).toBe(true);
    expect(again.replaced).toBeDefined();
    expect(readFileSync(join(again.replaced!, 'ca.pem'), 'utf8')).toBe(pki.caPem);
    expect((await pki.ca.init()).created).toBe(false);
  });
});
