import { execFileSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildPkcs12, writePkcs12 } from '../../../src/ca/pkcs12.js';
import { createTestPki, type TestPki } from '../../helpers/ca-fixture.js';

let pki: TestPki;
beforeEach(async () => {
  pki = await createTestPki();
});
afterEach(() => pki.cleanup());

function opensslPkcs12(file: string, password: string): string {
  return execFileSync('openssl', ['pkcs12', '-in', file, '-nodes', '-passin', `pass:${password}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('PKCS#12 bundles', () => {
  it.each(['ecdsa-p256', 'rsa-2048'] as const)('holds a %s key, its certificate and the CA, readable by OpenSSL and Node', async (keyType) => {
    const issued = await pki.client('web', { keyType });
    const file = join(pki.dir, `${keyType}.p12`);
    await writePkcs12(file, { certPem: issued.certPem, keyPem: issued.keyPem!, caPem: pki.caPem, password: '' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const out = opensslPkcs12(file, '');
    expect(out).toContain('-----BEGIN PRIVATE KEY-----');
    expect(out.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(2);
    expect(out).toContain('subject=CN = web');
    expect(() => createSecureContext({ pfx: readFileSync(file), passphrase: '' })).not.toThrow();
  });

  it('protects the key and MAC with the password (non-ASCII included)', async () => {
    const issued = await pki.client('web');
    const file = join(pki.dir, 'pw.p12');
    await writePkcs12(file, { certPem: issued.certPem, keyPem: issued.keyPem!, caPem: pki.caPem, password: 'pässwörd' });
    expect(opensslPkcs12(file, 'pässwörd')).toContain('BEGIN PRIVATE KEY');
    expect(() => opensslPkcs12(file, 'wrong')).toThrow();
  });

  it('never carries the key in clear: the private scalar is not in the DER', async () => {
    const issued = await pki.client('web');
    const der = Buffer.from(await buildPkcs12({ certPem: issued.certPem, keyPem: issued.keyPem!, caPem: pki.caPem, password: '' }));
    const scalar = Buffer.from(createPrivateKey(issued.keyPem!).export({ format: 'jwk' }).d!, 'base64url');
    expect(scalar).toHaveLength(32);
    expect(der.includes(scalar)).toBe(false);
  });
});
