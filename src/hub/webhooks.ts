/**
 * Webhooks, the second delivery path: each revocation is POSTed to every
 * registered URL with an HMAC-SHA256 signature of the body
 * (`X-Tlsmcp-Signature: sha256=<hex>`), retried with backoff, and every
 * delivery is stored so admins can list it.
 */
import { createHmac } from 'node:crypto';
import type { Logger } from '../logger.js';
import { backoffDelay } from './backoff.js';
import type { FeedBroker } from './feed-broker.js';
import type { HubStore } from './store.js';
import type { FeedEntry } from './types.js';

export interface WebhookDispatcher {
  /** Resolves when every delivery in flight has finished (delivered or given up). */
  idle(): Promise<void>;
  close(): void;
}

export interface WebhookDispatcherOptions {
  store: HubStore;
  broker: FeedBroker;
  logger: Logger;
  fetch?: typeof fetch;
  maxAttempts?: number;
  baseDelayMs?: number;
  timeoutMs?: number;
  clock?: () => Date;
}

export function signBody(secret: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const { store, logger } = options;
  const doFetch = options.fetch ?? fetch;
  const clock = options.clock ?? (() => new Date());
  const maxAttempts = options.maxAttempts ?? 5;
  const inFlight = new Set<Promise<void>>();
  let closed = false;
  const timers = new Map<NodeJS.Timeout, () => void>();

  /** A backoff wait that close() ends early, so idle() never hangs on a closed dispatcher. */
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.set(t, resolve);
    });

  async function deliver(webhook: { id: string; url: string; secret: string }, entry: FeedEntry) {
    const id = await store.addDelivery(webhook.id, entry.seq, clock().toISOString());
    const body = JSON.stringify(entry);
    for (let attempt = 1; attempt <= maxAttempts && !closed; attempt++) {
      let error: string | null = null;
      try {
        const res = await doFetch(webhook.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-tlsmcp-signature': signBody(webhook.secret, body), 'x-tlsmcp-event-id': String(entry.seq), 'x-tlsmcp-event': entry.type },
          body,
          signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
        });
        if (res.ok) {
          await store.updateDelivery(id, { status: 'delivered', attempts: attempt, last_error: null, updated_at: clock().toISOString() });
          return;
        }
        error = `HTTP ${res.status}`;
      } catch (err) {
        error = (err as Error).message;
      }
      const last = attempt === maxAttempts;
      await store.updateDelivery(id, { status: last ? 'failed' : 'pending', attempts: attempt, last_error: error, updated_at: clock().toISOString() });
      logger.warn({ event: 'webhook_failed', webhook: webhook.id, seq: entry.seq, attempt, err: error }, last ? 'webhook delivery failed; giving up' : 'webhook delivery failed; retrying');
      if (!last) await sleep(backoffDelay(attempt, { baseMs: options.baseDelayMs ?? 500, maxMs: 30_000 }));
    }
  }

  const unsubscribe = options.broker.subscribe((entry) => {
    if (entry.type !== 'revocation' || closed) return;
    const run = (async () => {
      for (const w of await store.listWebhooks()) {
        const p = deliver(w, entry).catch((err: Error) => logger.error({ event: 'webhook_error', err: err.message }, 'webhook delivery crashed'));
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
    })();
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
  });

  return {
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    close() {
      closed = true;
      unsubscribe();
      for (const [t, resolve] of timers) {
        clearTimeout(t);
        resolve();
      }
      timers.clear();
    },
  };
}
