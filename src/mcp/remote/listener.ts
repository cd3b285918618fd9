/**
 * The remote MCP listener: one HTTPS server (hono on @hono/node-server) at
 * `mcp.sse_address` serving Streamable HTTP and legacy SSE. With
 * `mcp.self_secure` the TLS handshake requires a client certificate from the
 * local CA, so an unauthenticated client never reaches HTTP. Revoked callers
 * are refused right after the handshake and their live sessions cut.
 */
import { once } from 'node:events';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { serve } from '@hono/node-server';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { compileAdmission, refusalFromHandshakeError } from '../../core/admission.js';
import { guardHandshakes } from '../../core/handshake-guard.js';
import { peerIdentityOf } from '../../core/identity.js';
import { createRevocationFeed, type RevocationFeed } from '../../core/revocation.js';
import { followRevocationFile, type RevocationFileSource } from '../../core/revocation-file.js';
import { DEFAULT_SESSION_LIMITS, type SessionLimits } from '../../core/session-limits.js';
import { newTicketKeys, serverContextOptions, serverOptions, type TlsMaterialPems } from '../../core/tls-options.js';
import { LIMIT_DEFAULTS } from '../../config/schema.js';
import { statePaths } from '../../state/state-dir.js';
import type { HostPort } from '../../util/address.js';
import { formatHostPort } from '../../util/address.js';
import type { McpServerDeps } from '../deps.js';
import { callerFromPeer, type CallerIdentity } from '../identity.js';
import { ensureListenerCertificate, scheduleListenerRenewal, type ListenerCertificate } from './listener-cert.js';
import { createRemoteRoutes } from './routes.js';
import { createSessionRegistry } from './session-registry.js';

export interface RemoteListenerOptions {
  /** Everything but `sessions`, which the listener supplies. */
  deps: Omit<McpServerDeps, 'sessions'>;
  /** A fresh McpServer per session, built from the deps given (composition wires the tools and resources). */
  createServer: (deps: McpServerDeps) => McpServer;
  address: HostPort;
  /** Require a client certificate from the local CA (mcp.self_secure). */
  selfSecure: boolean;
  /** Overrides mcp.session_idle_timeout (ms). */
  sessionIdleMs?: number | undefined;
  /** Sockets that have not finished the TLS handshake this long after accept are cut (default: limits.handshake_timeout's default, 10 s). */
  handshakeTimeoutMs?: number | undefined;
  /** The process's revocation feed; without one the listener follows the state dir's revocations.json itself. */
  revocations?: RevocationFeed | undefined;
}

export interface RemoteListener {
  address: HostPort;
  /** https://host:port, for clients: append /mcp or /sse. */
  url: string;
  /** The listener's current server certificate serial (issued by the local CA, renewed before expiry). */
  readonly certificateSerial: string;
  sessionCount(): number;
  /** Stops accepting, closes every session and socket. Safe to call twice. */
  close(): Promise<void>;
}

export async function startRemoteListener(options: RemoteListenerOptions): Promise<RemoteListener> {
  const { deps, selfSecure } = options;
  const logger = deps.logger.child({ component: 'mcp-remote' });
  const mcp = deps.config.mcp;
  const renewBeforeMs = deps.config.server_cert.renew_before;
  const cert = await ensureListenerCertificate(deps.ca, options.address.host, logger, { renewBeforeMs, now: deps.clock() });
  const limits: SessionLimits = {
    idleTimeoutMs: options.sessionIdleMs ?? mcp.session_idle_timeout ?? DEFAULT_SESSION_LIMITS.idleTimeoutMs,
    maxPerIdentity: mcp.max_sessions_per_identity ?? DEFAULT_SESSION_LIMITS.maxPerIdentity,
    maxTotal: mcp.max_sessions ?? DEFAULT_SESSION_LIMITS.maxTotal,
  };
  const registry = createSessionRegistry(logger, limits);
  const feed = options.revocations ?? createRevocationFeed();
  let ownSource: RevocationFileSource | undefined;
  if (!options.revocations) {
    ownSource = followRevocationFile(feed, { path: statePaths(deps.stateDir).revocations, pollMs: Math.max(250, deps.config.revocation_refresh), logger });
  }
  const unsubscribe = feed.subscribe(async (serials) => ({ mcp_sessions: await registry.cutSerials(serials) }));
  const sessionDeps: McpServerDeps = {
    ...deps,
    revocations: feed,
    sessions: { cutSerials: (serials) => registry.cutSerials(serials) },
  };
  const mode = selfSecure ? 'required' : 'disabled';
  const admit = compileAdmission({ mode, ...mcp.mtls }, { isRevoked: (serial) => feed.has(serial) });
  const callers = new WeakMap<TLSSocket, CallerIdentity>();
  const app = createRemoteRoutes({
    registry,
    createServer: () => options.createServer(sessionDeps),
    requireCertificate: selfSecure,
    rules: () => deps.config.mcp.authorization,
    isRevoked: (serial) => feed.has(serial),
    callerOf: (socket) => callers.get(socket),
    allowedHostnames: selfSecure ? undefined : ['localhost', '127.0.0.1', '[::1]', options.address.host.toLowerCase()],
    logger,
  });

  const settings = { protocol: 'tls13' as const };
  const ticketKeys = newTicketKeys();
  const material = (c: ListenerCertificate): TlsMaterialPems => ({ certPem: c.certPem, keyPem: c.keyPem, caPems: [c.caPem] });
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? LIMIT_DEFAULTS.handshake_timeout;
  const server = serve({
    fetch: app.fetch,
    hostname: options.address.host,
    port: options.address.port,
    overrideGlobalObjects: false,
    createServer: createHttpsServer,
    serverOptions: serverOptions(settings, material(cert), { mode, ticketKeys, handshakeTimeoutMs }),
  }) as HttpsServer;

  let live = 0;
  const guard = guardHandshakes(server, {
    handshakeTimeoutMs: () => handshakeTimeoutMs,
    maxConnections: () => limits.maxTotal * 4,
    established: () => live,
    onRefused: (reason, remote, detail) => logger.info({ event: 'mcp_connection_refused', reason, remote }, detail),
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    guard.handshakeDone(socket);
    const peer = selfSecure ? peerIdentityOf(socket) : undefined;
    const refusal = admit({ identity: peer, authorized: socket.authorized, authorizationError: socket.authorizationError, resumed: socket.isSessionReused() });
    if (refusal) {
      logger.warn({ event: 'mcp_connection_refused', reason: refusal.reason, cn: peer?.cn, serial: peer?.serial, remote: socket.remoteAddress }, `refused a client: ${refusal.detail}`);
      socket.destroy();
      return;
    }
    live += 1;
    socket.once('close', () => (live -= 1));
    if (!peer) return;
    callers.set(socket, callerFromPeer(peer));
    registry.trackSocket(socket, peer.serial);
  });
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
    const refusal = refusalFromHandshakeError(err, socket, handshakeTimeoutMs);
    logger.info({ event: 'mcp_handshake_refused', reason: refusal.reason, code: err.code, remote: socket.remoteAddress }, `refused a TLS handshake: ${refusal.detail}`);
  });

  try {
    if (!server.listening) await once(server, 'listening');
  } catch (err) {
    unsubscribe();
    ownSource?.close();
    guard.close();
    throw err;
  }
  let certificateSerial = cert.serial;
  const renewal = scheduleListenerRenewal({
    ca: deps.ca,
    host: options.address.host,
    logger,
    clock: deps.clock,
    renewBeforeMs,
    current: cert,
    apply: (next) => {
      // New handshakes get the new certificate; live connections keep theirs.
      server.setSecureContext(serverContextOptions(settings, material(next), mode, ticketKeys));
      certificateSerial = next.serial;
    },
  });
  const reaper = setInterval(() => void registry.reapIdle(), Math.max(50, Math.min(60_000, limits.idleTimeoutMs / 2)));
  reaper.unref();
  const bound = server.address() as AddressInfo;
  const address = { host: options.address.host, port: bound.port };
  const urlHost = ['0.0.0.0', '::', ''].includes(address.host) ? '127.0.0.1' : address.host;
  logger.info({ event: 'mcp_listening', address: formatHostPort(address), self_secure: selfSecure }, 'MCP remote listener ready');

  let closing: Promise<void> | undefined;
  return {
    address,
    url: `https://${formatHostPort({ host: urlHost, port: address.port })}`,
    get certificateSerial() {
      return certificateSerial;
    },
    sessionCount: () => registry.size(),
    close() {
      closing ??= (async () => {
        unsubscribe();
        ownSource?.close();
        guard.close();
        renewal.stop();
        clearInterval(reaper);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        await registry.closeAll();
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}
