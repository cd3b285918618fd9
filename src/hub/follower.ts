/**
 * The sidecar's side of the Hub: follows GET /api/v1/stream (the `eventsource`
 * client over an undici Agent that presents the instance certificate and
 * trusts only the pinned Hub CA), keeps the feed cursor and every revocation
 * and policy on disk, catches up from /api/v1/certs/revocations?since=CURSOR
 * on every (re)connect, retries every sync_interval with jitter, and reports
 * events (and its cursor, for the sync latency) in batches. The same code runs
 * in `tlsmcp run` and in the fleet benchmark.
 */
import { EventSource } from 'eventsource';
import { createMtlsFetch, type MtlsFetch } from '../connect/mtls-fetch.js';
import type { Logger } from '../logger.js';
import { VERSION } from '../version.js';
import { backoffDelay } from './backoff.js';
import { readCredentials, readFeedCache, sidecarHubPaths, storePolicy, writeFeedCache, type FeedCache } from './sidecar-files.js';
import { feedEntrySchema, policyRecordSchema, revocationSchema, type FleetEvent, type PolicyRecord, type Revocation } from './types.js';
import { z } from 'zod';

export interface HubFollowerOptions {
  /** Hub URLs, tried in turn. */
  urls: string[];
  stateDir: string;
  /** Services whose policy this instance follows. */
  serviceIds: string[];
  /** Delay between reconnect attempts while the Hub is unreachable (jittered). */
  syncIntervalMs: number;
  /** How often queued events (and the cursor) are sent; default min(sync interval, 10 s). */
  reportIntervalMs?: number;
  logger: Logger;
  /**
   * Revocations not seen before. Called as soon as they arrive; they are written
   * to disk right after (the cursor on disk only moves with them, so a crash in
   * between means they are fetched again, never missed).
   */
  onRevocations: (revocations: Revocation[]) => void;
  /** A policy newer than the cached one, already on disk. */
  onPolicy?: (record: PolicyRecord) => void;
  random?: () => number;
}

export interface HubFollowerStatus {
  connected: boolean;
  url: string | null;
  cursor: number;
  last_sync: string | null;
  last_error: string | null;
  /** Delay from the last change on the Hub (its revoked_at / at) to this follower applying it, ms. */
  sync_latency_ms: number | null;
}

export interface HubFollower {
  start(): void;
  status(): HubFollowerStatus;
  /** Serials revoked according to the cache (survives restarts with the Hub down). */
  revokedSerials(): string[];
  /** Queues events for the next batch to the Hub. */
  report(events: FleetEvent[]): void;
  /** Drops the stream and connects again now, with the credentials on disk (after a renewal). */
  reconnect(): void;
  /** A JSON request to the Hub with the instance certificate (e.g. renewals); throws when it fails. */
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

const MAX_QUEUE = 10_000;
/** Delay before trying the next Hub URL after one failed (jittered). */
const FAILOVER_DELAY_MS = 250;
/** The longest any request to the Hub may take (renewals; the stream is closed before its client is retired). */
const REQUEST_TIMEOUT_MS = 30_000;
const deltaSchema = z.object({ revocations: z.array(revocationSchema), cursor: z.number().int() });

export function createHubFollower(options: HubFollowerOptions): HubFollower {
  const { logger } = options;
  const paths = sidecarHubPaths(options.stateDir);
  let closed = false;
  let started = false;
  let urlIndex = 0;
  let http: MtlsFetch | undefined;
  /** Clients replaced by a reconnect, closing once their requests are answered. */
  const retiring = new Set<MtlsFetch>();
  let source: EventSource | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let reportTimer: NodeJS.Timeout | undefined;
  let attempt = 0;
  const queue: FleetEvent[] = [];
  const cache: FeedCache = readFeedCache(paths);
  const known = new Set(cache.revoked.map((r) => r.serial));
  const status: HubFollowerStatus = { connected: false, url: null, cursor: cache.cursor, last_sync: null, last_error: null, sync_latency_ms: null };
  let persisting: Promise<void> | undefined;
  let dirty = false;

  /** Writes the in-memory cache; writes are serialized and coalesced. */
  function persist(): void {
    if (persisting) {
      dirty = true;
      return;
    }
    persisting = (async () => {
      do {
        dirty = false;
        try {
          await writeFeedCache(paths, { version: 1, cursor: cache.cursor, revoked: [...cache.revoked] });
        } catch (err) {
          logger.error({ event: 'hub_cache_write_failed', err: (err as Error).message }, 'cannot write the Hub feed cache; will retry with the next change');
        }
      } while (dirty);
    })().finally(() => (persisting = undefined));
  }

  const url = () => options.urls[urlIndex % options.urls.length]!;

  function retire(client: MtlsFetch) {
    const timer = setTimeout(() => void client.destroy().catch(() => undefined), REQUEST_TIMEOUT_MS + 1_000);
    timer.unref();
    retiring.add(client);
    void client
      .close()
      .catch(() => client.destroy())
      .catch(() => undefined)
      .finally(() => {
        clearTimeout(timer);
        retiring.delete(client);
      });
  }

  function applyRevocations(revocations: Revocation[], cursor: number) {
    const fresh = revocations.filter((r) => !known.has(r.serial));
    for (const r of fresh) {
      known.add(r.serial);
      cache.revoked.push(r);
    }
    if (fresh.length > 0) options.onRevocations(fresh);
    if (!advance(cursor) && fresh.length > 0) persist();
    status.last_sync = new Date().toISOString();
  }

  /** Moves the cursor forward and persists; false when it was not ahead. */
  function advance(cursor: number): boolean {
    if (cursor <= cache.cursor) return false;
    cache.cursor = cursor;
    status.cursor = cursor;
    persist();
    return true;
  }

  function applyPolicy(record: PolicyRecord) {
    if (storePolicy(paths, record)) options.onPolicy?.(record);
  }

  async function getJson<T>(path: string, schema: z.ZodType<T>): Promise<T> {
    const res = await http!.fetch(new URL(path, url()).toString(), { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as unknown;
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} ${JSON.stringify(body)}`);
    return schema.parse(body);
  }

  async function connect() {
    if (closed) return;
    // Read the credentials each time: a renewal rewrites them.
    const creds = readCredentials(paths);
    const previous = http;
    http = createMtlsFetch({ caPem: creds.caPem, certPem: creds.instanceCertPem, keyPem: creds.keyPem });
    // Closed, not destroyed: a request still in flight on it (a renewal the Hub is
    // answering) must get its answer, or the Hub has renewed a certificate the
    // sidecar never received. Destroyed once every request would have timed out.
    if (previous) retire(previous);
    const delta = await getJson(`/api/v1/certs/revocations?since=${status.cursor}`, deltaSchema);
    applyRevocations(delta.revocations, delta.cursor);
    for (const id of options.serviceIds) applyPolicy(await getJson(`/api/v1/policy/${encodeURIComponent(id)}`, policyRecordSchema));
    if (closed) return;
    const es = new EventSource(new URL(`/api/v1/stream?since=${status.cursor}`, url()).toString(), { fetch: http.fetch });
    source = es;
    es.addEventListener('hello', () => {
      attempt = 0;
      status.connected = true;
      status.url = url();
      status.last_error = null;
      status.last_sync = new Date().toISOString();
      logger.info({ event: 'hub_connected', url: url(), cursor: status.cursor }, 'following the Hub');
    });
    const onEntry = (e: { data: string }) => {
      try {
        const entry = feedEntrySchema.parse(JSON.parse(e.data));
        status.sync_latency_ms = Math.max(0, Date.now() - Date.parse(entry.type === 'revocation' ? entry.data.revoked_at : entry.at));
        if (entry.type === 'revocation') applyRevocations([entry.data], entry.seq);
        else {
          applyPolicy(entry.data);
          advance(entry.seq);
        }
      } catch (err) {
        logger.error({ event: 'hub_event_invalid', err: (err as Error).message }, 'ignored a stream event that does not parse');
      }
    };
    es.addEventListener('revocation', onEntry);
    es.addEventListener('policy', onEntry);
    es.addEventListener('error', (e) => {
      if (source !== es) return;
      fail(new Error(e.message ?? (e.code ? `HTTP ${e.code}` : 'stream closed')));
    });
  }

  function fail(err: Error) {
    source?.close();
    source = undefined;
    if (closed) return;
    if (status.connected) logger.warn({ event: 'hub_disconnected', url: url(), err: err.message }, 'lost the Hub; serving on cached state');
    status.connected = false;
    status.last_error = err.message;
    attempt++;
    urlIndex++;
    // Another Hub replica may be up: try the next URL soon; only a round in which every URL failed waits sync_interval.
    const roundFailed = attempt % options.urls.length === 0;
    const baseMs = roundFailed ? options.syncIntervalMs : Math.min(options.syncIntervalMs, FAILOVER_DELAY_MS);
    const delay = backoffDelay(1, { baseMs, maxMs: baseMs, jitter: 0.5, ...(options.random ? { random: options.random } : {}) });
    logger.debug({ event: 'hub_retry', attempt, delay_ms: delay, err: err.message }, 'will retry the Hub');
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => void connect().catch(fail), delay);
    retryTimer.unref();
  }

  async function flushReports() {
    if (closed || !http || !status.connected) return;
    const batch = queue.splice(0, 1000);
    try {
      const res = await http.fetch(new URL('/api/v1/events', url()).toString(), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ events: batch, version: VERSION, cursor: status.cursor }),
        signal: AbortSignal.timeout(10_000),
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    } catch (err) {
      queue.unshift(...batch.slice(0, MAX_QUEUE - queue.length));
      logger.debug({ event: 'hub_report_failed', err: (err as Error).message }, 'event batch not delivered; kept for the next one');
    }
  }

  return {
    start() {
      if (started) return;
      started = true;
      void connect().catch(fail);
      reportTimer = setInterval(() => void flushReports(), options.reportIntervalMs ?? Math.min(options.syncIntervalMs, 10_000));
      reportTimer.unref();
    },
    status: () => ({ ...status }),
    revokedSerials: () => cache.revoked.map((r) => r.serial),
    report(events) {
      queue.push(...events);
      if (queue.length > MAX_QUEUE) queue.splice(0, queue.length - MAX_QUEUE);
    },
    reconnect() {
      if (closed || !started) return;
      clearTimeout(retryTimer);
      source?.close();
      source = undefined;
      status.connected = false;
      void connect().catch(fail);
    },
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      if (!http) throw new Error('not connected to the Hub yet');
      const res = await http.fetch(new URL(path, url()).toString(), {
        method,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const answer = (await res.json()) as T & { error?: { message: string } };
      if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${answer.error?.message ?? ''}`.trim());
      return answer;
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      clearInterval(reportTimer);
      source?.close();
      await Promise.all([http, ...retiring].map((c) => c?.destroy().catch(() => undefined)));
      await persisting;
    },
  };
}
