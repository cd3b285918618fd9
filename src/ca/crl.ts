/** A signed CRL (PEM) listing every revoked serial, with reason and time. */
import { toPem } from './keys.js';
import { x509 } from './x509.js';
import type { LoadedCa } from './root.js';
import type { RevocationEntry, RevocationReason } from './types.js';

const REASONS: Record<RevocationReason, x509.X509CrlReason> = {
  unspecified: x509.X509CrlReason.unspecified,
  keyCompromise: x509.X509CrlReason.keyCompromise,
  superseded: x509.X509CrlReason.superseded,
  cessationOfOperation: x509.X509CrlReason.cessationOfOperation,
};

const CRL_VALIDITY_MS = 7 * 86_400_000;

export async function buildCrl(ca: LoadedCa, revoked: RevocationEntry[], now: Date): Promise<string> {
  const crl = await x509.X509CrlGenerator.create({
    issuer: ca.cert.subject,
    thisUpdate: now,
    nextUpdate: new Date(now.getTime() + CRL_VALIDITY_MS),
    entries: revoked.map((r) => ({ serialNumber: r.serial, revocationDate: new Date(r.at), reason: REASONS[r.reason] })),
    signingKey: ca.signingKey,
    signingAlgorithm: ca.signingAlgorithm,
    extensions: [await x509.AuthorityKeyIdentifierExtension.create(ca.cert)],
  });
  // OpenSSL only reads the RFC 7468 label "X509 CRL"; the library writes "CRL".
  return toPem(new Uint8Array(crl.rawData), 'X509 CRL');
}
