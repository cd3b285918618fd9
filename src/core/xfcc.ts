/**
 * The verified client identity as an `X-Forwarded-Client-Cert` header value in
 * Envoy's format: `Hash=<sha256 hex of the DER>;Subject="<RFC 4514 subject>";
 * URI=<uri SAN>;DNS=<dns SAN>`, one `URI=`/`DNS=` pair per SAN. Built from the
 * certificate's structure (./der.ts), never from Node's display strings. Every
 * listener that tells a backend who the client is (HTTP mode, MCP fronts with
 * `backend.url`) uses this one builder.
 */
import { createHash } from 'node:crypto';
import { readCertificateNames } from './der.js';
import type { PeerIdentity } from './identity.js';

export const XFCC_ELEMENTS = ['hash', 'subject', 'uri', 'dns'] as const;
export type XfccElement = (typeof XFCC_ELEMENTS)[number];

/** Envoy's default set: the certificate hash, subject, URI and DNS SANs. */
export const DEFAULT_XFCC: XfccElement[] = ['hash', 'subject', 'uri', 'dns'];

/** The header name, lowercase as HTTP/2 wants it. */
export const XFCC_HEADER = 'x-forwarded-client-cert';

/** Envoy quotes a value that holds `,`, `;` or `=` (and escapes `"` and `\` inside). */
function quoteIfNeeded(value: string): string {
  return /[,;="\\\s]/.test(value) ? `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"` : value;
}

/** RFC 4514 escaping of one attribute value. */
function escapeRdnValue(value: string): string {
  return value.replace(/[,+"\\<>;=]/g, (c) => `\\${c}`).replace(/^[ #]/, (c) => `\\${c}`).replace(/ $/, '\\ ');
}

/** The subject as RFC 4514 text (most specific first, e.g. `CN=web,OU=ops,O=acme`). */
export function subjectRfc4514(der: Buffer): string {
  let subject: Record<string, string[]>;
  try {
    subject = readCertificateNames(der).subject;
  } catch {
    return '';
  }
  const parts: string[] = [];
  for (const [key, values] of Object.entries(subject)) for (const v of values) parts.push(`${key}=${escapeRdnValue(v)}`);
  return parts.reverse().join(',');
}

/** The header value for one verified identity, with the elements asked for, in Envoy's order. */
export function xfccValue(identity: Pick<PeerIdentity, 'cert' | 'uri' | 'dns'>, elements: readonly XfccElement[] = DEFAULT_XFCC): string {
  const want = new Set(elements);
  const out: string[] = [];
  if (want.has('hash')) out.push(`Hash=${createHash('sha256').update(identity.cert.raw).digest('hex')}`);
  if (want.has('subject')) out.push(`Subject="${subjectRfc4514(identity.cert.raw).replace(/["\\]/g, (c) => `\\${c}`)}"`);
  if (want.has('uri')) for (const u of identity.uri) out.push(`URI=${quoteIfNeeded(u)}`);
  if (want.has('dns')) for (const d of identity.dns) out.push(`DNS=${quoteIfNeeded(d)}`);
  return out.join(';');
}
