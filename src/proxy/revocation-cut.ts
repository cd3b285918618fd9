/**
 * The one place a proxy listener cuts live connections of revoked certificates
 * (the JS listeners through ./listener-tls.ts, the native data path through
 * src/native/native-proxy.ts): the revocation feed's new serials take their
 * connections out of the listener's serial index, each is logged and cut.
 * Returns the unsubscribe.
 */
import type { RevocationFeed } from '../core/revocation.js';
import type { SerialIndex } from '../core/serial-index.js';
import type { Logger } from '../logger.js';

export function cutRevokedConnections<T>(
  feed: Pick<RevocationFeed, 'subscribe'>,
  index: SerialIndex<T>,
  o: { service: string; logger: Logger; peerOf: (connection: T) => string | undefined; cut: (connection: T) => void },
): () => void {
  return feed.subscribe((serials) => {
    const taken = index.take(serials);
    for (const connection of taken) {
      o.logger.warn({ event: 'connection_revoked', service: o.service, peer: o.peerOf(connection) }, 'cutting a live connection of a revoked certificate');
      o.cut(connection);
    }
    return { connections: taken.length };
  });
}
