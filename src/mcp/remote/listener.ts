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
import type { HostPort } from '../../util/address.js';
import { formatHostPort } from '../../util/address.js';
import type { McpServerDeps } from '../deps.js';
import { identityFromPeerCertificate } from '../identity.js';
import { createMcpServer } from '../server.js';
import { ensureListenerCertificate, scheduleListenerRenewal } from './listener-cert.js';
import { startRevocationWatch } from './revocation-watch.js';
import { createRemoteRoutes } from './routes.js';
import { createSessionRegistry } from './session-registry.js';

export interface RemoteListenerOptions {
  /** Everything but `sessions`, which the listener supplies. */
  deps: Omit<McpServerDeps, 'sessions'>;
  address: HostPort;
  /** Require a client certificate from the local CA (mcp.self_secure). */
  selfSecure: boolean;
  /** Close a session after this long without a request (default 1 h): clients that vanish never send DELETE. */
  sessionIdleMs?: number | undefined;
}

const DEFAULT_SESSION_IDLE_MS = 3_600_000;

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
  const renewBeforeMs = deps.config.server_cert.renew_before;
  const cert = await ensureListenerCertificate(deps.ca, options.address.host, logger, { renewBeforeMs, now: deps.clock() });
  const registry = createSessionRegistry(logger);
  const watch = await startRevocationWatch({
    ca: deps.ca,
    intervalMs: Math.max(250, deps.config.revocation_refresh),
    logger,
    onRevoked: (serials) => registry.cutSerials(serials),
  });
  const sessionDeps: McpServerDeps = {
    ...deps,
    sessions: {
      // The revoke tool in this process: refuse the serials now rather than at the next poll, then cut.
      cutSerials(serials) {
        watch.add(serials);
        return registry.cutSerials(serials);
      },
    },
  };
  const app = createRemoteRoutes({
    registry,
    createServer: () => createMcpServer(sessionDeps),
    requireCertificate: selfSecure,
    rules: () => deps.config.mcp.authorization,
    isRevoked: (serial) => watch.isRevoked(serial),
    allowedHostnames: selfSecure ? undefined : ['localhost', '127.0.0.1', '[::1]', options.address.host.toLowerCase()],
    logger,
  });

  const server = serve({
    fetch: app.fetch,
    hostname: options.address.host,
    port: options.address.port,
    overrideGlobalObjects: false,
    createServer: createHttpsServer,
    serverOptions: {
      cert: cert.certPem,
      key: cert.keyPem,
      ca: cert.caPem,
      minVersion: 'TLSv1.3',
      requestCert: selfSecure,
      rejectUnauthorized: selfSecure,
    },
  }) as HttpsServer;

  server.on('secureConnection', (socket: TLSSocket) => {
    const identity = identityFromPeerCertificate(socket.getPeerCertificate());
    if (!identity?.serial) return;
    if (watch.isRevoked(identity.serial)) {
      logger.warn({ event: 'mcp_connection_refused', reason: 'revoked', cn: identity.cn, serial: identity.serial }, 'refused a revoked client certificate');
      socket.destroy();
      return;
    }
    registry.trackSocket(socket, identity.serial);
  });
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
    logger.info({ event: 'mcp_handshake_refused', code: err.code, remote: socket.remoteAddress }, `refused a TLS handshake: ${err.message}`);
  });

  try {
    if (!server.listening) await once(server, 'listening');
  } catch (err) {
    watch.stop();
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
      server.setSecureContext({ cert: next.certPem, key: next.keyPem, ca: next.caPem, minVersion: 'TLSv1.3' });
      certificateSerial = next.serial;
    },
  });
  const idleMs = options.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS;
  const reaper = setInterval(() => void registry.reapIdle(idleMs), Math.max(50, Math.min(60_000, idleMs / 2)));
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
        watch.stop();
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
