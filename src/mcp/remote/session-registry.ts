/**
 * Live remote MCP sessions (Streamable HTTP and SSE) and the TLS sockets under
 * them, by the caller's certificate serial, so that revoking a certificate cuts
 * its holder off at once: its sessions are closed and its sockets destroyed.
 * Session caps and idle expiry are the core's (src/core/session-limits.ts).
 */
import type { TLSSocket } from 'node:tls';
import type { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { createSerialIndex } from '../../core/serial-index.js';
import { DEFAULT_SESSION_LIMITS, idleSessions, makeRoom, type SessionLimits } from '../../core/session-limits.js';
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
  /** A request or stream on this session opened; call the returned function when it ends. */
  busy(id: string): () => void;
  /** Closes this identity's (or the listener's) least recently active idle session if a cap is reached; returns a refusal when none can go. */
  makeRoomFor(identity: CallerIdentity): Promise<string | undefined>;
  trackSocket(socket: TLSSocket, serial: string): void;
  size(): number;
  /** Closes sessions without an open request or stream for longer than the idle timeout; resolves with how many. */
  reapIdle(): Promise<number>;
  closeAll(): Promise<void>;
}

export function createSessionRegistry(logger: Logger, limits: SessionLimits = DEFAULT_SESSION_LIMITS, now: () => number = Date.now): SessionRegistry {
  const sessions = new Map<string, RemoteSession>();
  const lastSeen = new Map<string, number>();
  const open = new Map<string, number>();
  const sockets = createSerialIndex<TLSSocket>();

  const closeQuietly = async (session: RemoteSession) => {
    try {
      await session.close();
    } catch (err) {
      logger.debug({ event: 'mcp_session_close_failed', session: session.id, err }, 'closing a session failed');
    }
  };
  // An SSE session lives exactly as long as its event stream: always busy.
  const view = (s: RemoteSession) => ({ owner: s.identity.fingerprint ?? '', lastActive: lastSeen.get(s.id) ?? 0, busy: s.kind === 'sse' || (open.get(s.id) ?? 0) > 0 });
  const drop = (victims: RemoteSession[]) => {
    for (const s of victims) {
      sessions.delete(s.id);
      lastSeen.delete(s.id);
      open.delete(s.id);
    }
    return Promise.all(victims.map(closeQuietly));
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
      open.delete(id);
      if (sessions.delete(id)) logger.info({ event: 'mcp_session_closed', session: id }, 'MCP session closed');
    },
    busy(id) {
      open.set(id, (open.get(id) ?? 0) + 1);
      return () => {
        const left = (open.get(id) ?? 1) - 1;
        if (left > 0) open.set(id, left);
        else open.delete(id);
        if (sessions.has(id)) lastSeen.set(id, now());
      };
    },
    async makeRoomFor(identity) {
      const verdict = makeRoom([...sessions.values()], identity.fingerprint ?? '', limits, view);
      if ('refuse' in verdict) return verdict.refuse;
      if (verdict.evict.length) {
        logger.info({ event: 'mcp_session_evicted', sessions: verdict.evict.map((s) => s.id) }, 'closed the least recently active idle MCP session to make room');
        await drop(verdict.evict);
      }
      return undefined;
    },
    trackSocket(socket, serial) {
      sockets.add(serial, socket);
      socket.once('close', () => sockets.delete(serial, socket));
    },
    size: () => sessions.size,
    async reapIdle() {
      const idle = idleSessions([...sessions.values()], limits, now(), view);
      await drop(idle);
      if (idle.length > 0) logger.info({ event: 'mcp_sessions_reaped', sessions: idle.map((s) => s.id) }, 'closed idle MCP sessions');
      return idle.length;
    },
    async cutSerials(serials) {
      const wanted = new Set(serials);
      const victims = [...sessions.values()].filter((s) => s.identity.serial && wanted.has(s.identity.serial));
      await drop(victims);
      for (const socket of sockets.take(wanted)) socket.destroy();
      if (victims.length > 0) {
        logger.warn({ event: 'mcp_sessions_cut', serials, sessions: victims.map((s) => s.id) }, 'cut MCP sessions of revoked certificates');
      }
      return victims.length;
    },
    async closeAll() {
      const all = [...sessions.values()];
      await drop(all); // the listener destroys the sockets
    },
  };
}
