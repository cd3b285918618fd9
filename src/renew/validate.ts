/**
 * A renewed certificate is checked before it is used: signed by our CA,
 * valid now, its key on disk matches it, and it names the same identity
 * (CN and SANs) as the one it replaces. Returns the first failure, if any.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CertRecord } from '../ca/index.js';

export function validateRenewal(oldRecord: CertRecord, newRecord: CertRecord, certPem: string, caCertPem: string, now: Date): string | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    return `the new certificate does not parse: ${(err as Error).message}`;
  }
  if (!cert.verify(new X509Certificate(caCertPem).publicKey)) return 'the new certificate is not signed by this CA';
  if (Date.parse(cert.validFrom) > now.getTime() || Date.parse(cert.validTo) <= now.getTime()) return 'the new certificate is not valid now';
  if (!newRecord.files.key) return 'no key was written for the new certificate';
  try {
    if (!cert.checkPrivateKey(createPrivateKey(readFileSync(newRecord.files.key, 'utf8')))) return 'the key on disk does not match the new certificate';
  } catch (err) {
    return `the new key cannot be read: ${(err as Error).message}`;
  }
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));
  if (newRecord.cn !== oldRecord.cn || !same(newRecord.sans.dns, oldRecord.sans.dns) || !same(newRecord.sans.ip, oldRecord.sans.ip) || !same(newRecord.sans.uri, oldRecord.sans.uri)) {
    return 'the new certificate names a different identity than the one it replaces';
  }
  return undefined;
}
