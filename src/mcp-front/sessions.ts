/**
 * The front's live MCP sessions, each owned by one client certificate: the
 * agent-facing transport, its relay and backend. Lookups by session id route
 * requests; lookups by serial let revocation cut an agent's sessions at once.
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { PeerIdentity } from './peer-identity.js';
import type { Relay } from './relay.js';

export interface FrontSession {
  id: string;
  kind: 'streamable-http' | 'sse';
  identity: PeerIdentity;
  transport: Transport;
  relay: Relay;
  lastActive: number;
}

export interface SessionRegistry {
  add(session: FrontSession): void;
  get(id: string): FrontSession | undefined;
  remove(id: string): void;
  /** Sessions whose certificate serial is in `serials` (normalized). */
  withSerials(serials: ReadonlySet<string>): FrontSession[];
  all(): FrontSession[];
  readonly size: number;
  /** Remembers that a session ended because its backend failed for good, so its agent can be told why. */
  ended(id: string, owner: PeerIdentity, reason: string): void;
  /** Why the session `id` of `owner` ended, if its backend failed. */
  endReason(id: string, owner: PeerIdentity): string | undefined;
}

/** Ended sessions remembered for their agents, at most. */
const MAX_ENDED = 1_000;

export function createSessionRegistry(): SessionRegistry {
  const sessions = new Map<string, FrontSession>();
  const ended = new Map<string, { owner: string | undefined; reason: string }>();
  return {
    ended(id, owner, reason) {
      ended.set(id, { owner: owner.fingerprint256, reason });
      if (ended.size > MAX_ENDED) ended.delete(ended.keys().next().value as string);
    },
    endReason(id, owner) {
      const entry = ended.get(id);
      return entry && entry.owner === owner.fingerprint256 ? entry.reason : undefined;
    },
    add: (session) => void sessions.set(session.id, session),
    get: (id) => sessions.get(id),
    remove: (id) => void sessions.delete(id),
    withSerials: (serials) => [...sessions.values()].filter((s) => s.identity.serial !== undefined && serials.has(s.identity.serial)),
    all: () => [...sessions.values()],
    get size() {
      return sessions.size;
    },
  };
}

/** The same certificate that opened a session must use it: stops session-id replay by another agent. */
export function sameOwner(session: FrontSession, identity: PeerIdentity): boolean {
  return session.identity.fingerprint256 === identity.fingerprint256;
}
