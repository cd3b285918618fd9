/**
 * Who is on the other end of a front connection, as the front's audit trail,
 * sessions and authorization see it: the core identity (src/core/identity.ts,
 * parsed from the certificate structure) plus what the handshake said about it.
 * Read once per socket.
 */
import type { TLSSocket } from 'node:tls';
import { peerIdentityOf, type PeerIdentity as CoreIdentity } from '../core/identity.js';
import type { MatchableIdentity } from '../core/authorization.js';

export interface PeerIdentity {
  /** Whether the chain validated against the trusted roots. */
  authorized: boolean;
  /** OpenSSL's reason when not authorized, e.g. CERT_HAS_EXPIRED. */
  authorizationError: string | undefined;
  cn: string | undefined;
  o: string[];
  ou: string[];
  sans: { dns: string[]; uri: string[]; ip: string[]; email: string[] };
  serial: string | undefined;
  fingerprint256: string | undefined;
  notAfter: string | undefined;
  /** The parsed certificate identity; absent without a certificate. */
  certificate?: CoreIdentity | undefined;
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

/** The front's view of a core identity. */
export function frontIdentity(id: CoreIdentity | undefined, authorized: boolean, authorizationError?: string): PeerIdentity {
  if (!id) return ANONYMOUS;
  return {
    authorized,
    authorizationError: authorized ? undefined : (authorizationError ?? 'certificate not verified'),
    cn: id.cn,
    o: id.o,
    ou: id.ou,
    sans: { dns: id.dns, uri: id.uri, ip: id.ip, email: id.email },
    serial: id.serial,
    fingerprint256: id.fingerprint256,
    notAfter: new Date(id.notAfter).toISOString(),
    certificate: id,
  };
}

/** Reads the identity off a TLS socket once the handshake is done. */
export function identityFromSocket(socket: TLSSocket): PeerIdentity {
  const error = socket.authorizationError as unknown;
  return frontIdentity(peerIdentityOf(socket), socket.authorized, error instanceof Error ? error.message : typeof error === 'string' ? error : undefined);
}

/** What authorization rules match against. */
export function matchable(identity: PeerIdentity): MatchableIdentity {
  return { cn: identity.cn, o: identity.o, ou: identity.ou, dns: identity.sans.dns, uri: identity.sans.uri, serial: identity.serial };
}

/** Short label for logs and error messages: CN, else the serial. */
export function describeIdentity(identity: PeerIdentity): string {
  if (identity.cn) return JSON.stringify(identity.cn);
  if (identity.serial) return `serial ${identity.serial}`;
  return 'an anonymous client';
}
