/**
 * One certificate as the scan reports it, parsed from DER: names, SANs,
 * validity, key, signature algorithm. Node's X509Certificate gives the key and
 * issuer checks; @peculiar/x509 gives the signature algorithm, which Node does
 * not expose (no hand-written ASN.1 here).
 */
import 'reflect-metadata';
import { X509Certificate as NodeX509 } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { CertInfo } from './report-schema.js';

const DAY_MS = 86_400_000;

/** RSA-equivalent strength of EC curves and EdDSA keys (NIST SP 800-57). */
const CURVE_STRENGTH: Record<string, number> = {
  prime256v1: 3072,
  'P-256': 3072,
  secp384r1: 7680,
  'P-384': 7680,
  secp521r1: 15360,
  'P-521': 15360,
};

function signatureAlgorithmName(cert: x509.X509Certificate): string {
  try {
    const alg = cert.signatureAlgorithm as { name: string; hash?: { name: string } };
    const hash = alg.hash?.name ?? '';
    const h = hash.replace('-', '').toLowerCase();
    if (alg.name === 'RSASSA-PKCS1-v1_5') return `${h}WithRSAEncryption`;
    if (alg.name === 'ECDSA') return `ecdsa-with-${hash.replace('-', '')}`;
    if (alg.name === 'RSA-PSS') return `rsassa-pss (${hash})`;
    return hash ? `${alg.name} (${hash})` : alg.name;
  } catch {
    return 'unknown';
  }
}

function sansOf(cert: x509.X509Certificate): CertInfo['sans'] {
  const sans: CertInfo['sans'] = { dns: [], ip: [], uri: [], email: [] };
  const ext = cert.getExtension(x509.SubjectAlternativeNameExtension);
  for (const name of ext?.names.items ?? []) {
    if (name.type === 'dns') sans.dns.push(name.value);
    else if (name.type === 'ip') sans.ip.push(name.value);
    else if (name.type === 'url') sans.uri.push(name.value);
    else if (name.type === 'email') sans.email.push(name.value);
  }
  return sans;
}

/** The DER's key type, size and RSA-equivalent strength. */
export function keyOf(cert: NodeX509): { type: string; bits: number; strength: number } {
  const key = cert.publicKey;
  const type = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'ec') {
    const curve = details.namedCurve ?? 'unknown';
    const bits = /521/.test(curve) ? 521 : /384/.test(curve) ? 384 : /256/.test(curve) ? 256 : 0;
    return { type: `ec ${curve}`, bits, strength: CURVE_STRENGTH[curve] ?? bits * 12 };
  }
  if (type === 'ed25519') return { type, bits: 256, strength: 3072 };
  if (type === 'ed448') return { type, bits: 456, strength: 7680 };
  const bits = details.modulusLength ?? 0;
  return { type, bits, strength: bits };
}

/** True when the certificate names itself as issuer and its own key verifies it. */
export function isSelfSigned(cert: NodeX509): boolean {
  try {
    // Not checkIssued(cert): OpenSSL also wants keyCertSign there, which self-signed leaves lack.
    return cert.subject === cert.issuer && cert.verify(cert.publicKey);
  } catch {
    return false;
  }
}

/** Whether `issuer` issued and signed `cert`. */
export function issuedBy(cert: NodeX509, issuer: NodeX509): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

export function parseCertificate(der: Buffer, nowMs: number): CertInfo {
  const node = new NodeX509(der);
  const peculiar = new x509.X509Certificate(der);
  const notAfter = peculiar.notAfter;
  const key = keyOf(node);
  return {
    subject: peculiar.subject,
    issuer: peculiar.issuer,
    serial: node.serialNumber.toLowerCase(),
    sans: sansOf(peculiar),
    not_before: peculiar.notBefore.toISOString(),
    not_after: notAfter.toISOString(),
    days_left: Math.floor((notAfter.getTime() - nowMs) / DAY_MS),
    key_type: key.type,
    key_bits: key.bits,
    key_strength: key.strength,
    signature_algorithm: signatureAlgorithmName(peculiar),
    self_signed: isSelfSigned(node),
    is_ca: node.ca,
    fingerprint_sha256: node.fingerprint256,
  };
}
