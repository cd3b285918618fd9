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
import { createAdmission } from './admission.js';
import { createBackendFactory } from './backend.js';
import { replyError } from './http-replies.js';
import { identityFromSocket, type PeerIdentity } from './peer-identity.js';
import { createAuthorizer } from './policy.js';
import { createRelay } from './relay.js';
import type { RestartPolicy } from './resilient-transport.js';
import { handleSseMessage, handleSseStream, handleStreamableHttp, type RouteContext } from './routes.js';
import { createSessionRegistry, type FrontSession } from './sessions.js';
import { secureContextOptions, serverTlsOptions, type McpFrontTls } from './tls-options.js';

/** Each session holds a backend (a child process for stdio servers): cap what one certificate can hold open. */
export const MAX_SESSIONS_PER_AGENT = 32;

export interface McpFrontOptions {
  service: McpServiceConfig;
  tls: McpFrontTls;
  auditLog: { append(event: AuditEvent): void };
  logger: Logger;
  /** Asked on every request (and handshake) besides the serials passed to `revoke()`. */
  isRevoked?: ((serial: string) => boolean) | undefined;
  /** Backend restart backoff; defaults suit production. */
  restart?: Partial<RestartPolicy> | undefined;
}

export interface McpFrontStats {
  sessions: number;
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
  setPolicy(policy: Pick<McpServiceConfig, 'authorization' | 'mtls'>): void;
  stats(): McpFrontStats;
}

export function createMcpFront(options: McpFrontOptions): McpFront {
  const { service, auditLog } = options;
  const logger = options.logger.child({ service: service.name, component: 'mcp-front' });
  const revoked = new Set<string>();
  const isRevoked = (serial: string) => revoked.has(serial) || (options.isRevoked?.(serial) ?? false);
  let admission = createAdmission(service, isRevoked);
  let authorizer = createAuthorizer(service.name, service.authorization);
  const newBackend = createBackendFactory({ service, logger, restart: options.restart });
  const sessions = createSessionRegistry();
  const socketsBySerial = new Map<string, Set<TLSSocket>>();
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

  const openSession = async (kind: FrontSession['kind'], id: string, transport: Transport, identity: PeerIdentity): Promise<FrontSession> => {
    const relay = createRelay({
      front: transport,
      backend: newBackend(),
      // Looked up per request so a policy reload reaches live sessions too.
      policy: { decide: (kind, name) => authorizer.forIdentity(identity).decide(kind, name) },
      audit: { context: { service: service.name, session: id, transport: kind, identity, auditArguments: service.audit.arguments }, append: (e) => auditLog.append(e) },
      logger,
      label: `service ${service.name}`,
      serverStream: kind === 'streamable-http' ? 'on-demand' : 'always',
    });
    const session: FrontSession = { id, kind, identity, transport, relay, lastActive: Date.now() };
    relay.onclose = () => {
      sessions.remove(id);
      busy.delete(id);
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
      const open = sessions.all().filter((s) => s.identity.fingerprint256 === identity.fingerprint256).length;
      return open >= MAX_SESSIONS_PER_AGENT
        ? `Too many open MCP sessions for this certificate (${open}, at most ${MAX_SESSIONS_PER_AGENT}); close some (DELETE /mcp or end the SSE stream) first`
        : undefined;
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

  const onRequest = async (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket as TLSSocket;
    const identity = identityOf(socket);
    const refusal = admission(identity);
    if (refusal) {
      if (!refusedSockets.has(socket)) {
        refusedSockets.add(socket);
        reject(refusal.reason, { peer_cn: identity.cn, serial: identity.serial, message: refusal.message });
      }
      replyError(res, refusal.status, refusal.message, { code: -32001, data: { reason: refusal.reason }, close: true });
      return;
    }
    const url = new URL(req.url ?? '/', 'https://front.invalid');
    try {
      if (url.pathname === '/mcp') await handleStreamableHttp(routes, req, res, identity);
      else if (url.pathname === '/sse') await handleSseStream(routes, req, res, identity);
      else if (url.pathname === '/messages') await handleSseMessage(routes, req, res, identity, url);
      else replyError(res, 404, `Not Found: ${url.pathname}; MCP is served at /mcp (Streamable HTTP) and /sse (legacy SSE)`);
    } catch (err) {
      logger.error({ err: err instanceof Error ? err.message : String(err), path: url.pathname }, 'MCP front request failed');
      replyError(res, 500, 'Internal error in the MCP front', { code: -32603 });
    }
  };

  const onSecureConnection = (socket: TLSSocket) => {
    stats.accepted += 1;
    stats.active += 1;
    const identity = identityOf(socket);
    const serial = identity.serial;
    if (serial) {
      const set = socketsBySerial.get(serial) ?? new Set<TLSSocket>();
      set.add(socket);
      socketsBySerial.set(serial, set);
      // A revoked agent gets one HTTP answer saying so, then the connection goes.
      if (isRevoked(serial)) socket.setTimeout(2_000, () => socket.destroy());
    }
    socket.once('close', () => {
      stats.active -= 1;
      if (serial) socketsBySerial.get(serial)?.delete(socket);
      if (serial && socketsBySerial.get(serial)?.size === 0) socketsBySerial.delete(serial);
    });
  };

  const reapIdle = () => {
    const cutoff = Date.now() - service.limits.idle_timeout;
    for (const session of sessions.all()) {
      if (!busy.has(session.id) && session.lastActive < cutoff) {
        logger.info({ session: session.id }, 'closing idle MCP session');
        void session.relay.close();
      }
    }
  };

  return {
    async listen() {
      if (server) throw new Error('MCP front already listening');
      const s = createServer(serverTlsOptions(options.tls, service), (req, res) => void onRequest(req, res));
      server = s;
      s.maxConnections = service.limits.max_connections;
      s.keepAliveTimeout = 5_000;
      s.on('secureConnection', onSecureConnection);
      s.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) => {
        reject(err.code ?? 'tls_handshake_failed', { remote: socket.remoteAddress, message: err.message });
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
      const interval = Math.max(1_000, Math.min(30_000, service.limits.idle_timeout / 4));
      reaper = setInterval(reapIdle, interval);
      reaper.unref();
      const address = s.address() as AddressInfo;
      logger.info({ address: `${address.address}:${address.port}` }, 'MCP front listening');
      return { host: address.address, port: address.port };
    },
    revoke(serials) {
      const set = new Set(serials.map(normalizeSerial));
      for (const serial of set) revoked.add(serial);
      const cut = sessions.withSerials(set);
      for (const serial of set) for (const socket of socketsBySerial.get(serial) ?? []) socket.destroy();
      for (const session of cut) {
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
      if (cut.length) logger.info({ serials: [...set], sessions: cut.length }, 'revoked sessions closed');
      return cut.length;
    },
    setSecureContext(tls) {
      server?.setSecureContext(secureContextOptions(tls, service));
    },
    setPolicy(policy) {
      const next = { ...service, mtls: policy.mtls, authorization: policy.authorization };
      admission = createAdmission(next, isRevoked);
      authorizer = createAuthorizer(service.name, policy.authorization);
      logger.info({ rules: policy.authorization.length }, 'MCP front policy reloaded');
    },
    stats: () => ({ sessions: sessions.size, connections: { ...stats, rejected_by_reason: { ...stats.rejected_by_reason } } }),
    close() {
      closing ??= (async () => {
        if (reaper) clearInterval(reaper);
        await Promise.allSettled(sessions.all().map((s) => s.relay.close()));
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
