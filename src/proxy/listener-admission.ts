/**
 * The refusal wiring every mTLS server listener of a proxy worker shares (the
 * TCP pipe in server-proxy.ts and the HTTP mode in src/http-proxy): the core's
 * admission compiled from the current spec, the one `reject` that counts, logs
 * and emits a refusal, the `tlsClientError` handler, the handshake guard's
 * options, and the check each socket goes through right after its handshake.
 * The listener passes its differences in (how many connections are live,
 * whether it is draining or its backend is down); the decision stays here.
 */
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import { compileAdmission, refusalFromHandshakeError, type Admission } from '../core/admission.js';
import { guardHandshakes, type HandshakeGuard } from '../core/handshake-guard.js';
import type { PeerIdentity } from '../core/identity.js';
import type { RejectReason } from '../core/reasons.js';
import type { WorkerSpec } from '../protocol/messages.js';
import { recordRefusal } from './connection-end.js';
import { createIdentityCache } from './identity-cache.js';
import type { StatsCounter } from './stats.js';
import type { ProxyServiceOptions } from './types.js';

/** What differs between the listeners that share this wiring. */
export interface ListenerState {
  /** The current spec (it changes on reload). */
  spec: () => WorkerSpec;
  stats: StatsCounter;
  /** Connections admitted and still open. */
  established: () => number;
  draining: () => boolean;
  backendReady: () => boolean;
}

/** What admission learnt of a socket it let in. */
export interface AdmittedPeer {
  identity: PeerIdentity | undefined;
  peer: string | undefined;
  /** Seconds from TCP accept to the end of the handshake, when the guard saw the accept. */
  handshake_s: number | undefined;
}

export interface ListenerAdmission {
  readonly guard: HandshakeGuard;
  /** Call from 'secureConnection': admits the socket, or refuses it (recorded, destroyed) and returns undefined. */
  admit(socket: TLSSocket): AdmittedPeer | undefined;
  /** Recompiles the policy after a reload (call once the new spec is current). */
  recompile(): void;
}

export function wireListenerAdmission(server: TlsServer, service: Pick<ProxyServiceOptions, 'revocations' | 'logger' | 'onEvent'>, options: ListenerState): ListenerAdmission {
  const { stats, spec } = options;
  const { logger } = service;
  const isRevoked = (serial: string) => service.revocations.has(serial);
  let admission: Admission = compileAdmission(spec().mtls, { isRevoked });
  const identities = createIdentityCache();

  const reject = (reason: RejectReason, detail: string, peer: string | undefined, identity?: PeerIdentity, handshake_s?: number) =>
    recordRefusal(stats, logger, spec(), service.onEvent, { reason, detail, peer, identity, handshake_s });

  // Registered before the handshake guard, which destroys the socket: its peer address is still readable here.
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
    const refusal = refusalFromHandshakeError(err, socket, spec().limits.handshake_timeout);
    reject(refusal.reason, refusal.detail, socket.remoteAddress);
  });

  const guard = guardHandshakes(server, {
    handshakeTimeoutMs: () => spec().limits.handshake_timeout,
    maxConnections: () => spec().limits.max_connections,
    established: options.established,
    refuseNew: () => (options.draining() ? 'draining' : options.backendReady() ? undefined : 'backend_unavailable'),
    onRefused: (reason, peer, detail) => reject(reason, reason === 'backend_unavailable' ? `backend ${spec().backend.host}:${spec().backend.port} is not ready` : detail, peer),
  });

  return {
    guard,
    admit(socket) {
      const peer = socket.remoteAddress;
      const sinceAccept = guard.handshakeDone(socket);
      const handshake_s = sinceAccept === undefined ? undefined : sinceAccept / 1000;
      socket.on('error', () => undefined); // errors end in 'close', which cleans up
      const identity = spec().mtls.mode === 'disabled' ? undefined : identities.of(socket);
      const refusal = admission({ identity, authorized: socket.authorized, authorizationError: socket.authorizationError, resumed: socket.isSessionReused() });
      if (refusal || options.draining()) {
        reject(refusal?.reason ?? 'draining', refusal?.detail ?? 'the service is shutting down', peer, identity, handshake_s);
        socket.destroy();
        return undefined;
      }
      return { identity, peer, handshake_s };
    },
    recompile() {
      admission = compileAdmission(spec().mtls, { isRevoked });
    },
  };
}
