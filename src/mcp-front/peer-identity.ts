/**
 * Who is on the other end of a TLS connection, as the MCP front sees it: the
 * client certificate's subject, SANs and serial, read once per socket. This is
 * what the audit trail records and what authorization rules match against.
 */
import type { TLSSocket } from 'node:tls';
import type { PeerCertificate } from 'node:tls';
import { normalizeSerial } from '../ca/serial.js';

export interface PeerIdentity {
  /** Whether the chain validated against the trusted roots. */
  authorized: boolean;
  /** OpenSSL's reason when not authorized, e.g. CERT_HAS_EXPIRED. */
  authorizationError: string | undefined;
  cn: string | undefined;
  o: string[];
  ou: string[];
  sans: { dns: string[]; uri: string[]; ip: string[]; email: string[] };
  /** Normalized like the CA inventory: lowercase hex, no separators. */
  serial: string | undefined;
  fingerprint256: string | undefined;
  notAfter: string | undefined;
}

export const ANONYMOUS: PeerIdentity = Object.freeze({
  authorized: false,
  authorizationError: 'no client certificate',
  cn: undefined,
  o: [],
  ou: [],
  sans: { dns: [], uri: [], ip: [], email: [] },
  serial: undefined,
  fingerprint256: undefined,
  notAfter: undefined,
});

const asList = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/**
 * Parses Node's `subjectaltname` string ("DNS:a, URI:spiffe://x, IP Address:1.2.3.4").
 * Node writes a value holding a comma or quote as a JSON string literal, hence the
 * quoted alternative.
 */
export function parseSubjectAltName(text: string | undefined): PeerIdentity['sans'] {
  const sans: PeerIdentity['sans'] = { dns: [], uri: [], ip: [], email: [] };
  if (!text) return sans;
  const entry = /(DNS|URI|IP Address|email):("(?:[^"\\]|\\.)*"|[^,]*)(?:,\s*|$)/g;
  for (const match of text.matchAll(entry)) {
    const kind = match[1];
    const raw = match[2] ?? '';
    let value = raw;
    if (raw.startsWith('"')) {
      try {
        value = JSON.parse(raw) as string;
      } catch {
        value = raw.slice(1, -1);
      }
    }
    if (kind === 'DNS') sans.dns.push(value);
    else if (kind === 'URI') sans.uri.push(value);
    else if (kind === 'IP Address') sans.ip.push(value);
    else if (kind === 'email') sans.email.push(value);
  }
  return sans;
}

/** The identity of a peer certificate (as `getPeerCertificate()` returns it). */
export function identityFromCertificate(
  cert: PeerCertificate | undefined,
  authorized: boolean,
  authorizationError?: string,
): PeerIdentity {
  if (!cert || Object.keys(cert).length === 0) return ANONYMOUS;
  const subject = (cert.subject ?? {}) as unknown as Record<string, string | string[] | undefined>;
  return {
    authorized,
    authorizationError: authorized ? undefined : (authorizationError ?? 'certificate not verified'),
    cn: asList(subject.CN)[0],
    o: asList(subject.O),
    ou: asList(subject.OU),
    sans: parseSubjectAltName(cert.subjectaltname),
    serial: cert.serialNumber ? normalizeSerial(cert.serialNumber) : undefined,
    fingerprint256: cert.fingerprint256,
    notAfter: cert.valid_to ? new Date(cert.valid_to).toISOString() : undefined,
  };
}

/** Reads the identity off a TLS socket once the handshake is done. */
export function identityFromSocket(socket: TLSSocket): PeerIdentity {
  const cert = socket.getPeerCertificate(false) as PeerCertificate | undefined;
  const error = socket.authorizationError as unknown;
  return identityFromCertificate(
    cert,
    socket.authorized,
    error instanceof Error ? error.message : typeof error === 'string' ? error : undefined,
  );
}

/** Short label for logs and error messages: CN, else the serial. */
export function describeIdentity(identity: PeerIdentity): string {
  if (identity.cn) return `"${identity.cn}"`;
  if (identity.serial) return `serial ${identity.serial}`;
  return 'an anonymous client';
}
