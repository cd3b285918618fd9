/**
 * The probes beyond protocols and suites: ALPN protocols the server offers,
 * the HSTS header of an HTTPS service, and client authentication (is a client
 * certificate requested, is it required).
 */
import type { HandshakeResult, TlsVersion } from './handshake.js';
import type { ProbeContext } from './probe-context.js';
import type { RawHelloResult } from './raw-hello.js';
import type { ScanReport } from './report-schema.js';

const ALPN_CANDIDATES = ['h2', 'http/1.1'];
/** SSL Labs' A+ bar: 180 days. */
export const HSTS_MIN_SECONDS = 15_552_000;

export async function probeAlpn(ctx: ProbeContext, version: TlsVersion): Promise<string[]> {
  const results = await Promise.all(ALPN_CANDIDATES.map((p) => ctx.handshake({ minVersion: version, maxVersion: version, alpn: [p] })));
  return ALPN_CANDIDATES.filter((p, i) => results[i]?.alpn === p);
}

/** One HTTP/1.1 GET of `path` over TLS; null when the service does not answer as HTTP. */
export async function probeHsts(ctx: ProbeContext, version: TlsVersion, hostHeader: string, path = '/'): Promise<ScanReport['hsts']> {
  const request = `GET ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: tlsmcp-scan\r\nAccept: */*\r\nConnection: close\r\n\r\n`;
  const h = await ctx.handshake({ minVersion: version, maxVersion: version, alpn: ['http/1.1'], request });
  const text = h?.response;
  if (!text || !/^HTTP\/1\.[01] \d{3}/.test(text)) return null;
  const head = text.split('\r\n\r\n')[0] ?? '';
  const line = head.split('\r\n').find((l) => /^strict-transport-security:/i.test(l));
  if (!line) return { header: null, max_age: null, include_subdomains: false, note: 'HTTPS response without Strict-Transport-Security' };
  const value = line.slice(line.indexOf(':') + 1).trim();
  const maxAge = /max-age\s*=\s*"?(\d+)"?/i.exec(value);
  return {
    header: value,
    max_age: maxAge ? Number(maxAge[1]) : null,
    include_subdomains: /includesubdomains/i.test(value),
    note: null,
  };
}

/**
 * Client authentication. Required: a handshake without a certificate is
 * refused (TLS 1.3 says so after secureConnect with alert 116, TLS 1.2 fails the
 * handshake). Requested: a CertificateRequest in the plaintext TLS 1.2 flight;
 * TLS 1.3 encrypts it and Node does not expose it, so a TLS 1.3-only server
 * that does not require a certificate gets `requested: null`.
 */
export function clientAuthFrom(
  hasClientCert: boolean,
  raw12: RawHelloResult | undefined,
  /** A handshake made without a client certificate, with awaitVerdict. */
  certless: HandshakeResult | undefined,
): ScanReport['client_auth'] {
  const requestedRaw = raw12?.complete ? raw12.certificateRequested : undefined;
  let required: boolean | null = null;
  if (certless?.secure) {
    required = certless.verdict === 'rejected' ? true : certless.verdict === 'accepted' ? false : null;
  } else if (certless && requestedRaw && !certless.timedOut) {
    required = true;
  }
  const requested = required === true ? true : requestedRaw !== undefined ? requestedRaw : null;
  const parts: string[] = [];
  if (required === true) parts.push('a handshake without a client certificate is refused');
  else if (required === false) parts.push('a handshake without a client certificate is accepted');
  else parts.push('could not tell whether a client certificate is required');
  if (requested === null) parts.push('whether one is requested is not visible (TLS 1.3 encrypts the CertificateRequest)');
  else if (required !== true) parts.push(requested ? 'one is requested (optional)' : 'none is requested');
  if (required === true && !hasClientCert) parts.push('graded on what is visible before the certificate check; pass --cert/--key to scan fully');
  return { requested, required, presented: hasClientCert, note: parts.join('; ') };
}
