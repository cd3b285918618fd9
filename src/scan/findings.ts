/**
 * Turns the scan's observations into findings: each with a stable id, a
 * severity, the evidence seen and the change that removes it. Severity follows
 * impact: critical = traffic readable or server unauthenticated, high = broken
 * trust or deprecated crypto, medium = weakened, low = hygiene, info = facts.
 */
import type { Finding, ScanReport } from './report-schema.js';

type Observed = Omit<ScanReport, 'grade' | 'findings'>;

export interface FindingsExtra {
  secureRenegotiation: boolean | undefined;
  defaultClientForwardSecrecy: boolean | undefined;
  defaultClientSuite: string | undefined;
}

/** Which path completed a chain sent incomplete, in words. */
export function completionText(c: NonNullable<ScanReport['chain']>['completion']): string {
  const from = c.added.map((a) => (a.source === 'aia' ? `${a.subject} from AIA caIssuers ${a.url}` : `${a.subject} from ${a.source === 'local-ca' ? 'the local CA' : '--intermediates'}`));
  if (c.path === 'unobtainable') return c.note ?? 'the issuer could not be obtained';
  return `completed with ${from.join(', then ')}`;
}

const names = (list: { name: string }[]) => [...new Set(list.map((s) => s.name))].join(', ');

export function buildFindings(r: Observed, extra: FindingsExtra): Finding[] {
  const out: Finding[] = [];
  const add = (f: Finding) => out.push(f);
  const offered = (p: string) => r.protocols.some((x) => x.name === p && x.status === 'offered');

  if (offered('SSLv3')) add({ id: 'protocol-sslv3', severity: 'critical', title: 'SSL 3 offered', evidence: 'the server accepted an SSL 3 ClientHello', fix: 'disable SSL 3 (e.g. ssl_protocols TLSv1.2 TLSv1.3; or minVersion: "TLSv1.2")' });
  for (const [p, label] of [['TLSv1', 'TLS 1.0'], ['TLSv1.1', 'TLS 1.1']] as const) {
    if (offered(p)) add({ id: `protocol-${p === 'TLSv1' ? 'tls10' : 'tls11'}`, severity: 'high', title: `${label} offered`, evidence: `a handshake pinned to ${label} succeeded`, fix: `disable ${label}: set the minimum protocol to TLS 1.2 (Node: minVersion: 'TLSv1.2'; nginx: ssl_protocols TLSv1.2 TLSv1.3)` });
  }
  const anyOffered = r.protocols.some((p) => p.status === 'offered');
  if (anyOffered && !offered('TLSv1.2') && !offered('TLSv1.3')) add({ id: 'no-modern-protocol', severity: 'high', title: 'Neither TLS 1.2 nor TLS 1.3 offered', evidence: 'only older protocol versions completed a handshake', fix: 'enable TLS 1.2 and TLS 1.3' });
  if (anyOffered && !offered('TLSv1.3')) add({ id: 'no-tls13', severity: 'low', title: 'TLS 1.3 not offered', evidence: 'a handshake pinned to TLS 1.3 failed', fix: 'enable TLS 1.3 (OpenSSL 1.1.1 or later; Node: maxVersion: "TLSv1.3")' });

  const weakBy = (re: RegExp) => r.suites.filter((s) => re.test(s.weak ?? ''));
  const suiteFinding = (id: string, severity: Finding['severity'], title: string, list: ScanReport['suites'], fix: string) => {
    if (list.length > 0) add({ id, severity, title, evidence: `accepted: ${names(list)}`, fix });
  };
  suiteFinding('suite-null', 'critical', 'NULL-encryption suites accepted', weakBy(/^NULL/), 'remove eNULL suites from the cipher list (add !eNULL)');
  suiteFinding('suite-anonymous', 'critical', 'Anonymous suites accepted (no server authentication)', weakBy(/anonymous/), 'remove anonymous suites from the cipher list (add !aNULL)');
  suiteFinding('suite-export', 'critical', 'EXPORT suites accepted', weakBy(/export/), 'remove EXPORT suites from the cipher list (add !EXPORT)');
  suiteFinding('suite-rc4', 'high', 'RC4 suites accepted', weakBy(/^RC4/), 'remove RC4 from the cipher list (add !RC4)');
  suiteFinding('suite-des', 'high', 'Single-DES suites accepted', weakBy(/single DES/), 'remove DES suites from the cipher list (add !DES)');
  suiteFinding('suite-3des', 'medium', '3DES suites accepted (Sweet32)', weakBy(/3DES/), 'remove 3DES from the cipher list (add !3DES)');
  suiteFinding('suite-cbc-sha1', 'low', 'CBC suites with SHA-1 MAC accepted', weakBy(/CBC with SHA-1/), 'prefer AEAD suites only: ECDHE with AES-GCM or ChaCha20-Poly1305 (Mozilla "intermediate")');

  const nonFs = r.suites.filter((s) => !s.forward_secrecy);
  const fsAny = r.suites.some((s) => s.forward_secrecy && !/anonymous/.test(s.weak ?? ''));
  if (r.suites.length > 0 && !fsAny) add({ id: 'no-forward-secrecy', severity: 'high', title: 'No forward secrecy', evidence: `no accepted suite uses ECDHE or DHE (accepted: ${names(r.suites)})`, fix: 'offer ECDHE suites (and TLS 1.3)' });
  else if (extra.defaultClientForwardSecrecy === false) add({ id: 'default-without-forward-secrecy', severity: 'medium', title: 'A default client gets no forward secrecy', evidence: `a default Node client negotiated ${extra.defaultClientSuite ?? 'a static-RSA suite'}`, fix: 'order ECDHE suites first and enforce the server order' });
  else if (nonFs.length > 0) add({ id: 'suites-without-forward-secrecy', severity: 'low', title: 'Suites without forward secrecy accepted', evidence: `accepted: ${names(nonFs)}`, fix: 'remove static-RSA key exchange suites (add !kRSA)' });
  if (r.suites.length > 0 && !r.suites.some((s) => s.aead)) add({ id: 'no-aead', severity: 'medium', title: 'No AEAD suite', evidence: 'every accepted suite is CBC-mode', fix: 'offer AES-GCM or ChaCha20-Poly1305 suites' });
  if (r.server_preference === false && r.suites.some((s) => s.weak)) add({ id: 'client-preference', severity: 'low', title: 'The server follows the client order', evidence: 'from two orderings of the same suites the server chose differently', fix: 'enforce the server order (honorCipherOrder: true; ssl_prefer_server_ciphers on)' });
  if (extra.secureRenegotiation === false) add({ id: 'no-secure-renegotiation', severity: 'medium', title: 'No secure renegotiation', evidence: 'the TLS <= 1.2 ServerHello has no renegotiation_info extension', fix: 'upgrade the TLS library (RFC 5746 support)' });

  const c = r.chain;
  const leaf = c?.certificates[0];
  if (c && leaf) {
    if (c.expired) add({ id: 'cert-expired', severity: 'critical', title: 'Certificate expired', evidence: `notAfter ${leaf.not_after} (${leaf.days_left} days)`, fix: 'renew the certificate and reload the server (tlsmcp cert renew for local-CA certificates)' });
    else if (leaf.days_left < 30) add({ id: 'cert-expiring', severity: leaf.days_left < 7 ? 'high' : 'medium', title: `Certificate expires in ${leaf.days_left} days`, evidence: `notAfter ${leaf.not_after}`, fix: 'renew before expiry and automate renewal' });
    if (c.not_yet_valid) add({ id: 'cert-not-yet-valid', severity: 'high', title: 'Certificate not yet valid', evidence: `notBefore ${leaf.not_before}`, fix: 'fix the issuing clock or reissue with a notBefore in the past' });
    if (leaf.self_signed) add({ id: 'cert-self-signed', severity: 'high', title: 'Self-signed certificate', evidence: `subject = issuer = ${leaf.subject}`, fix: 'use a certificate issued by a CA clients trust (tlsmcp cert issue --type server, or a public CA)' });
    const trusted = c.trusted_system === true || c.trusted_local_ca === true;
    if (!trusted && !leaf.self_signed && (c.trusted_system !== null || c.trusted_local_ca !== null)) {
      add({ id: 'cert-untrusted', severity: 'high', title: 'Chain not trusted', evidence: `system store: ${c.system_error ?? 'n/a'}; local CA: ${c.trusted_local_ca === null ? 'not given' : (c.local_ca_error ?? 'ok')}`, fix: 'serve a chain that ends at a trusted root, or pass the private root with --ca' });
    }
    if (!c.hostname_match) add({ id: 'cert-hostname-mismatch', severity: 'high', title: 'Certificate does not match the host name', evidence: c.hostname_error ?? `${c.hostname} not in ${leaf.sans.dns.join(', ')}`, fix: `reissue the certificate with ${c.hostname} in subjectAltName, or scan with the right --sni` });
    if (!c.complete) {
      const sentLast = c.certificates[c.certificates.length - 1];
      add({
        id: 'cert-chain-incomplete',
        severity: c.completion.path === 'unobtainable' ? 'high' : 'medium',
        title: c.completion.path === 'unobtainable' ? 'Incomplete certificate chain, issuer not obtainable' : 'Incomplete certificate chain (completed by the scanner)',
        evidence: `the last certificate sent (${sentLast?.subject}) is not a root and its issuer (${sentLast?.issuer}) is not a known anchor; ${completionText(c.completion)}`,
        fix: 'send the intermediate certificates after the leaf (cert file = leaf + intermediates): clients that do not fetch AIA fail otherwise',
      });
    }
    if (!c.in_order) add({ id: 'cert-chain-order', severity: 'low', title: 'Chain not in order', evidence: 'a certificate is not issued by the one after it', fix: 'send the leaf first, then each issuer in turn' });
    if (/sha1|md5/i.test(leaf.signature_algorithm)) add({ id: 'cert-weak-signature', severity: 'high', title: 'Certificate signed with a weak hash', evidence: `signature algorithm ${leaf.signature_algorithm}`, fix: 'reissue with SHA-256 or better' });
    const keyFix = 'reissue with RSA 2048+ or ECDSA P-256 (tlsmcp issues ECDSA P-256 by default)';
    if (leaf.key_strength < 1024) add({ id: 'cert-weak-key', severity: 'critical', title: `Key too small (${leaf.key_type} ${leaf.key_bits})`, evidence: `${leaf.key_bits}-bit ${leaf.key_type} key`, fix: keyFix });
    else if (leaf.key_strength < 2048) add({ id: 'cert-weak-key', severity: 'high', title: `Key under 2048 bits (${leaf.key_type} ${leaf.key_bits})`, evidence: `${leaf.key_bits}-bit ${leaf.key_type} key`, fix: keyFix });
  }
  const weakDh = r.suites.filter((s) => /^DH \d+/.test(s.key_exchange ?? '') && Number(s.key_exchange?.split(' ')[1]) < 2048);
  if (weakDh.length > 0) add({ id: 'dh-weak', severity: 'high', title: 'DH parameters under 2048 bits', evidence: `${weakDh[0]?.key_exchange} with ${names(weakDh)}`, fix: 'use 2048-bit or larger DH groups (ffdhe2048), or drop DHE for ECDHE' });

  if (r.client_auth.required === true && !r.client_auth.presented) add({ id: 'client-cert-required', severity: 'info', title: 'Client certificate required', evidence: r.client_auth.note, fix: 'nothing to fix; pass --cert/--key to scan what is behind the certificate check' });
  else if (r.client_auth.requested === true && r.client_auth.required === false) add({ id: 'client-cert-optional', severity: 'info', title: 'Client certificate requested but optional', evidence: r.client_auth.note, fix: 'require client certificates (mtls.mode: required) if every client has one' });
  if (r.ocsp_stapling === false && c && !leaf?.self_signed) add({ id: 'ocsp-not-stapled', severity: 'info', title: 'No OCSP stapling', evidence: 'no OCSP response was stapled to the handshake', fix: 'enable OCSP stapling if the CA runs an OCSP responder' });
  if (r.hsts && r.hsts.header === null) add({ id: 'hsts-missing', severity: 'low', title: 'No HSTS header', evidence: 'the HTTPS response has no Strict-Transport-Security', fix: 'send Strict-Transport-Security: max-age=31536000; includeSubDomains' });
  else if (r.hsts && (r.hsts.max_age ?? 0) < 15_552_000) add({ id: 'hsts-short', severity: 'low', title: 'HSTS max-age under 180 days', evidence: `Strict-Transport-Security: ${r.hsts.header}`, fix: 'raise max-age to at least 15552000 (180 days); 31536000 is usual' });
  if (r.partial) add({ id: 'scan-partial', severity: 'info', title: 'Scan cut short by the deadline', evidence: 'some probes were not run', fix: 'raise scan.deadline or --deadline' });
  // Most severe first; within a severity, the order above (stable sort).
  return out.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
}

const SEVERITY_RANK: Record<Finding['severity'], number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
