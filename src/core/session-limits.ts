/**
 * Limits on MCP sessions, the same for the MCP fronts and the remote MCP
 * listener: at most `maxPerIdentity` open sessions per certificate and
 * `maxTotal` in all. At a cap the least recently active session without an
 * open request or stream is closed to make room (an MCP client that never sends
 * DELETE, as many do not, must not lock itself out); only when every session
 * is busy is the new one refused. Sessions idle without a stream for
 * `idleTimeoutMs` (mcp.session_idle_timeout) are closed.
 */

export interface SessionLimits {
  idleTimeoutMs: number;
  maxPerIdentity: number;
  maxTotal: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { idleTimeoutMs: 600_000, maxPerIdentity: 32, maxTotal: 1_024 };

/** What the limits read of a session. */
export interface SessionView {
  /** The certificate that owns it (its fingerprint), or '' for an anonymous caller. */
  owner: string;
  lastActive: number;
  /** A request or a stream is open on it. */
  busy: boolean;
}

export type RoomVerdict<T> = { evict: T[] } | { refuse: string };

function leastRecentIdle<T>(candidates: T[], view: (s: T) => SessionView): T | undefined {
  let pick: T | undefined;
  let at = Infinity;
  for (const s of candidates) {
    const v = view(s);
    if (!v.busy && v.lastActive < at) {
      pick = s;
      at = v.lastActive;
    }
  }
  return pick;
}

/** What to close so `owner` can open one more session, or why it cannot. */
export function makeRoom<T>(sessions: readonly T[], owner: string, limits: SessionLimits, view: (s: T) => SessionView): RoomVerdict<T> {
  const evict: T[] = [];
  const mine = sessions.filter((s) => view(s).owner === owner);
  if (mine.length >= limits.maxPerIdentity) {
    const victim = leastRecentIdle(mine, view);
    if (!victim) {
      return { refuse: `Too many open MCP sessions for this certificate (${mine.length}, at most ${limits.maxPerIdentity}, every one busy); end one (DELETE /mcp or close its stream) first` };
    }
    evict.push(victim);
  }
  if (sessions.length - evict.length >= limits.maxTotal) {
    const victim = leastRecentIdle(sessions.filter((s) => !evict.includes(s)), view);
    if (!victim) return { refuse: `Too many open MCP sessions on this listener (${sessions.length}, at most ${limits.maxTotal}, every one busy); try again later` };
    evict.push(victim);
  }
  return { evict };
}

/** Sessions without an open request or stream for longer than the idle timeout. */
export function idleSessions<T>(sessions: readonly T[], limits: SessionLimits, now: number, view: (s: T) => SessionView): T[] {
  const cutoff = now - limits.idleTimeoutMs;
  return sessions.filter((s) => {
    const v = view(s);
    return !v.busy && v.lastActive < cutoff;
  });
}
