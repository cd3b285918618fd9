/**
 * The MCP front: an HTTPS listener with mutual TLS that exposes one backend MCP
 * server (stdio command or loopback HTTP) as Streamable HTTP at /mcp and legacy
 * SSE at /sse + /messages, with per-agent authorization, an audit event per
 * request, and revocation that cuts an agent's live sessions at once.
 * A library: the supervisor runs it inside a worker for `protocol: mcp` services.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { McpServiceConfig } from './service.js';
import type { Logger } from '../logger.js';
import type { AuditEvent } from '../state/audit-log.js';
import { normalizeSerial } from '../ca/serial.js';
import { guardHandshakes, type HandshakeGuard } from '../core/handshake-guard.js';
import type { RevocationFeed } from '../core/revocation.js';
import { createSerialIndex } from '../core/serial-index.js';
import { DEFAULT_SESSION_LIMITS, idleSessions, makeRoom, type SessionLimits } from '../core/session-limits.js';
import { newTicketKeys } from '../core/tls-options.js';
import { refusalFromHandshakeError } from '../core/admission.js';
import { createAdmission } from './admission.js';
import { sessionClosedEvent } from './audit.js';
import { createBackendFactory } from './backend.js';
import { replyError } from './http-replies.js';
import { identityFromSocket, matchable, type PeerIdentity } from './peer-identity.js';
import { createAuthorizer, type AgentPolicy, type Authorizer } from './policy.js';
import { createServicePinning, type ServicePinning } from './pinning.js';
import type { PinStore } from './pinning-store.js';
import { createRateLimiter, createRateLimitPolicy } from './rate-limit.js';
import { createRelay } from './relay.js';
import type { RestartPolicy } from './resilient-transport.js';
import { handleSseMessage, handleSseStream, handleStreamableHttp, type RouteContext } from './routes.js';
import { createSessionRegistry, type FrontSession } from './sessions.js';
import { secureContextOptions, serverTlsOptions, type McpFrontTls } from './tls-options.js';


/** The session's agent policy and the authorizer it came from (./policy.ts). */
interface PolicyCache {
  from?: Authorizer;
  policy?: AgentPolicy;
}

/** A handshake that ended because the peer reset or closed its side, not because we refused it. */
const peerHungUp = (err: { code?: string }, socket: TLSSocket) =>
  (err.code === 'ECONNRESET' || err.code === 'EPIPE') && !(socket as { authorizationError?: unknown }).authorizationError;

export interface McpFrontOptions {
  service: McpServiceConfig;
  tls: McpFrontTls;
  auditLog: { append(event: AuditEvent): void };
  logger: Logger;
  /** Asked on every request (and handshake) besides the serials passed to `revoke()`. */
  isRevoked?: ((serial: string) => boolean) | undefined;
  /** The process's (or worker's) revocation feed: its new serials cut this front's sessions and connections. */
  revocations?: RevocationFeed | undefined;
  /** Session caps and idle expiry; each session holds a backend (a child process for stdio servers). */
  sessionLimits?: Partial<SessionLimits> | undefined;
  /** Backend restart backoff; defaults suit production. */
  restart?: Partial<RestartPolicy> | undefined;
  /**
   * Where this service's tool-definition pins live (./pinning-store.ts). The
   * front pins (per `service.pinning.mode`) only when given one: a worker
   * always is, with the state dir's file.
   */
  pins?: PinStore | undefined;
}

export interface McpFrontStats {
  sessions: number;
  /** Definition changes seen (one per session that saw each), calls refused for a held-back definition, calls over a rate limit. */
  mcp: { definition_changes: number; pinning_refused: number; rate_limited: number; counters: Record<string, number> };
  connections: { active: number; accepted: number; rejected: number; rejected_by_reason: Record<string, number> };
}

export interface McpFront {
  /** Binds `service.listen.address`; resolves with the real address (port 0 → a free port). */
  listen(): Promise<{ host: string; port: number }>;
  /** Ends every session and backend, then the listener. Safe to call twice. */
  close(): Promise<void>;
  /** Cuts the live sessions and connections of these serials and refuses them from now on; returns sessions cut. */
  revoke(serials: string[]): number;
  /** New certificates or trust roots for new handshakes. */
  setSecureContext(tls: McpFrontTls): void;
  /** New `authorization` rules and `mtls` allowlists, applied to live sessions from their next request. */
  setPolicy(policy: Pick<McpServiceConfig, 'authorization' | 'mtls'> & { rate_limit?: McpServiceConfig['rate_limit'] }): void;
  stats(): McpFrontStats;
}

export function createMcpFront(options: McpFrontOptions): McpFront {
  const { service, auditLog } = options;
  const logger = options.logger.child({ service: service.name, component: 'mcp-front' });
  const revoked = new Set<string>();
  const isRevoked = (serial: string) => revoked.has(serial) || (options.revocations?.has(serial) ?? false) || (options.isRevoked?.(serial) ?? false);
  let admission = createAdmission(service, isRevoked);
  let authorizer = createAuthorizer(service.name, service.authorization);
  let rateLimits = createRateLimitPolicy(service.authorization, service.rate_limit);
  const limiter = createRateLimiter();
  const pinning: ServicePinning | undefined =
    options.pins && service.pinning.mode !== 'off'
      ? createServicePinning({ service: service.name, mode: service.pinning.mode, store: options.pins, audit: (e) => auditLog.append(e), logger })
      : undefined;
  const newBackend = createBackendFactory({ service, logger, restart: options.restart });
  const sessions = createSessionRegistry();
  const limits: SessionLimits = { ...DEFAULT_SESSION_LIMITS, ...options.sessionLimits };
  const socketsBySerial = createSerialIndex<TLSSocket>();
  const ticketKeys = newTicketKeys();
  let guard: HandshakeGuard | undefined;
  const identities = new WeakMap<TLSSocket, PeerIdentity>();
  const refusedSockets = new WeakSet<TLSSocket>();
  const busy = new Map<string, number>();
  const stats: McpFrontStats['connections'] = { active: 0, accepted: 0, rejected: 0, rejected_by_reason: {} };
  let server: Server | undefined;
  let reaper: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;

  const reject = (reason: string, event: Partial<AuditEvent> = {}) => {
    stats.rejected += 1;
    stats.rejected_by_reason[reason] = (stats.rejected_by_reason[reason] ?? 0) + 1;
    auditLog.append({ time: new Date().toISOString(), kind: 'connection', service: service.name, result: 'rejected', reason, ...event });
  };

  const identityOf = (socket: TLSSocket): PeerIdentity => {
    let identity = identities.get(socket);
    if (!identity) {
      identity = identityFromSocket(socket);
      identities.set(socket, identity);
    }
    return identity;
  };

  /** The session's agent policy under the current authorizer: computed once per session and policy, not per request. */
  const policyOf = (identity: PeerIdentity, cache: PolicyCache): AgentPolicy => {
    if (cache.from !== authorizer || !cache.policy) {
      cache.from = authorizer;
      cache.policy = authorizer.forIdentity(identity);
    }
    return cache.policy;
  };

  const openSession = async (kind: FrontSession['kind'], id: string, transport: Transport, identity: PeerIdentity): Promise<FrontSession> => {
    // Only a verified certificate is vouched for to the backend.
    const backend = newBackend(identity.authorized ? identity.certificate : undefined);
    const cachedPolicy: PolicyCache = {};
    const relay = createRelay({
      front: transport,
      backend,
      // Recomputed when the policy is reloaded, so a reload reaches live sessions too.
      policy: { decide: (kind, name) => policyOf(identity, cachedPolicy).decide(kind, name) },
      audit: { context: { service: service.name, session: id, transport: kind, identity, auditArguments: service.audit.arguments }, append: (e) => auditLog.append(e) },
      logger,
      label: `service ${service.name}`,
      serverStream: kind === 'streamable-http' ? 'on-demand' : 'always',
      pinning: pinning?.session({ session: id, cn: identity.cn, serial: identity.serial }),
      // All of an agent's sessions share one bucket; the limit is looked up per call so a reload applies.
      rateLimit: () => limiter.take(identity.fingerprint256 ?? identity.serial ?? id, rateLimits.forIdentity(matchable(identity))),
    });
    const session: FrontSession = { id, kind, identity, transport, relay, lastActive: Date.now() };
    relay.onclose = () => {
      sessions.remove(id);
      busy.delete(id);
      if (backend.failure !== undefined) sessions.ended(id, identity, backend.failure);
      auditLog.append(sessionClosedEvent({ service: service.name, session: id, transport: kind, identity }, new Date(), backend.failure));
      logger.info({ session: id, peer_cn: identity.cn, serial: identity.serial }, 'MCP session closed');
    };
    sessions.add(session);
    try {
      await relay.start();
    } catch (err) {
      await relay.close();
      throw err;
    }
    logger.info({ session: id, transport: kind, peer_cn: identity.cn, serial: identity.serial }, 'MCP session opened');
    return session;
  };

  const routes: RouteContext = {
    sessions,
    logger,
    openSession,
    refuseNewSession(identity) {
      const verdict = makeRoom(sessions.all(), identity.fingerprint256 ?? '', limits, sessionView);
      if ('refuse' in verdict) return verdict.refuse;
      for (const victim of verdict.evict) {
        logger.info({ session: victim.id, peer_cn: victim.identity.cn }, 'closing the least recently active idle MCP session to make room');
        sessions.remove(victim.id);
        void victim.relay.close();
      }
      return undefined;
    },
    track(session, res) {
      session.lastActive = Date.now();
      busy.set(session.id, (busy.get(session.id) ?? 0) + 1);
      res.once('close', () => {
        session.lastActive = Date.now();
        const left = (busy.get(session.id) ?? 1) - 1;
        if (left > 0) busy.set(session.id, left);
        else busy.delete(session.id);
      });
    },
  };

  const sessionView = (session: FrontSession) => ({ owner: session.identity.fingerprint256 ?? '', lastActive: session.lastActive, busy: busy.has(session.id) });

  const onRequest = async (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket as TLSSocket;
    const identity = identityOf(socket);
    const refusal = admission(identity, socket);
    if (refusal) {
      if (!refusedSockets.has(socket)) {
        refusedSockets.add(socket);
        reject(refusal.reason, { peer_cn: identity.cn, serial: identity.serial, message: refusal.message });
      }
      replyError(res, refusal.status, refusal.message, { code: -32001, data: { reason: refusal.reason }, close: true });
      return;
    }
    // The common path is exactly /mcp: no URL object for it.
    const url = req.url === '/mcp' ? undefined : new URL(req.url ?? '/', 'https://front.invalid');
    const pathname = url?.pathname ?? '/mcp';
    try {
      if (pathname === '/mcp') await handleStreamableHttp(routes, req, res, identity);
      else if (pathname === '/sse') await handleSseStream(routes, req, res, identity);
      else if (url && pathname === '/messages') await handleSseMessage(routes, req, res, identity, url);
      else replyError(res, 404, `Not Found: ${pathname}; MCP is served at /mcp (Streamable HTTP) and /sse (legacy SSE)`);
    } catch (err) {
      logger.error({ err: err instanceof Error ? err.message : String(err), path: pathname }, 'MCP front request failed');
      replyError(res, 500, 'Internal error in the MCP front', { code: -32603 });
    }
  };

  const onSecureConnection = (socket: TLSSocket) => {
    guard?.handshakeDone(socket);
    stats.accepted += 1;
    stats.active += 1;
    const identity = identityOf(socket);
    const serial = identity.serial;
    if (serial) {
      socketsBySerial.add(serial, socket);
      // A revoked agent gets one HTTP answer saying so, then the connection goes.
      if (isRevoked(serial)) socket.setTimeout(2_000, () => socket.destroy());
    }
    socket.once('close', () => {
      stats.active -= 1;
      if (serial) socketsBySerial.delete(serial, socket);
    });
  };

  const reapIdle = () => {
    for (const session of idleSessions(sessions.all(), limits, Date.now(), sessionView)) {
      logger.info({ session: session.id }, 'closing idle MCP session');
      void session.relay.close();
    }
  };

  /** The one place this front cuts what a revoked certificate holds: its sessions and connections. */
  const cut = (serials: string[]): number => {
    const set = new Set(serials.map(normalizeSerial));
    for (const serial of set) revoked.add(serial);
    const victims = sessions.withSerials(set);
    for (const socket of socketsBySerial.take(set)) socket.destroy();
    for (const session of victims) {
      auditLog.append({
        time: new Date().toISOString(),
        kind: 'revocation',
        service: service.name,
        result: 'session_closed',
        session: session.id,
        ...(session.identity.cn !== undefined ? { peer_cn: session.identity.cn } : {}),
        ...(session.identity.serial !== undefined ? { serial: session.identity.serial } : {}),
      });
      void session.relay.close();
    }
    if (victims.length) logger.info({ serials: [...set], sessions: victims.length }, 'revoked sessions closed');
    return victims.length;
  };
  const unsubscribe = options.revocations?.subscribe((serials) => ({ mcp_sessions: cut(serials) }));

  return {
    async listen() {
      if (server) throw new Error('MCP front already listening');
      const s = createServer(serverTlsOptions(options.tls, service, ticketKeys), (req, res) => void onRequest(req, res));
      server = s;
      s.keepAliveTimeout = 5_000;
      guard = guardHandshakes(s, {
        handshakeTimeoutMs: () => service.limits.handshake_timeout,
        maxConnections: () => service.limits.max_connections,
        established: () => stats.active,
        onRefused: (reason, peer, message) => reject(reason, { remote: peer, message }),
      });
      s.on('secureConnection', onSecureConnection);
      s.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) => {
        if (peerHungUp(err, socket)) {
          // The agent went away (a client closing its pool, a reconnect it gave up on): nothing was refused.
          auditLog.append({ time: new Date().toISOString(), kind: 'connection', service: service.name, result: 'aborted', reason: 'peer_closed', remote: socket.remoteAddress, message: `the peer closed the connection during the TLS handshake (${err.code})` });
          return;
        }
        const refusal = refusalFromHandshakeError(err, socket, service.limits.handshake_timeout);
        reject(refusal.reason, { remote: socket.remoteAddress, message: refusal.detail });
        logger.debug({ err: err.message, remote: socket.remoteAddress }, 'TLS handshake refused');
      });
      const { host, port } = service.listen.address;
      await new Promise<void>((resolve, rejectListen) => {
        s.once('error', rejectListen);
        s.listen(port, host, () => {
          s.off('error', rejectListen);
          resolve();
        });
      });
      const interval = Math.max(1_000, Math.min(30_000, limits.idleTimeoutMs / 4));
      reaper = setInterval(reapIdle, interval);
      reaper.unref();
      const address = s.address() as AddressInfo;
      logger.info({ address: `${address.address}:${address.port}` }, 'MCP front listening');
      return { host: address.address, port: address.port };
    },
    revoke: cut,
    setSecureContext(tls) {
      server?.setSecureContext(secureContextOptions(tls, service, ticketKeys));
    },
    setPolicy(policy) {
      const next = { ...service, mtls: policy.mtls, authorization: policy.authorization };
      admission = createAdmission(next, isRevoked);
      authorizer = createAuthorizer(service.name, policy.authorization);
      rateLimits = createRateLimitPolicy(policy.authorization, 'rate_limit' in policy ? policy.rate_limit : service.rate_limit);
      logger.info({ rules: policy.authorization.length }, 'MCP front policy reloaded');
    },
    stats: () => ({
      sessions: sessions.size,
      mcp: { definition_changes: pinning?.stats().changes ?? 0, pinning_refused: pinning?.stats().refused ?? 0, rate_limited: limiter.refused, counters: { ...pinning?.stats().counters, ...limiter.counters() } },
      connections: { ...stats, rejected_by_reason: { ...stats.rejected_by_reason } } }),
    close() {
      closing ??= (async () => {
        if (reaper) clearInterval(reaper);
        unsubscribe?.();
        guard?.close();
        await Promise.allSettled(sessions.all().map((s) => s.relay.close()));
        newBackend.close();
        const s = server;
        if (!s) return;
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}
