/**
 * What `cert info` shows for any PEM certificate, ours or not: subject, issuer,
 * SANs, EKU, key type and size, signature algorithm, validity, fingerprint.
 */
import { X509Certificate as NodeX509 } from 'node:crypto';
import { TlsmcpError } from '../errors.js';
import { x509 } from './x509.js';
import { normalizeSerial } from './serial.js';

export interface CertDetails {
  subject: string;
  issuer: string;
  serial: string;
  sans: { dns: string[]; ip: string[]; uri: string[]; email: string[] };
  eku: string[];
  is_ca: boolean;
  key_type: string;
  key_bits: number;
  signature_algorithm: string;
  not_before: string;
  not_after: string;
  fingerprint_sha256: string;
  self_signed: boolean;
}

const EKU_NAMES: Record<string, string> = {
  [x509.ExtendedKeyUsage.serverAuth]: 'serverAuth',
  [x509.ExtendedKeyUsage.clientAuth]: 'clientAuth',
  [x509.ExtendedKeyUsage.codeSigning]: 'codeSigning',
  [x509.ExtendedKeyUsage.emailProtection]: 'emailProtection',
  [x509.ExtendedKeyUsage.timeStamping]: 'timeStamping',
  [x509.ExtendedKeyUsage.ocspSigning]: 'OCSPSigning',
};

const SIG_NAMES: Record<string, string> = {
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.3.101.112': 'ed25519',
};

export function parseCertificatePem(pem: string): x509.X509Certificate {
  try {
    return new x509.X509Certificate(pem.trim());
  } catch (err) {
    throw new TlsmcpError('ERR_CERT_INVALID', 'not a PEM X.509 certificate', { fix: 'pass a file with -----BEGIN CERTIFICATE-----', cause: err });
  }
}

export function describeCertificate(pem: string): CertDetails {
  const cert = parseCertificatePem(pem);
  const node = new NodeX509(pem);
  // node.publicKey is already a public KeyObject; createPublicKey() would reject it.
  const key = node.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  const keyBits = details.modulusLength ?? curveBits(details.namedCurve);
  const keyType = keyTypeName(key.asymmetricKeyType, details.namedCurve, keyBits);
  const sans = { dns: [] as string[], ip: [] as string[], uri: [] as string[], email: [] as string[] };
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  for (const n of san?.names.items ?? []) {
    if (n.type === 'dns') sans.dns.push(n.value);
    else if (n.type === 'ip') sans.ip.push(n.value);
    else if (n.type === 'url') sans.uri.push(n.value);
    else if (n.type === 'email') sans.email.push(n.value);
  }
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  const sigOid = (cert.signatureAlgorithm as { name?: string; hash?: { name?: string } }) ?? {};
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    serial: normalizeSerial(cert.serialNumber),
    sans,
    eku: (eku?.usages ?? []).map((u) => EKU_NAMES[String(u)] ?? String(u)),
    is_ca: bc?.ca ?? false,
    key_type: keyType,
    key_bits: keyBits,
    signature_algorithm: signatureName(cert) ?? `${sigOid.name ?? 'unknown'}${sigOid.hash?.name ? `/${sigOid.hash.name}` : ''}`,
    not_before: cert.notBefore.toISOString(),
    not_after: cert.notAfter.toISOString(),
    fingerprint_sha256: node.fingerprint256,
    self_signed: cert.subject === cert.issuer,
  };
}

/** Names keys the way --key-type does (ecdsa-p256, rsa-2048), other kinds as Node names them. */
function keyTypeName(kind: string | undefined, curve: string | undefined, bits: number): string {
  if (kind === 'ec') {
    const names: Record<string, string> = { prime256v1: 'ecdsa-p256', secp384r1: 'ecdsa-p384', secp521r1: 'ecdsa-p521' };
    return names[curve ?? ''] ?? `ecdsa-${curve ?? 'unknown'}`;
  }
  if (kind === 'rsa' || kind === 'rsa-pss') return `${kind}-${bits}`;
  return kind ?? 'unknown';
}

function curveBits(curve: string | undefined): number {
  if (curve === 'prime256v1') return 256;
  if (curve === 'secp384r1') return 384;
  if (curve === 'secp521r1') return 521;
  return 0;
}

/** The signature algorithm OID, read from the DER by the library's own parser. */
function signatureName(cert: x509.X509Certificate): string | undefined {
  const oid = (cert as unknown as { asn: { signatureAlgorithm: { algorithm: string } } }).asn?.signatureAlgorithm?.algorithm;
  return oid ? (SIG_NAMES[oid] ?? oid) : undefined;
}
