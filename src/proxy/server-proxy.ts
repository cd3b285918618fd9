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
import type { PeerIdentity } from '../core/identity.js';
import { serverOptions } from '../core/tls-options.js';
import type { WorkerSpec, WorkerStats } from '../protocol/messages.js';
import { attachAcmeAlpn } from './acme-alpn.js';
import { forward } from './forward.js';
import { createIdleSweep } from './idle-sweep.js';
import { encodeAlpnList, negotiatedAlpn } from './alpn.js';
import { encodeProxyHeaderV2 } from './proxy-protocol.js';
import { bindListener, createLiveSet } from './listener-lifecycle.js';
import { recordConnectionEnd } from './connection-end.js';
import { createStatsCounter } from './stats.js';
import { createListenerTls } from './listener-tls.js';
import { wireListenerAdmission, type AdmittedPeer } from './listener-admission.js';
import { diffSpecs, type ProxyService, type ProxyServiceOptions } from './types.js';

export function createServerProxy(options: ProxyServiceOptions): ProxyService {
  const { logger, revocations } = options;
  let spec: WorkerSpec = options.spec;
  const stats = createStatsCounter();
  const live = createLiveSet<TLSSocket>();
  const idle = createIdleSweep();
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

  const { guard, admit, recompile } = wireListenerAdmission(server, options, { stats, spec: () => spec, established: () => live.size, draining: () => draining, backendReady: () => backendReady });

  server.on('secureConnection', (socket: TLSSocket) => {
    const admitted = admit(socket);
    if (admitted) accept(socket, admitted);
  });

  function accept(socket: TLSSocket, { identity, peer, handshake_s }: AdmittedPeer) {
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
    forward(socket, backend, { idleTimeoutMs: spec.limits.idle_timeout, idle });
    socket.once('close', () => {
      clearTimeout(dialTimer);
      live.delete(socket);
      if (identity) bySerial.delete(identity.serial, socket);
      recordConnectionEnd(stats, logger, spec.name, options.onEvent, {
        peer,
        bytesIn: backend.bytesWritten,
        bytesOut: backend.bytesRead,
        began,
        failure: dialed ? undefined : failure,
        failureReason: 'backend_dial_failed',
        identity,
        detailed: spec.audit,
        alpn,
        handshake_s,
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
      spec = { ...next, listen: spec.listen };
      recompile();
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
      idle.close();
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
