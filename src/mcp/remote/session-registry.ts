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
  get(id: string): RemoteSession | undefined;
  remove(id: string): void;
  trackSocket(socket: TLSSocket, serial: string): void;
  size(): number;
  closeAll(): Promise<void>;
}

export function createSessionRegistry(logger: Logger): SessionRegistry {
  const sessions = new Map<string, RemoteSession>();
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
      logger.info({ event: 'mcp_session_opened', session: session.id, kind: session.kind, cn: session.identity.cn, serial: session.identity.serial }, 'MCP session opened');
    },
    get: (id) => sessions.get(id),
    remove(id) {
      if (sessions.delete(id)) logger.info({ event: 'mcp_session_closed', session: id }, 'MCP session closed');
    },
    trackSocket(socket, serial) {
      sockets.set(socket, serial);
      socket.once('close', () => sockets.delete(socket));
    },
    size: () => sessions.size,
    async cutSerials(serials) {
      const wanted = new Set(serials);
      const victims = [...sessions.values()].filter((s) => s.identity.serial && wanted.has(s.identity.serial));
      for (const s of victims) sessions.delete(s.id);
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
      await Promise.all(all.map(closeQuietly));
      for (const socket of sockets.keys()) socket.destroy();
      sockets.clear();
    },
  };
}
