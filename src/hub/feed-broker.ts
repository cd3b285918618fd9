/**
 * Fans each new feed entry (revocation, policy change) out to the open SSE
 * streams and the webhook dispatcher, after the store committed it.
 */
import type { FeedEntry } from './types.js';

export interface FeedBroker {
  publish(entry: FeedEntry): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: (entry: FeedEntry) => void): () => void;
  subscribers(): number;
}

export function createFeedBroker(): FeedBroker {
  const listeners = new Set<(entry: FeedEntry) => void>();
  return {
    publish(entry) {
      for (const l of [...listeners]) l(entry);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    subscribers: () => listeners.size,
  };
}
