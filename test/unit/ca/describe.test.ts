import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeCertificate } from '../../../src/ca/describe.js';
import { createTestPki, type TestPki } from '../../helpers/ca-fixture.js';

let pki: TestPki;
beforeEach(async () => {
  pki = await createTestPki();
});
afterEach(() => pki.cleanup());

describe('describeCertificate', () => {
  it('reads the public key of a certificate (bug: createPublicKey on a public KeyObject threw)', async () => {
    const { certPem, record } = await pki.server({ keyType: 'rsa-2048' });
    const d = describeCertificate(certPem);
    expect(d.key_type).toBe('rsa-2048');
    expect(d.key_bits).toBe(2048);
    expect(d.eku).toEqual(['serverAuth']);
    expect(d.sans.dns).toEqual(['localhost']);
    expect(d.sans.ip).toEqual(['127.0.0.1']);
    expect(d.signature_algorithm).toBe('ecdsa-with-SHA256');
    expect(d.serial).toBe(record.serial);
    expect(d.fingerprint_sha256).toBe(record.fingerprint_sha256);
    expect(d.is_ca).toBe(false);
  });

  it('names ECDSA keys as --key-type does and recognises the CA', async () => {
    const client = describeCertificate((await pki.client('web', { keyType: 'ecdsa-p384' })).certPem);
    expect(client).toMatchObject({ key_type: 'ecdsa-p384', key_bits: 384, eku: ['clientAuth'] });
    expect(describeCertificate(pki.caPem)).toMatchObject({ key_type: 'ecdsa-p256', is_ca: true, self_signed: true });
  });

  it('rejects text that is not a certificate with ERR_CERT_INVALID', () => {
    expect(() => describeCertificate('hello')).toThrow(expect.objectContaining({ code: 'ERR_CERT_INVALID' }));
  });
});
