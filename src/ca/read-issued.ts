/**
 * The inventory's view of a certificate, read back from the signed DER rather
 * than copied from the request: what the record says is what the certificate
 * says. A certificate that does not carry what was asked for is not recorded.
 */
import { X509Certificate as NodeX509 } from 'node:crypto';
import { TlsmcpError } from '../errors.js';
import { normalizeSerial } from './serial.js';
import { escapeSubjectText, readSubject } from './subject.js';
import { x509 } from './x509.js';
import type { CertRecord, Sans } from './types.js';

export type IssuedFields = Pick<CertRecord, 'serial' | 'cn' | 'o' | 'ou' | 'sans' | 'not_before' | 'not_after' | 'fingerprint_sha256'>;

export interface Expected {
  cn: string;
  o?: string | undefined;
  ou?: string | undefined;
  sans: Sans;
}

function sansOf(cert: x509.X509Certificate): Sans {
  const sans: Sans = { dns: [], ip: [], uri: [] };
  for (const n of cert.getExtension(x509.SubjectAlternativeNameExtension)?.names.items ?? []) {
    if (n.type === 'dns') sans.dns.push(n.value);
    else if (n.type === 'ip') sans.ip.push(n.value);
    else if (n.type === 'url') sans.uri.push(n.value);
  }
  return sans;
}

const same = (a: string[], b: string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** The record fields of a freshly signed certificate; ERR_INTERNAL if it differs from the request. */
export function readIssued(certPem: string, expected: Expected): IssuedFields {
  const cert = new x509.X509Certificate(certPem);
  const subject = readSubject(cert);
  const sans = sansOf(cert);
  const mismatch =
    subject.cn !== expected.cn
      ? `CN ${JSON.stringify(escapeSubjectText(subject.cn ?? ''))}`
      : subject.o !== expected.o
        ? `O ${JSON.stringify(escapeSubjectText(subject.o ?? ''))}`
        : subject.ou !== expected.ou
          ? `OU ${JSON.stringify(escapeSubjectText(subject.ou ?? ''))}`
          : !same(sans.dns, expected.sans.dns) || !same(sans.uri, expected.sans.uri) || sans.ip.length !== expected.sans.ip.length
            ? 'subject alternative names'
            : undefined;
  if (mismatch) {
    throw new TlsmcpError('ERR_INTERNAL', `the signed certificate does not carry what was requested (${mismatch}); it was not recorded or written`, {
      fix: 'report this as a bug with the arguments used',
    });
  }
  return {
    serial: normalizeSerial(cert.serialNumber),
    cn: subject.cn!,
    ...(subject.o !== undefined ? { o: subject.o } : {}),
    ...(subject.ou !== undefined ? { ou: subject.ou } : {}),
    sans,
    not_before: cert.notBefore.toISOString(),
    not_after: cert.notAfter.toISOString(),
    fingerprint_sha256: new NodeX509(certPem).fingerprint256,
  };
}
