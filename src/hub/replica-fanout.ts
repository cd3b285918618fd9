/**
 * The feed broker of a Hub replica that shares its database with others. A
 * change made through this replica and a notification from any other one are
 * treated alike: both only say "the feed moved", and the fan-out reads the
 * feed from the database after the last position it delivered, in order, and
 * hands each entry to this replica's streams. So the database stays the source
 * of truth, entries reach every replica's sidecars in feed order (the stream
 * route drops anything at or below what it sent), and a notification that was
 * lost (a dropped LISTEN connection) is made up by the next read, by the read
 * after re-LISTEN, or at the latest by the periodic safety read.
 */
import type { Logger } from '../logger.js';
import { createFeedBroker, type FeedBroker } from './feed-broker.js';
import type { HubStore } from './store.js';
import type { FeedEntry } from './types.js';

export interface ReplicaFanoutOptions {
  store: HubStore & { onFeed(listener: () => void): () => void };
  /** Where this replica's own changes are published (by the Hub service, after commit). */
  local: FeedBroker;
  logger: Logger;
  /** A read even without notifications, for a LISTEN connection silently gone (default 5 s). */
  safetyIntervalMs?: number;
}

export interface ReplicaFanout extends FeedBroker {
  /** The last feed position delivered to this replica's streams. */
  position(): number;
  close(): void;
}

export async function createReplicaFanout(options: ReplicaFanoutOptions): Promise<ReplicaFanout> {
  const { store, local, logger } = options;
  const out = createFeedBroker();
  let last = await store.lastSeq();
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  async function drain(): Promise<void> {
    do {
      again = false;
      let entries: FeedEntry[];
      try {
        entries = await store.feedSince(last);
      } catch (err) {
        // The next notification or safety read retries; the cursor did not move.
        logger.warn({ event: 'hub_fanout_read_failed', err: (err as Error).message }, 'cannot read the feed from the database');
        return;
      }
      for (const entry of entries) {
        if (closed || entry.seq <= last) continue;
        last = entry.seq;
        out.publish(entry);
      }
    } while (again && !closed);
  }

  /** Single-flight: a poke during a read makes one more read after it. */
  function poke() {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = drain().finally(() => {
      running = undefined;
      // A poke between the last read and here still gets its read.
      if (again) poke();
    });
  }

  const offStore = store.onFeed(poke);
  const offLocal = local.subscribe(poke);
  const timer = setInterval(poke, options.safetyIntervalMs ?? 5_000);
  timer.unref();

  return {
    publish: poke,
    subscribe: (l) => out.subscribe(l),
    subscribers: () => out.subscribers(),
    position: () => last,
    close() {
      closed = true;
      clearInterval(timer);
      offStore();
      offLocal();
    },
  };
}
