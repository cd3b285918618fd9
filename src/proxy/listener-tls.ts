/**
 * What every mTLS server listener of a proxy worker shares after its handshake
 * (the TCP pipe in server-proxy.ts and the HTTP mode in src/http-proxy): the
 * live connections by certificate serial, cut by the process's revocation
 * feed, and the TLS context swap on reload, with new ticket keys whenever the
 * trust anchors change so a session verified under the old ones cannot resume.
 */
import type { Server as NetServer } from 'node:net';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import type { RevocationFeed } from '../core/revocation.js';
import { createSerialIndex, type SerialIndex } from '../core/serial-index.js';
import { cutRevokedConnections } from './revocation-cut.js';
import { clientCertOptions, newTicketKeys, serverContextOptions } from '../core/tls-options.js';
import type { Logger } from '../logger.js';
import type { TlsMaterial, WorkerSpec } from '../protocol/messages.js';

export interface ListenerTls {
  /** Live connections by serial: add on admission, delete on close. */
  readonly bySerial: SerialIndex<TLSSocket>;
  /** The session ticket keys the listener was created with or last swapped to. */
  ticketKeys(): Buffer;
  /** New secure context (and ticket keys if trust changed) for new handshakes; says whether trust changed. */
  swap(server: NetServer & { setSecureContext(options: SecureContextOptions): void }, next: WorkerSpec, material: TlsMaterial): boolean;
  /** Stops cutting (the listener is draining or closed). */
  close(): void;
}

export function createListenerTls(options: { service: string; material: TlsMaterial; revocations: Pick<RevocationFeed, 'subscribe'>; logger: Logger }): ListenerTls {
  const bySerial = createSerialIndex<TLSSocket>();
  let ticketKeys = newTicketKeys();
  let trust = options.material.caPems.join('\n');
  const unsubscribe = cutRevokedConnections(options.revocations, bySerial, {
    service: options.service,
    logger: options.logger,
    peerOf: (socket) => socket.remoteAddress,
    cut: (socket) => socket.destroy(),
  });
  return {
    bySerial,
    ticketKeys: () => ticketKeys,
    swap(server, next, material) {
      const nextTrust = material.caPems.join('\n');
      const trustChanged = nextTrust !== trust;
      if (trustChanged) {
        ticketKeys = newTicketKeys();
        trust = nextTrust;
      }
      server.setSecureContext(serverContextOptions(next, material, next.mtls.mode, ticketKeys));
      // Read by tls.Server for each new connection (setSecureContext does not take them).
      Object.assign(server as unknown as { requestCert: boolean; rejectUnauthorized: boolean }, clientCertOptions(next.mtls.mode));
      return trustChanged;
    },
    close: unsubscribe,
  };
}
