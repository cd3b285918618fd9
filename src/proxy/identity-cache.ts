/**
 * The peer identity of a listener's connections, parsed once per certificate
 * rather than once per connection: a sidecar's clients are few and reconnect
 * often, and parsing the names, serial and validity (src/core/identity.ts) is
 * most of what reading the peer costs after Node's own
 * `getPeerX509Certificate()`. Keyed by the certificate's DER, so a hit is the
 * same certificate to the byte; the identity holds no verdict (revocation,
 * validity and policy are decided per connection by the admission), so caching
 * it cannot let a revoked or expired certificate through. Bounded: the oldest
 * entry goes when it is full.
 */
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { identityOf, type PeerIdentity } from '../core/identity.js';

export interface IdentityCache {
  /** The peer's identity once the handshake is done; undefined when it sent no certificate. */
  of(socket: TLSSocket): PeerIdentity | undefined;
  /** The identity of a DER certificate (the native data path hands over DER); parsed only on a miss, throws if unreadable. */
  ofDer(der: Buffer): PeerIdentity;
  readonly size: number;
}

export function createIdentityCache(maxEntries = 256): IdentityCache {
  const byDer = new Map<string, PeerIdentity>();
  const lookup = (der: Buffer, parse: () => X509Certificate): PeerIdentity => {
    const key = der.toString('latin1');
    let identity = byDer.get(key);
    if (identity === undefined) {
      identity = identityOf(parse());
      if (byDer.size >= maxEntries) byDer.delete(byDer.keys().next().value!);
      byDer.set(key, identity);
    }
    return identity;
  };
  return {
    of(socket) {
      const cert = socket.getPeerX509Certificate();
      return cert ? lookup(cert.raw, () => cert) : undefined;
    },
    ofDer: (der) => lookup(der, () => new X509Certificate(der)),
    get size() {
      return byDer.size;
    },
  };
}
