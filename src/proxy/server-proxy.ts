/**
 * Server mode: one mTLS listener in front of one plain-TCP backend. The TLS
 * handshake, the certificate checks (validity, revocation, identity policy)
 * all happen before the backend is dialled, so a refused client never causes a
 * backend connection. Live sockets are indexed by certificate serial so a
 * revocation cuts them at once.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { ConnectionEvent, WorkerSpec, WorkerStats } from '../supervisor/messages.js';
import { forward } from './forward.js';
import { identityOf, sanList, type PeerIdentity } from './identity.js';
import { compilePolicy, type IdentityPolicy } from './policy.js';
import { createStatsCounter, reasonForAuthorizationError, type RejectReason } from './stats.js';
import { clientCertOptions, serverContextOptions } from './tls-options.js';
import { bindListener, createLiveSet } from './listener-lifecycle.js';
import { diffSpecs, type ProxyService, type ProxyServiceOptions } from './proxy-service.js';

interface Live {
  socket: TLSSocket;
  serial: string | undefined;
}

export function createServerProxy(options: ProxyServiceOptions): ProxyService {
  const { logger } = options;
  let spec: WorkerSpec = options.spec;
  let policy: IdentityPolicy = compilePolicy(spec.mtls);
  const revoked = new Set<string>(options.revoked);
  const stats = createStatsCounter();
  const live = createLiveSet<Live>();
  const bySerial = new Map<string, Set<Live>>();
  const acceptedAt = new WeakMap<object, number>();
  let ticketKeys = randomBytes(48);
  let trust = options.material.caPems.join('\n');
  let backendReady = true;
  let draining = false;

  const server: Server = createServer({
    ...serverContextOptions(spec, options.material, ticketKeys),
    ...clientCertOptions(spec),
    handshakeTimeout: spec.limits.handshake_timeout,
    allowHalfOpen: true,
    noDelay: true,
  } as Parameters<typeof createServer>[0]);
  server.maxConnections = spec.limits.max_connections;

  const emit = (event: Omit<ConnectionEvent, 'time'>) => options.onEvent({ time: new Date().toISOString(), ...event });

  function reject(reason: RejectReason, detail: string, peer: string | undefined, identity?: PeerIdentity, handshake_s?: number) {
    stats.rejected(reason);
    logger.warn({ event: 'connection_rejected', service: spec.name, reason, peer, peer_cn: identity?.cn, serial: identity?.serial }, `refused ${who(identity, peer)}: ${detail}`);
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

  server.on('connection', (raw: Socket) => {
    if (draining) return void raw.destroy();
    if (!backendReady) {
      // Refuse before the handshake: fast, and no TLS work for a dead backend.
      reject('backend_unavailable', `backend ${spec.backend.host}:${spec.backend.port} is not ready`, raw.remoteAddress);
      return void raw.destroy();
    }
    acceptedAt.set(raw, performance.now());
  });

  server.on('drop', (data?: { remoteAddress?: string }) => {
    reject('max_connections', `limits.max_connections (${spec.limits.max_connections}) reached`, data?.remoteAddress);
  });

  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
    const detail = err.code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE' ? 'no client certificate' : `TLS handshake failed: ${err.code ?? err.message}`;
    reject(err.code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE' ? 'no_certificate' : 'tls_handshake', detail, socket.remoteAddress);
  });

  server.on('secureConnection', (socket: TLSSocket) => {
    const peer = socket.remoteAddress;
    const start = acceptedAt.get((socket as unknown as { _handle?: { _parentWrap?: object } })._handle?._parentWrap ?? socket);
    const handshake_s = start === undefined ? undefined : (performance.now() - start) / 1000;
    socket.on('error', () => undefined); // errors end in 'close', which cleans up
    const cert = spec.mtls.mode === 'disabled' ? undefined : socket.getPeerX509Certificate();
    const identity = cert ? identityOf(cert) : undefined;
    const refuse = (reason: RejectReason, detail: string) => {
      reject(reason, detail, peer, identity, handshake_s);
      socket.destroy();
    };
    if (!identity) {
      if (spec.mtls.mode === 'required') return refuse('no_certificate', 'no client certificate (mtls.mode is required)');
    } else {
      if (!socket.authorized) {
        const code = String(socket.authorizationError ?? 'unknown');
        return refuse(reasonForAuthorizationError(code), `certificate not accepted: ${code}`);
      }
      // A resumed session carries the verdict of its first handshake: recheck
      // what time can change since (OpenSSL checked it for full handshakes).
      if (socket.isSessionReused() && Date.parse(identity.cert.validTo) <= Date.now()) {
        return refuse('expired', `certificate ${identity.serial} expired (resumed session)`);
      }
      if (revoked.has(identity.serial)) return refuse('revoked', `certificate ${identity.serial} is revoked`);
      const denial = policy(identity);
      if (denial) return refuse('policy', `${denial.rule}: ${denial.detail}`);
    }
    if (draining) return refuse('draining', 'the service is shutting down');
    accept(socket, identity, peer, handshake_s);
  });

  function accept(socket: TLSSocket, identity: PeerIdentity | undefined, peer: string | undefined, handshake_s: number | undefined) {
    const began = performance.now();
    const entry: Live = { socket, serial: identity?.serial };
    live.add(entry);
    if (entry.serial) {
      let set = bySerial.get(entry.serial);
      if (!set) bySerial.set(entry.serial, (set = new Set()));
      set.add(entry);
    }
    stats.opened();
    const backend = connect({ host: spec.backend.host, port: spec.backend.port });
    backend.setNoDelay(true);
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
      live.delete(entry);
      if (entry.serial) {
        const set = bySerial.get(entry.serial);
        set?.delete(entry);
        if (set?.size === 0) bySerial.delete(entry.serial);
      }
      const bytesIn = backend.bytesWritten;
      const bytesOut = backend.bytesRead;
      stats.closed(bytesIn, bytesOut);
      if (failure && !dialed) {
        stats.rejected('backend_dial_failed');
        logger.warn({ event: 'backend_dial_failed', service: spec.name, peer }, failure);
      } else {
        stats.accepted();
      }
      emit({
        result: failure && !dialed ? 'error' : 'accepted',
        ...(failure && !dialed ? { reason: 'backend_dial_failed', detail: failure } : {}),
        peer,
        ...(identity ? identityFields(identity, spec.audit) : {}),
        bytes_in: bytesIn,
        bytes_out: bytesOut,
        duration_ms: Math.round(performance.now() - began),
        ...(handshake_s === undefined ? {} : { handshake_s }),
      });
    });
  }

  return {
    listen: () => bindListener(server, spec),
    reload(next, material) {
      const changes = diffSpecs(spec, next);
      const nextTrust = material.caPems.join('\n');
      if (nextTrust !== trust) {
        // New trust anchors: sessions verified under the old ones must not resume.
        ticketKeys = randomBytes(48);
        trust = nextTrust;
        changes.applied.push('trust');
      }
      server.setSecureContext(serverContextOptions(next, material, ticketKeys));
      const cc = clientCertOptions(next);
      // Read by tls.Server for each new connection.
      (server as unknown as { requestCert: boolean }).requestCert = cc.requestCert;
      server.maxConnections = next.limits.max_connections;
      policy = compilePolicy(next.mtls);
      spec = { ...next, listen: spec.listen };
      return ['certificate', ...changes.applied];
    },
    revoke(serials) {
      let closed = 0;
      for (const serial of serials) {
        revoked.add(serial);
        const set = bySerial.get(serial);
        if (!set) continue;
        for (const entry of set) {
          logger.warn({ event: 'connection_revoked', service: spec.name, serial }, `cutting live connection of revoked certificate ${serial}`);
          entry.socket.destroy();
          closed += 1;
        }
      }
      return closed;
    },
    setBackendReady(ready) {
      backendReady = ready;
    },
    stats: (): WorkerStats => ({ ...stats.snapshot(), live_serials: [...bySerial.keys()] }),
    drain(deadlineMs) {
      draining = true;
      return live.drain(server, deadlineMs, (entry) => entry.socket.destroy());
    },
  };
}

function who(identity: PeerIdentity | undefined, peer: string | undefined): string {
  if (!identity) return `peer ${peer ?? 'unknown'}`;
  return `CN=${identity.cn ?? '(none)'} serial ${identity.serial} from ${peer ?? 'unknown'}`;
}

function identityFields(identity: PeerIdentity, detailed: boolean): Partial<ConnectionEvent> {
  return {
    peer_cn: identity.cn,
    serial: identity.serial,
    ...(detailed ? { sans: sanList(identity), fingerprint: identity.cert.fingerprint256 } : {}),
  };
}
