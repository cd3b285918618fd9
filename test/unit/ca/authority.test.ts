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
