/**
 * The revocation feed: one per process, one in-memory set of revoked serials.
 * Every source goes through it (the CA's revocations.json via
 * ./revocation-file.ts, the revoke tool in this process, later a Hub), and
 * every consumer subscribes to it (the supervisor, which tells its workers by
 * message; the remote MCP listener, which cuts its sessions). A worker thread
 * keeps its own feed, filled from the supervisor's messages.
 *
 * `add` resolves once every subscriber has cut what it holds for those
 * serials, with the counts they report (e.g. `{ connections: 2, mcp_sessions: 1 }`).
 * A serial another source added a moment earlier resolves with that cut's
 * counts, so whoever revokes learns what it cut, whichever source got there first.
 */
import { normalizeSerial } from '../ca/serial.js';

/** What a subscriber reports it cut, by kind. */
export type CutCounts = Record<string, number>;

export type RevocationSubscriber = (serials: string[]) => CutCounts | void | Promise<CutCounts | void>;

export interface RevocationOutcome {
  /** Serials that were not in the set before this call (normalized). */
  added: string[];
  /** What the subscribers cut for the serials of this call. */
  cut: CutCounts;
}

export interface RevocationFeed {
  has(serial: string): boolean;
  /** Adds serials (any hex spelling) and cuts their live connections through the subscribers. */
  add(serials: readonly string[]): Promise<RevocationOutcome>;
  /** Called with each batch of newly revoked serials; returns the unsubscribe function. */
  subscribe(subscriber: RevocationSubscriber): () => void;
  /** Every revoked serial, normalized. */
  list(): string[];
  readonly size: number;
}

function sum(into: CutCounts, from: CutCounts | void): void {
  if (!from) return;
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

export function createRevocationFeed(initial: Iterable<string> = []): RevocationFeed {
  const revoked = new Set<string>();
  for (const s of initial) revoked.add(normalizeSerial(s));
  const subscribers = new Set<RevocationSubscriber>();
  // The cut of each serial added through `add`, so a late caller gets its counts.
  const cuts = new Map<string, Promise<CutCounts>>();

  const notify = async (serials: string[]): Promise<CutCounts> => {
    const total: CutCounts = {};
    const results = await Promise.allSettled([...subscribers].map(async (s) => s(serials)));
    for (const r of results) if (r.status === 'fulfilled') sum(total, r.value);
    return total;
  };

  return {
    has: (serial) => revoked.has(serial),
    async add(serials) {
      const wanted = [...new Set(serials.map(normalizeSerial))];
      const added = wanted.filter((s) => !revoked.has(s));
      for (const s of added) revoked.add(s);
      if (added.length > 0) {
        const cut = notify(added);
        for (const s of added) cuts.set(s, cut);
      }
      const batches = new Set(wanted.map((s) => cuts.get(s)).filter((p): p is Promise<CutCounts> => p !== undefined));
      const cut: CutCounts = {};
      for (const counts of await Promise.all(batches)) sum(cut, counts);
      return { added, cut };
    },
    subscribe(subscriber) {
      subscribers.add(subscriber);
      return () => void subscribers.delete(subscriber);
    },
    list: () => [...revoked],
    get size() {
      return revoked.size;
    },
  };
}
