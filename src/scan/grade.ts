/**
 * The letter grade, after the SSL Labs Server Rating Guide 2009r. Exactly these
 * rules are implemented:
 *
 * Scores (0-100), combined as 30% protocol + 30% key exchange + 40% cipher:
 *  - protocol: (best + worst offered) / 2, with SSL 3 = 80, TLS 1.0 = 90,
 *    TLS 1.1 = 95, TLS 1.2 = 100, TLS 1.3 = 100.
 *  - key exchange: the weakest of the leaf key and every ephemeral key seen,
 *    in RSA-equivalent bits (P-256/X25519 = 3072, P-384 = 7680): < 512 → 20,
 *    < 1024 → 40, < 2048 → 80, < 4096 → 90, else 100; anonymous suites → 0;
 *    EXPORT suites → 40.
 *  - cipher: (strongest + weakest accepted suite) / 2, with 0 bits (NULL) → 0,
 *    < 128 → 20, < 256 → 80, >= 256 → 100.
 * Letter from the total: A >= 80, B >= 65, C >= 50, D >= 35, E >= 20, else F.
 *
 * Caps (the lowest applies):
 *  - F: NULL, anonymous or EXPORT suites accepted; a key under 1024 bits.
 *  - C: SSL 3 offered; RC4 or 3DES accepted; neither TLS 1.2 nor TLS 1.3 offered.
 *  - B: TLS 1.0 or 1.1 offered; leaf key or DH parameters under 2048 bits; no
 *    suite with forward secrecy, or a default (modern) client gets one without
 *    it; no AEAD suite; an incomplete chain (sent without an intermediate the
 *    scanner could obtain: from the local CA, --intermediates or the AIA
 *    caIssuers URL; the reason names which).
 *  - A-: no TLS 1.3; TLS <= 1.2 offered without secure renegotiation (RFC 5746).
 *  - A+: an A with HSTS max-age >= 15552000 s (180 days) and no warnings, where a
 *    warning is any finding of severity low or above.
 * Trust and name, shown instead of the letter (which stays in grade_if_trusted):
 *  - T: the chain (completed as above when sent incomplete) is trusted by neither
 *    Node's root store nor the local CA; a missing issuer that could not be
 *    obtained; or the leaf is self-signed, expired, not yet valid, or signed
 *    with SHA-1.
 *    Revocation is not checked (no OCSP or CRL fetch), so "revoked" never gives T.
 *  - M: the certificate does not match the SNI name (or host). T wins over M.
 * Not implemented (not observable here): SSL 2, insecure client-initiated
 * renegotiation, Heartbleed and other vulnerability caps, DH parameter reuse,
 * and the "forward secrecy with modern clients" simulation beyond one
 * default Node client handshake.
 */
import type { Finding, GradeReport, ScanReport } from './report-schema.js';

type Letter = GradeReport['grade_if_trusted'];
const ORDER: Letter[] = ['A+', 'A', 'A-', 'B', 'C', 'D', 'E', 'F'];

const PROTOCOL_POINTS: Record<string, number> = { SSLv3: 80, TLSv1: 90, 'TLSv1.1': 95, 'TLSv1.2': 100, 'TLSv1.3': 100 };

export interface GradeInput {
  report: Omit<ScanReport, 'grade' | 'findings'>;
  findings: Finding[];
  /** Secure renegotiation seen in a TLS <= 1.2 ServerHello; undefined when not visible. */
  secureRenegotiation: boolean | undefined;
  /** The suite a default Node client negotiated had forward secrecy; undefined when no handshake completed. */
  defaultClientForwardSecrecy: boolean | undefined;
}

/** RSA-equivalent strength of an ephemeral key as getEphemeralKeyInfo names it. */
export function ephemeralStrength(text: string): number | undefined {
  const [name, sizeText] = text.split(' ');
  const size = Number(sizeText);
  if (!name) return undefined;
  if (/^(X25519|prime256v1|P-256)$/i.test(name)) return 3072;
  if (/^(X448|secp384r1|P-384)$/i.test(name)) return 7680;
  if (/^(secp521r1|P-521)$/i.test(name)) return 15360;
  if (/^DH$/i.test(name) && Number.isFinite(size)) return size;
  return undefined;
}

function kxPoints(bits: number): number {
  if (bits < 512) return 20;
  if (bits < 1024) return 40;
  if (bits < 2048) return 80;
  if (bits < 4096) return 90;
  return 100;
}

function cipherPoints(bits: number): number {
  if (bits === 0) return 0;
  if (bits < 128) return 20;
  if (bits < 256) return 80;
  return 100;
}

function letterFor(score: number): Letter {
  if (score >= 80) return 'A';
  if (score >= 65) return 'B';
  if (score >= 50) return 'C';
  if (score >= 35) return 'D';
  if (score >= 20) return 'E';
  return 'F';
}

const worse = (a: Letter, b: Letter): Letter => (ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b);

export function computeGrade(input: GradeInput): GradeReport {
  const { report } = input;
  const offered = report.protocols.filter((p) => p.status === 'offered').map((p) => p.name);
  const protoPts = offered.map((p) => PROTOCOL_POINTS[p] ?? 0);
  const protocolScore = protoPts.length ? (Math.max(...protoPts) + Math.min(...protoPts)) / 2 : 0;

  const leaf = report.chain?.certificates[0];
  const strengths = [
    ...(leaf ? [leaf.key_strength] : []),
    ...report.suites.flatMap((s) => (s.key_exchange ? [ephemeralStrength(s.key_exchange)] : [])).filter((n): n is number => n !== undefined),
  ];
  const weakestKx = strengths.length ? Math.min(...strengths) : undefined;
  let keyExchangeScore = weakestKx === undefined ? 0 : kxPoints(weakestKx);
  const anon = report.suites.some((s) => /anonymous/.test(s.weak ?? ''));
  const exportSuite = report.suites.some((s) => /export/.test(s.weak ?? ''));
  if (exportSuite) keyExchangeScore = Math.min(keyExchangeScore, 40);
  if (anon) keyExchangeScore = 0;

  const bits = report.suites.map((s) => cipherPoints(s.bits));
  const cipherScore = bits.length ? (Math.max(...bits) + Math.min(...bits)) / 2 : 0;
  const score = Math.round(0.3 * protocolScore + 0.3 * keyExchangeScore + 0.4 * cipherScore);

  const caps: GradeReport['caps'] = [];
  let letter = letterFor(score);
  const cap = (to: Letter, reason: string) => {
    caps.push({ cap: to, reason });
    letter = worse(letter, to);
  };
  const has = (p: string) => offered.includes(p as (typeof offered)[number]);
  if (report.suites.some((s) => s.weak === 'NULL encryption')) cap('F', 'NULL-encryption suites accepted');
  if (anon) cap('F', 'anonymous (unauthenticated) suites accepted');
  if (exportSuite) cap('F', 'EXPORT suites accepted');
  if (weakestKx !== undefined && weakestKx < 1024) cap('F', `key exchange strength ${weakestKx} bits is under 1024`);
  if (has('SSLv3')) cap('C', 'SSL 3 offered');
  if (report.suites.some((s) => s.weak === 'RC4')) cap('C', 'RC4 suites accepted');
  if (report.suites.some((s) => /3DES/.test(s.weak ?? ''))) cap('C', '3DES suites accepted');
  if (offered.length > 0 && !has('TLSv1.2') && !has('TLSv1.3')) cap('C', 'neither TLS 1.2 nor TLS 1.3 offered');
  if (has('TLSv1') || has('TLSv1.1')) cap('B', 'TLS 1.0 or 1.1 offered');
  if (weakestKx !== undefined && weakestKx >= 1024 && weakestKx < 2048) cap('B', `key exchange strength ${weakestKx} bits is under 2048`);
  if (report.suites.length > 0 && !report.suites.some((s) => s.forward_secrecy && !/anonymous/.test(s.weak ?? ''))) {
    cap('B', 'no suite with forward secrecy');
  } else if (input.defaultClientForwardSecrecy === false) {
    cap('B', 'a default client negotiates a suite without forward secrecy');
  }
  if (report.suites.length > 0 && !report.suites.some((s) => s.aead)) cap('B', 'no AEAD suite');
  if (report.chain && !report.chain.complete) {
    const path = report.chain.completion.path;
    cap('B', `incomplete certificate chain (${path === 'unobtainable' ? 'issuer not obtainable' : `completed from ${path === 'aia' ? 'AIA caIssuers' : path === 'local-ca' ? 'the local CA' : '--intermediates'}`})`);
  }
  if (offered.length > 0 && !has('TLSv1.3')) cap('A-', 'TLS 1.3 not offered');
  if (input.secureRenegotiation === false) cap('A-', 'no secure renegotiation (RFC 5746) on TLS <= 1.2');

  const hstsOk = (report.hsts?.max_age ?? 0) >= 15_552_000;
  const warnings = input.findings.filter((f) => f.severity !== 'info');
  if (letter === 'A' && hstsOk && warnings.length === 0) letter = 'A+';
  else if (letter === 'A' && !hstsOk) caps.push({ cap: 'A', reason: 'A+ needs HSTS with max-age >= 15552000 (180 days)' });
  else if (letter === 'A' && warnings.length > 0) caps.push({ cap: 'A', reason: `A+ needs no warnings (${warnings.length} found)` });
  if (offered.length === 0) letter = 'F';

  const gradeIfTrusted = letter;
  let grade: GradeReport['grade'] = letter;
  const chain = report.chain;
  if (chain) {
    const reasons: string[] = [];
    const trusted = chain.trusted_system === true || chain.trusted_local_ca === true;
    const verified = chain.trusted_system !== null || chain.trusted_local_ca !== null;
    if (!chain.complete && chain.completion.path === 'unobtainable') reasons.push(`not trusted: chain incomplete and the issuer is not obtainable (${chain.completion.note ?? 'no source'})`);
    else if (verified && !trusted) reasons.push(`not trusted (${chain.local_ca_error ?? chain.system_error ?? 'unknown issuer'})`);
    if (leaf?.self_signed) reasons.push('self-signed leaf');
    if (chain.expired) reasons.push('expired certificate');
    if (chain.not_yet_valid) reasons.push('certificate not yet valid');
    if (leaf && /sha1/i.test(leaf.signature_algorithm)) reasons.push('leaf signed with SHA-1');
    if (!chain.hostname_match) caps.push({ cap: 'M', reason: `hostname mismatch: ${chain.hostname_error ?? chain.hostname}` });
    for (const r of reasons) caps.push({ cap: 'T', reason: r });
    if (reasons.length > 0) grade = 'T';
    else if (!chain.hostname_match) grade = 'M';
  }
  return {
    grade,
    grade_if_trusted: gradeIfTrusted,
    score,
    protocol_score: protocolScore,
    key_exchange_score: keyExchangeScore,
    cipher_score: cipherScore,
    caps,
    guide: 'SSL Labs Server Rating Guide 2009r',
  };
}
