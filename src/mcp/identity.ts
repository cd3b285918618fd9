/**
 * Who is calling a tool. A remote caller is the client certificate it presented
 * in the TLS handshake; the transports carry it to handlers as the request's
 * `AuthInfo` (the SDK copies `req.auth` into `extra.authInfo`), so the TLS
 * socket itself never has to reach a handler. No auth info means a local caller
 * (stdio, in-process), which is trusted like the user who started the server.
 */
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { z } from 'zod';
import type { PeerIdentity } from '../core/identity.js';

export const callerIdentitySchema = z.object({
  kind: z.enum(['local', 'certificate', 'anonymous']),
  cn: z.string().optional(),
  o: z.array(z.string()),
  ou: z.array(z.string()),
  sans: z.object({ dns: z.array(z.string()), uri: z.array(z.string()), ip: z.array(z.string()) }),
  /** Lowercase hex, as the inventory stores it. */
  serial: z.string().optional(),
  /** Uppercase hex pairs joined by ":", as the inventory stores it. */
  fingerprint: z.string().optional(),
  /** Seconds since the epoch: the certificate's notAfter. */
  expires_at: z.number().optional(),
});
export type CallerIdentity = z.infer<typeof callerIdentitySchema>;

const NO_SANS = { dns: [], uri: [], ip: [] };

export const LOCAL_CALLER: CallerIdentity = { kind: 'local', o: [], ou: [], sans: NO_SANS };
export const ANONYMOUS_CALLER: CallerIdentity = { kind: 'anonymous', o: [], ou: [], sans: NO_SANS };

/** The caller a verified peer certificate names (src/core/identity.ts parsed it from the certificate structure). */
export function callerFromPeer(peer: PeerIdentity): CallerIdentity {
  return {
    kind: 'certificate',
    ...(peer.cn ? { cn: peer.cn } : {}),
    o: peer.o,
    ou: peer.ou,
    sans: { dns: peer.dns, uri: peer.uri, ip: peer.ip },
    serial: peer.serial,
    fingerprint: peer.fingerprint256,
    ...(Number.isFinite(peer.notAfter) ? { expires_at: Math.floor(peer.notAfter / 1000) } : {}),
  };
}

/** What the transports hand to the SDK as `req.auth`. */
export function authInfoFromIdentity(identity: CallerIdentity, scopes: string[]): AuthInfo {
  return {
    token: '',
    clientId: identity.cn ?? (identity.kind === 'anonymous' ? 'anonymous' : 'local'),
    scopes,
    ...(identity.expires_at !== undefined ? { expiresAt: identity.expires_at } : {}),
    extra: {
      identity,
      cn: identity.cn,
      sans: identity.sans,
      serial: identity.serial,
      fingerprint: identity.fingerprint,
    },
  };
}

/** Reads the caller back out of a handler's `extra.authInfo`. */
export function identityFromAuthInfo(authInfo: AuthInfo | undefined): CallerIdentity {
  if (!authInfo) return LOCAL_CALLER;
  const parsed = callerIdentitySchema.safeParse(authInfo.extra?.identity);
  // Auth info that did not come from our transports is not trusted as local.
  return parsed.success ? parsed.data : ANONYMOUS_CALLER;
}

/** How a refusal or an audit line names the caller. */
export function describeIdentity(identity: CallerIdentity): string {
  if (identity.kind === 'local') return 'the local caller';
  if (identity.kind === 'anonymous') return 'an anonymous caller (no client certificate)';
  return `CN=${identity.cn ?? '(none)'} (serial ${identity.serial ?? '?'})`;
}
