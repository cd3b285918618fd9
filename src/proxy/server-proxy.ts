/**
 * Server mode: one mTLS listener in front of one plain-TCP backend. The TLS
 * handshake and admission (src/core/admission.ts: validity, revocation,
 * identity policy) happen before the backend is dialled, so a refused client
 * never causes a backend connection. Sockets that never finish the handshake
 * are freed by the handshake guard; live sockets are indexed by certificate
 * serial so a revocation cuts them at once.
 */
import { connect, type Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { compileAdmission, refusalFromHandshakeError, type Admission } from '../core/admission.js';
import { guardHandshakes } from '../core/handshake-guard.js';
import { describePeer, peerIdentityOf, sanList, type PeerIdentity } from '../core/identity.js';
import type { RejectReason } from '../core/reasons.js';
import { serverOptions } from '../core/tls-options.js';
import type { ConnectionEvent, WorkerSpec, WorkerStats } from '../protocol/messages.js';
import { attachAcmeAlpn } from './acme-alpn.js';
import { forward } from './forward.js';
import { encodeAlpnList, negotiatedAlpn } from './alpn.js';
import { encodeProxyHeaderV2 } from './proxy-protocol.js';
import { bindListener, createLiveSet } from './listener-lifecycle.js';
import { recordConnectionEnd } from './connection-end.js';
import { createStatsCounter } from './stats.js';
import { createListenerTls } from './listener-tls.js';
import { diffSpecs, type ProxyService, type ProxyServiceOptions } from './types.js';

export function createServerProxy(options: ProxyServiceOptions): ProxyService {
  const { logger, revocations } = options;
  let spec: WorkerSpec = options.spec;
  const isRevoked = (serial: string) => revocations.has(serial);
  let admission: Admission = compileAdmission(spec.mtls, { isRevoked });
  const stats = createStatsCounter();
  const live = createLiveSet<TLSSocket>();
  const tls = createListenerTls({ service: spec.name, material: options.material, revocations, logger });
  const bySerial = tls.bySerial;
  let backendReady = true;
  let draining = false;

  const server: Server = createServer({
    ...serverOptions(spec, options.material, { mode: spec.mtls.mode, ticketKeys: tls.ticketKeys(), handshakeTimeoutMs: spec.limits.handshake_timeout, alpn: spec.alpn }),
    allowHalfOpen: true,
    noDelay: true,
  } as Parameters<typeof createServer>[0]);
  const acmeAlpn = attachAcmeAlpn(server, logger, spec.name); // before any other 'connection' listener

  const emit = (event: Omit<ConnectionEvent, 'time'>) => options.onEvent({ time: new Date().toISOString(), ...event });

  function reject(reason: RejectReason, detail: string, peer: string | undefined, identity?: PeerIdentity, handshake_s?: number) {
    stats.rejected(reason);
    logger.warn({ event: 'connection_rejected', service: spec.name, reason, peer, peer_cn: identity?.cn, serial: identity?.serial }, `refused ${describePeer(identity, peer)}: ${detail}`);
    emit({
      result: 'rejected',
      reason,
      detail,
      peer,
      ...(identity ? identityFields(identity, spec.audit) : {}),
      bytes_in: 0,
      bytes_out: 0,
      duration_ms: 0,
      ...(handshake_s === undefined ? {} : { handshake_s }),
    });
  }

  // Registered before the handshake guard, which destroys the socket: its peer address is still readable here.
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
    const refusal = refusalFromHandshakeError(err, socket, spec.limits.handshake_timeout);
    reject(refusal.reason, refusal.detail, socket.remoteAddress);
  });

  const guard = guardHandshakes(server, {
    handshakeTimeoutMs: () => spec.limits.handshake_timeout,
    maxConnections: () => spec.limits.max_connections,
    established: () => live.size,
    refuseNew: () => (draining ? 'draining' : backendReady ? undefined : 'backend_unavailable'),
    onRefused: (reason, peer, detail) => reject(reason, reason === 'backend_unavailable' ? `backend ${spec.backend.host}:${spec.backend.port} is not ready` : detail, peer),
  });

  server.on('secureConnection', (socket: TLSSocket) => {
    const peer = socket.remoteAddress;
    const sinceAccept = guard.handshakeDone(socket);
    const handshake_s = sinceAccept === undefined ? undefined : sinceAccept / 1000;
    socket.on('error', () => undefined); // errors end in 'close', which cleans up
    const identity = spec.mtls.mode === 'disabled' ? undefined : peerIdentityOf(socket);
    const refusal = admission({ identity, authorized: socket.authorized, authorizationError: socket.authorizationError, resumed: socket.isSessionReused() });
    if (refusal || draining) {
      reject(refusal?.reason ?? 'draining', refusal?.detail ?? 'the service is shutting down', peer, identity, handshake_s);
      socket.destroy();
      return;
    }
    accept(socket, identity, peer, handshake_s);
  });

  function accept(socket: TLSSocket, identity: PeerIdentity | undefined, peer: string | undefined, handshake_s: number | undefined) {
    const began = performance.now();
    live.add(socket);
    if (identity) bySerial.add(identity.serial, socket);
    stats.opened();
    const backend: Socket = connect({ host: spec.backend.host, port: spec.backend.port });
    backend.setNoDelay(true);
    const alpn = negotiatedAlpn(socket);
    // Queued before the piped client bytes, so it is the first thing the backend reads.
    if (spec.proxy_protocol === 'v2') backend.write(proxyHeaderFor(socket, identity, alpn));
    let dialed = false;
    let failure: string | undefined;
    const dialTimer = setTimeout(() => {
      failure = `backend ${spec.backend.host}:${spec.backend.port} did not answer within limits.dial_timeout`;
      backend.destroy();
    }, spec.limits.dial_timeout);
    backend.once('connect', () => {
      dialed = true;
      clearTimeout(dialTimer);
    });
    backend.on('error', (err: NodeJS.ErrnoException) => {
      if (!dialed) failure ??= `backend ${spec.backend.host}:${spec.backend.port} unreachable: ${err.code ?? err.message}`;
    });
    forward(socket, backend, { idleTimeoutMs: spec.limits.idle_timeout });
    socket.once('close', () => {
      clearTimeout(dialTimer);
      live.delete(socket);
      if (identity) bySerial.delete(identity.serial, socket);
      recordConnectionEnd(stats, logger, spec.name, emit, {
        peer,
        bytesIn: backend.bytesWritten,
        bytesOut: backend.bytesRead,
        began,
        failure: dialed ? undefined : failure,
        failureReason: 'backend_dial_failed',
        extra: { ...(identity ? identityFields(identity, spec.audit) : {}), ...(alpn ? { alpn } : {}), ...(handshake_s === undefined ? {} : { handshake_s }) },
      });
    });
  }

  return {
    listen: () => bindListener(server, spec),
    reload(next, material) {
      const changes = diffSpecs(spec, next);
      // New trust anchors also mean new ticket keys: sessions verified under the old ones must not resume.
      if (tls.swap(server, next, material)) changes.applied.push('trust');
      // Also read per connection (setSecureContext does not take it): the wire form of listen.alpn.
      (server as unknown as { ALPNProtocols: Buffer | undefined }).ALPNProtocols = encodeAlpnList(next.alpn);
      admission = compileAdmission(next.mtls, { isRevoked });
      spec = { ...next, listen: spec.listen };
      return ['certificate', ...changes.applied];
    },
    setBackendReady(ready) {
      backendReady = ready;
    },
    acmeChallenge: (domain, pems) => acmeAlpn.set(domain, pems),
    stats: (): WorkerStats => ({ ...stats.snapshot(), live_serials: [...bySerial.keys()] }),
    async drain(deadlineMs) {
      draining = true;
      tls.close();
      const forced = await live.drain(server, deadlineMs, (socket) => socket.destroy());
      guard.close();
      return forced;
    },
  };
}

function proxyHeaderFor(socket: TLSSocket, identity: PeerIdentity | undefined, alpn: string | undefined): Buffer {
  return encodeProxyHeaderV2({
    source: { address: socket.remoteAddress, port: socket.remotePort },
    destination: { address: socket.localAddress, port: socket.localPort },
    tlsVersion: socket.getProtocol() ?? undefined,
    clientCert: identity !== undefined,
    cn: identity?.cn,
    spiffeId: identity?.uri.find((u) => u.startsWith('spiffe://')),
    alpn,
  });
}

function identityFields(identity: PeerIdentity, detailed: boolean): Partial<ConnectionEvent> {
  return {
    ...(identity.cn !== undefined ? { peer_cn: identity.cn } : {}),
    serial: identity.serial,
    ...(detailed ? { sans: sanList(identity), fingerprint: identity.fingerprint256 } : {}),
  };
}
