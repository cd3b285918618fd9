/**
 * The X.509 extensions tlsmcp puts on certificates: what makes a leaf a client
 * or a server certificate, and what makes the root a CA.
 */
import { isIP } from 'node:net';
import { describeCodePoint, escapeSubjectText, findUnsafeChar } from './subject.js';
import { x509 } from './x509.js';

/** More names than any real certificate carries; a bound keeps a hostile CSR from making a huge one. */
export const MAX_SANS = 100;
import type { CertType, KeyType, Sans } from './types.js';

const EKU = { client: x509.ExtendedKeyUsage.clientAuth, server: x509.ExtendedKeyUsage.serverAuth } as const;

export async function leafExtensions(type: CertType, keyType: KeyType, sans: Sans, publicKey: x509.PublicKey, caCert: x509.X509Certificate) {
  const usage = x509.KeyUsageFlags.digitalSignature | (keyType.startsWith('rsa') ? x509.KeyUsageFlags.keyEncipherment : 0);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(usage, true),
    new x509.ExtendedKeyUsageExtension([EKU[type]], false),
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(caCert),
  ];
  const names = [
    ...sans.dns.map((value) => ({ type: 'dns' as const, value })),
    ...sans.ip.map((value) => ({ type: 'ip' as const, value })),
    ...sans.uri.map((value) => ({ type: 'url' as const, value })),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names, false));
  return extensions;
}

export async function caExtensions(publicKey: x509.PublicKey | import('node:crypto').webcrypto.CryptoKey) {
  return [
    new x509.BasicConstraintsExtension(true, 0, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
    await x509.SubjectKeyIdentifierExtension.create(publicKey as x509.PublicKey),
  ];
}

/** Splits user-given SANs into the three kinds, validating each. Returns problems instead of throwing. */
export function checkSans(sans: Sans): string[] {
  const count = sans.dns.length + sans.ip.length + sans.uri.length;
  if (count > MAX_SANS) return [`${count} subject alternative names, more than the ${MAX_SANS} allowed`];
  const problems: string[] = [];
  for (const d of sans.dns) {
    if (d.length > 253) problems.push(`--dns ${shown(d)}: ${d.length} characters, more than the 253 a DNS name may have`);
    else if (!/^(\*\.)?([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?$/.test(d)) {
      problems.push(`--dns ${shown(d)}: not a valid DNS name`);
    }
  }
  for (const ip of sans.ip) if (isIP(ip) === 0) problems.push(`--ip ${shown(ip)}: not an IPv4 or IPv6 address`);
  for (const uri of sans.uri) {
    const bad = findUnsafeChar(uri);
    if (uri.length > 2048) {
      problems.push(`--uri ${shown(uri)}: ${uri.length} characters, more than the 2048 allowed`);
      continue;
    }
    if (bad) {
      problems.push(`--uri ${shown(uri)}: contains ${describeCodePoint(bad.codePoint)} at position ${bad.index}`);
      continue;
    }
    try {
      const u = new URL(uri);
      if (!u.protocol) problems.push(`--uri ${shown(uri)}: missing scheme`);
    } catch {
      problems.push(`--uri ${shown(uri)}: not a valid URI (e.g. spiffe://example.org/ns/prod/sa/api)`);
    }
  }
  return problems;
}

/** A user value as it may appear in a message: escaped, and cut if long. */
function shown(value: string): string {
  const escaped = escapeSubjectText(value);
  return escaped.length > 80 ? `${escaped.slice(0, 80)}… (${value.length} characters)` : escaped;
}
