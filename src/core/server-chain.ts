/**
 * The certificate chain a listener sends, decided once per secure context.
 *
 * A server certificate given alone (no intermediates in its PEM) makes OpenSSL
 * build the chain again in every handshake: a full X509_verify_cert of our own
 * certificate against the trust store, about 0.9 M instructions, 12–16 % of a
 * new mTLS connection (bench/native-callgrind.ts, bench/callgrind.ts). Giving it
 * the chain it would have built turns that off and sends the same bytes: the
 * leaf, then each issuer found among the trust anchors, up to and including a
 * self-signed root. A leaf whose issuer is not among them goes alone, as
 * OpenSSL would send it.
 *
 * The root stays in because Node offers no way to say "no chain" other than
 * giving one (an empty chain makes OpenSSL build it per handshake again). The
 * native listener has SSL_CTX_build_cert_chain and leaves the root out
 * (native/src/tls-context.c): a client holds it already to trust us at all.
 */
import { X509Certificate } from 'node:crypto';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
/** Deeper than any real PKI; bounds a loop over a hostile trust list. */
const MAX_DEPTH = 8;

function certificates(pem: string): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const block of pem.match(PEM_BLOCK) ?? []) {
    try {
      out.push(new X509Certificate(block));
    } catch {
      // Not ours to judge here: the secure context reports an unreadable certificate itself.
    }
  }
  return out;
}

function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

/** `certPem` with its issuers from `trustPems` appended, when `certPem` holds the leaf alone. */
export function withIssuerChain(certPem: string, trustPems: readonly string[]): string {
  const own = certPem.match(PEM_BLOCK) ?? [];
  if (own.length !== 1 || trustPems.length === 0) return certPem;
  const anchors = trustPems.flatMap(certificates);
  let current: X509Certificate | undefined = certificates(certPem)[0];
  if (!current) return certPem;
  const chain: string[] = [];
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const from: X509Certificate = current;
    const issuer: X509Certificate | undefined = anchors.find((a) => issuedBy(from, a));
    if (!issuer || chain.includes(issuer.toString())) break;
    chain.push(issuer.toString());
    if (issuer.checkIssued(issuer)) break; // a self-signed root ends the chain
    current = issuer;
  }
  if (chain.length === 0) return certPem;
  return `${certPem.trimEnd()}\n${chain.join('')}`;
}
