import 'reflect-metadata';
import { X509Certificate, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityOf, sanList } from '../../../src/core/identity.js';
import { readCertificateNames } from '../../../src/core/der.js';
import { createTestPki, type TestPki } from '../../helpers/ca-fixture.js';

/** A self-signed certificate with names the CA would refuse, built with @peculiar/x509. */
async function selfSigned(subject: x509.JsonName, sans: x509.JsonGeneralNames = []): Promise<X509Certificate> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '0a1b',
    name: new x509.Name(subject),
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
    signingAlgorithm: alg,
    extensions: sans.length ? [new x509.SubjectAlternativeNameExtension(sans)] : [],
  });
  return new X509Certificate(Buffer.from(cert.rawData));
}

describe('core identity: one parser from the certificate structure', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await createTestPki();
  });
  afterAll(() => pki.cleanup());

  it('reads CN, O, OU, DNS/URI/IP SANs, the normalized serial and the fingerprint', async () => {
    const issued = await pki.client('alice', { o: 'acme', ou: 'eng', dns: ['alice.internal'], uri: ['spiffe://example.org/ns/prod/sa/alice'], ip: ['10.0.0.1', '::1'] });
    const identity = identityOf(new X509Certificate(issued.certPem));
    expect(identity).toMatchObject({ cn: 'alice', o: ['acme'], ou: ['eng'], dns: ['alice.internal'], uri: ['spiffe://example.org/ns/prod/sa/alice'], ip: ['10.0.0.1', '::1'], serial: issued.record.serial });
    expect(identity.fingerprint256).toBe(issued.record.fingerprint_sha256);
    expect(sanList(identity)).toEqual(['dns:alice.internal', 'uri:spiffe://example.org/ns/prod/sa/alice', 'ip:10.0.0.1', 'ip:::1']);
  });

  it('keeps a SAN holding a comma and a quote whole (Node quotes it in its display string)', async () => {
    const issued = await pki.client('bob', { uri: ['spiffe://example.org/a,b"c', 'https://x/y'] });
    expect(identityOf(new X509Certificate(issued.certPem)).uri).toEqual(['spiffe://example.org/a,b"c', 'https://x/y']);
  });

  it('reads a CN with a newline, a comma and "=" as it is, not as Node prints it', async () => {
    const cert = await selfSigned([{ CN: ['web\nCN=admin, O=evil'] }, { O: ['acme'] }], [{ type: 'email', value: 'ops@example.org' }]);
    const identity = identityOf(cert);
    expect(identity.cn).toBe('web\nCN=admin, O=evil');
    expect(identity.o).toEqual(['acme']);
    expect(identity.email).toEqual(['ops@example.org']);
    expect(identity.serial).toBe('0a1b');
  });

  it('reads BMPString attributes (UTF-16) and repeated OUs', async () => {
    const cert = await selfSigned([{ CN: [{ bmpString: 'ünïcode' } as unknown as string] }, { OU: ['a'] }, { OU: ['b'] }]);
    expect(identityOf(cert)).toMatchObject({ cn: 'ünïcode', ou: ['a', 'b'] });
  });

  it('refuses malformed DER instead of reading past it', () => {
    expect(() => readCertificateNames(Buffer.from([0x30, 0x82, 0xff, 0xff, 0x30]))).toThrow(RangeError);
  });
});
