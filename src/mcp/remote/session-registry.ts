/**
 * Live remote MCP sessions (Streamable HTTP and SSE) and the TLS sockets under
 * them, by the caller's certificate serial, so that revoking a certificate cuts
 * its holder off at once: its sessions are closed and its sockets destroyed.
 */
import type { TLSSocket } from 'node:tls';
import type { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Logger } from '../../logger.js';
import type { SessionCutter } from '../deps.js';
import type { CallerIdentity } from '../identity.js';

interface SessionBase {
  id: string;
  identity: CallerIdentity;
  /** Closes the transport and its McpServer. */
  close(): Promise<void>;
}

export type RemoteSession =
  | (SessionBase & { kind: 'streamable-http'; transport: WebStandardStreamableHTTPServerTransport })
  | (SessionBase & { kind: 'sse'; transport: SSEServerTransport });

export interface SessionRegistry extends SessionCutter {
  add(session: RemoteSession): void;
  /** Looks a session up and marks it as just used. */
  get(id: string): RemoteSession | undefined;
  remove(id: string): void;
  trackSocket(socket: TLSSocket, serial: string): void;
  size(): number;
  /** Closes Streamable HTTP sessions unused for longer than `maxIdleMs` (clients that vanished without a DELETE); resolves with how many. */
  reapIdle(maxIdleMs: number): Promise<number>;
  closeAll(): Promise<void>;
}

export function createSessionRegistry(logger: Logger, now: () => number = Date.now): SessionRegistry {
  const sessions = new Map<string, RemoteSession>();
  const lastSeen = new Map<string, number>();
  const sockets = new Map<TLSSocket, string>();

  const closeQuietly = async (session: RemoteSession) => {
    try {
      await session.close();
    } catch (err) {
      logger.debug({ event: 'mcp_session_close_failed', session: session.id, err }, 'closing a session failed');
    }
  };

  return {
    add(session) {
      sessions.set(session.id, session);
      lastSeen.set(session.id, now());
      logger.info({ event: 'mcp_session_opened', session: session.id, kind: session.kind, cn: session.identity.cn, serial: session.identity.serial }, 'MCP session opened');
    },
    get(id) {
      const session = sessions.get(id);
      if (session) lastSeen.set(id, now());
      return session;
    },
    remove(id) {
      lastSeen.delete(id);
      if (sessions.delete(id)) logger.info({ event: 'mcp_session_closed', session: id }, 'MCP session closed');
    },
    trackSocket(socket, serial) {
      sockets.set(socket, serial);
      socket.once('close', () => sockets.delete(socket));
    },
    size: () => sessions.size,
    async reapIdle(maxIdleMs) {
      const cutoff = now() - maxIdleMs;
      // SSE sessions end with their event stream; only Streamable HTTP ones can be left behind.
      const idle = [...sessions.values()].filter((s) => s.kind === 'streamable-http' && (lastSeen.get(s.id) ?? 0) < cutoff);
      for (const s of idle) {
        sessions.delete(s.id);
        lastSeen.delete(s.id);
      }
      await Promise.all(idle.map(closeQuietly));
      if (idle.length > 0) logger.info({ event: 'mcp_sessions_reaped', sessions: idle.map((s) => s.id) }, 'closed idle MCP sessions');
      return idle.length;
    },
    async cutSerials(serials) {
      const wanted = new Set(serials);
      const victims = [...sessions.values()].filter((s) => s.identity.serial && wanted.has(s.identity.serial));
      for (const s of victims) {
        sessions.delete(s.id);
        lastSeen.delete(s.id);
      }
      await Promise.all(victims.map(closeQuietly));
      for (const [socket, serial] of sockets) {
        if (wanted.has(serial)) {
          socket.destroy();
          sockets.delete(socket);
        }
      }
      if (victims.length > 0) {
        logger.warn({ event: 'mcp_sessions_cut', serials, sessions: victims.map((s) => s.id) }, 'cut MCP sessions of revoked certificates');
      }
      return victims.length;
    },
    async closeAll() {
      const all = [...sessions.values()];
      sessions.clear();
      lastSeen.clear();
      await Promise.all(all.map(closeQuietly));
      for (const socket of sockets.keys()) socket.destroy();
      sockets.clear();
    },
  };
}
