/**
 * The request headers tlsmcp sends to an HTTP backend: the client's headers
 * minus hop-by-hop ones (and any named in `Connection`), minus HTTP/2 pseudo
 * headers, and minus EVERY client copy of the identity headers, which tlsmcp
 * alone sets: `X-Forwarded-Client-Cert` (the verified certificate), and
 * `X-Forwarded-For`, `X-Forwarded-Proto` and `Forwarded` (the peer address).
 * A client cannot add to or spoof these; the backend may trust them.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { XFCC_HEADER } from '../core/xfcc.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'http2-settings',
]);

/** Set by tlsmcp only: a client's copy is always dropped. */
export const IDENTITY_HEADERS = new Set([XFCC_HEADER, 'x-forwarded-for', 'x-forwarded-proto', 'forwarded']);

export interface ForwardedFacts {
  /** The client's address as the TLS socket saw it. */
  peer: string | undefined;
  /** The XFCC value; absent when the client sent no certificate (mtls optional/disabled). */
  xfcc: string | undefined;
}

/** `for=` of RFC 7239: an IPv6 address is bracketed and quoted. */
export function forwardedFor(peer: string): string {
  const ip = peer.startsWith('::ffff:') && peer.includes('.') ? peer.slice(7) : peer;
  return ip.includes(':') ? `"[${ip}]"` : ip;
}

/** Headers that describe the connection itself and must not be forwarded. */
function connectionTokens(headers: IncomingHttpHeaders): Set<string> {
  const named = new Set<string>();
  const value = headers.connection;
  for (const v of Array.isArray(value) ? value : value ? [value] : []) for (const t of v.split(',')) named.add(t.trim().toLowerCase());
  return named;
}

/**
 * The backend's request headers. `keepUpgrade` keeps `Connection: upgrade` and
 * `Upgrade` (the WebSocket handshake is passed through as such).
 */
export function forwardHeaders(incoming: IncomingHttpHeaders, facts: ForwardedFacts, options: { keepUpgrade?: boolean } = {}): Record<string, string | string[]> {
  const named = connectionTokens(incoming);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || name.startsWith(':')) continue;
    const lower = name.toLowerCase();
    if (IDENTITY_HEADERS.has(lower) || HOP_BY_HOP.has(lower) || named.has(lower)) continue;
    out[lower] = value;
  }
  // HTTP/2 carries the host as :authority.
  const authority = incoming[':authority'];
  if (out.host === undefined && typeof authority === 'string') out.host = authority;
  if (options.keepUpgrade && typeof incoming.upgrade === 'string') {
    out.connection = 'upgrade';
    out.upgrade = incoming.upgrade;
  }
  if (facts.xfcc) out[XFCC_HEADER] = facts.xfcc;
  if (facts.peer) {
    out['x-forwarded-for'] = facts.peer.startsWith('::ffff:') ? facts.peer.slice(7) : facts.peer;
    out.forwarded = `for=${forwardedFor(facts.peer)};proto=https`;
  }
  out['x-forwarded-proto'] = 'https';
  return out;
}

/** Response headers the client connection may not carry (HTTP/2 refuses connection-specific ones). */
export function responseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const named = connectionTokens(headers as IncomingHttpHeaders);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named.has(lower)) continue;
    out[lower] = value;
  }
  return out;
}
