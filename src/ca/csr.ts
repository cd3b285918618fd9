/**
 * Reads a PKCS#10 request: checks its self-signature (proof the requester holds
 * the key), and pulls out the public key, subject CN and requested SANs.
 */
import { createPublicKey } from 'node:crypto';
import { TlsmcpError } from '../errors.js';
import { keyTypeOf } from './keys.js';
import { checkForeignSubject } from './subject.js';
import { x509 } from './x509.js';
import type { KeyType, Sans } from './types.js';

export interface ParsedCsr {
  publicKey: x509.PublicKey;
  keyType: KeyType;
  cn: string | undefined;
  sans: Sans;
}

/** A PKCS#10 request with an RSA-4096 key and a hundred SANs is a few KiB; anything past this is not one. */
export const CSR_MAX_BYTES = 64 * 1024;

export async function parseCsr(pem: string): Promise<ParsedCsr> {
  if (Buffer.byteLength(pem, 'utf8') > CSR_MAX_BYTES) {
    throw new TlsmcpError('ERR_CSR_INVALID', `the CSR is ${Buffer.byteLength(pem, 'utf8')} bytes, more than the ${CSR_MAX_BYTES} a certificate request can need`, {
      fix: 'pass the file made by `openssl req -new` (-----BEGIN CERTIFICATE REQUEST-----)',
    });
  }
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem.trim());
  } catch (err) {
    throw new TlsmcpError('ERR_CSR_INVALID', 'the CSR is not a PEM PKCS#10 certificate request', {
      fix: 'pass the file made by `openssl req -new` (-----BEGIN CERTIFICATE REQUEST-----)',
      cause: err,
    });
  }
  let valid = false;
  try {
    valid = await csr.verify();
  } catch (err) {
    throw new TlsmcpError('ERR_CSR_INVALID', `the CSR signature cannot be checked: ${(err as Error).message}`, { cause: err });
  }
  if (!valid) {
    throw new TlsmcpError('ERR_CSR_INVALID', 'the CSR signature does not verify: it was altered or not signed by its own key', {
      fix: 'make a new CSR with the private key that belongs to it',
    });
  }
  checkForeignSubject('--csr', csr.subjectName);
  let keyType: KeyType;
  try {
    keyType = keyTypeOf(createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' }));
  } catch (err) {
    throw new TlsmcpError('ERR_CSR_INVALID', `the CSR's key is not supported: ${(err as Error).message}`, {
      fix: 'make the CSR with an ECDSA P-256/P-384 or RSA 2048/3072/4096 key',
      cause: err,
    });
  }
  const cn = csr.subjectName.getField('CN')[0];
  const sans: Sans = { dns: [], ip: [], uri: [] };
  const sanExt = csr.extensions.find((e): e is x509.SubjectAlternativeNameExtension => e instanceof x509.SubjectAlternativeNameExtension);
  for (const name of sanExt?.names.items ?? []) {
    if (name.type === 'dns') sans.dns.push(name.value);
    else if (name.type === 'ip') sans.ip.push(name.value);
    else if (name.type === 'url') sans.uri.push(name.value);
  }
  return { publicKey: csr.publicKey, keyType, cn, sans };
}
