/**
 * The Hub's store in PostgreSQL (`hub.database_url` / `--database-url`), for
 * several `tlsmcp hub serve` replicas on one database. Same HubStore contract
 * as the embedded store: one transaction per change, so what the API answered
 * is committed.
 *
 * The feed is what replicas fan out, so its order must be commit order: every
 * transaction that appends to it first takes one advisory lock, so a feed
 * position is never committed after a higher one, and it sends a NOTIFY
 * carrying its position, which PostgreSQL delivers at commit. `onFeed` hands
 * those notifications (and every re-LISTEN after a lost connection) to the
 * replica fan-out, which reads the feed itself: the database stays the source
 * of truth and a missed notification only delays, never loses, an entry.
 */
import pg from 'pg';
import { TlsmcpError } from '../errors.js';
import type { Logger } from '../logger.js';
import { backoffDelay } from './backoff.js';
import { PG_MIGRATIONS, type Migration } from './migrations/postgres.js';
import type { ConsumeTokenResult, HubStore } from './store.js';
import { createRowMappers, jsonAsIs, type Row } from './store-rows.js';
import type { FeedEntry, FleetEvent, PolicyRecord } from './types.js';

/** The channel feed appends notify on. */
export const FEED_CHANNEL = 'tlsmcp_hub_feed';
/** Advisory lock keys (arbitrary, fixed): feed appends, migrations. */
const FEED_LOCK = 7_340_001;
const MIGRATION_LOCK = 7_340_002;

export interface PgHubStore extends HubStore {
  /**
   * Calls `listener` on every feed notification from any replica and after
   * each (re)established LISTEN (when notifications may have been missed).
   * Returns the unsubscribe function.
   */
  onFeed(listener: () => void): () => void;
}

export interface PgStoreOptions {
  databaseUrl: string;
  logger: Logger;
  /** Listen for feed notifications (hub serve); token create and init do not need to. */
  listen?: boolean;
  poolSize?: number;
  migrations?: readonly Migration[];
}

type Queryable = Pick<pg.PoolClient, 'query'>;

/** The URL without its password, for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable)';
  }
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

const rows = createRowMappers(jsonAsIs);

function databaseError(url: string, err: unknown): TlsmcpError {
  return new TlsmcpError('ERR_HUB_DATABASE', `hub.database_url ${redactDatabaseUrl(url)}: ${(err as Error).message}`, {
    fix: 'check that PostgreSQL is running and reachable, and the URL (user, password, database name)',
    cause: err,
  });
}

/** Applies the migrations not yet recorded, each in its own transaction, under an advisory lock. */
export async function migratePg(pool: pg.Pool, migrations: readonly Migration[] = PG_MIGRATIONS): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS hub_schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM hub_schema_migrations')).rows.map((r) => Number(r.version)));
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO hub_schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
      applied.push(m.version);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
  return applied;
}

/** Connects, applies pending migrations, and (with `listen`) starts following feed notifications. */
export async function openPgStore(options: PgStoreOptions): Promise<PgHubStore> {
  const { databaseUrl, logger } = options;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.poolSize ?? 10, connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection must not crash the Hub: the next query reconnects.
  pool.on('error', (err) => logger.warn({ event: 'hub_db_idle_error', err: err.message }, 'a pooled PostgreSQL connection failed'));
  try {
    const applied = await migratePg(pool, options.migrations);
    if (applied.length > 0) logger.info({ event: 'hub_db_migrated', versions: applied }, `applied PostgreSQL migrations ${applied.join(', ')}`);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw databaseError(databaseUrl, err);
  }

  const listeners = new Set<() => void>();
  const notify = () => {
    for (const l of [...listeners]) l();
  };
  let closed = false;
  let listener: pg.Client | undefined;
  let relisten: NodeJS.Timeout | undefined;
  let attempt = 0;

  async function listen(): Promise<void> {
    if (closed) return;
    const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
    listener = client;
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost || closed) return;
      lost = true;
      void client.end().catch(() => undefined);
      attempt++;
      const delay = backoffDelay(attempt, { baseMs: 200, maxMs: 5_000 });
      logger.warn({ event: 'hub_db_listen_lost', err: err?.message ?? 'connection ended', retry_ms: delay }, 'lost the feed notification connection; catching up from the database on reconnect');
      relisten = setTimeout(() => void listen(), delay);
      relisten.unref();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (msg) => {
      if (msg.channel === FEED_CHANNEL) notify();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${FEED_CHANNEL}`);
      attempt = 0;
      // Anything appended while we were not listening is read now.
      notify();
    } catch (err) {
      onLost(err as Error);
    }
  }
  if (options.listen) await listen();

  async function tx<T>(fn: (c: Queryable) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      try {
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      client.release();
    }
  }

  const one = async (sql: string, params: unknown[] = []): Promise<Row | undefined> => (await pool.query<Row>(sql, params)).rows[0];
  const all = async (sql: string, params: unknown[] = []): Promise<Row[]> => (await pool.query<Row>(sql, params)).rows;

  /** Appends to the feed in commit order and notifies at commit; call inside tx after lockFeed. */
  async function appendFeed(c: Queryable, type: FeedEntry['type'], at: string, data: unknown): Promise<number> {
    const seq = Number((await c.query<Row>('INSERT INTO hub_feed (type, at, data) VALUES ($1, $2, $3) RETURNING seq', [type, at, JSON.stringify(data)])).rows[0]!.seq);
    await c.query('SELECT pg_notify($1, $2)', [FEED_CHANNEL, String(seq)]);
    return seq;
  }
  const lockFeed = (c: Queryable) => c.query('SELECT pg_advisory_xact_lock($1)', [FEED_LOCK]);

  async function policyRecord(c: Queryable, serviceId: string): Promise<PolicyRecord> {
    return rows.policy(serviceId, (await c.query<Row>('SELECT data, updated_at, version FROM hub_policies WHERE service_id = $1', [serviceId])).rows[0]);
  }

  const lastSeq = async () => Number((await one('SELECT COALESCE(MAX(seq), 0) AS seq FROM hub_feed'))!.seq);

  const store: PgHubStore = {
    onFeed(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },

    async createToken(row) {
      await pool.query('INSERT INTO hub_tokens (hash, service_id, created_at, expires_at) VALUES ($1, $2, $3, $4)', [row.hash, row.service_id, row.created_at, row.expires_at]);
    },

    async consumeToken(hash, now, serviceId): Promise<ConsumeTokenResult> {
      return tx(async (c) => {
        const row = (await c.query<Row>('SELECT service_id, expires_at, used_at FROM hub_tokens WHERE hash = $1 FOR UPDATE', [hash])).rows[0];
        if (!row) return { ok: false, reason: 'unknown' };
        if (row.used_at !== null) return { ok: false, reason: 'used' };
        if (Date.parse(String(row.expires_at)) <= Date.parse(now)) return { ok: false, reason: 'expired' };
        if (serviceId !== undefined && serviceId !== row.service_id) return { ok: false, reason: 'service' };
        await c.query('UPDATE hub_tokens SET used_at = $1 WHERE hash = $2', [now, hash]);
        return { ok: true, service_id: String(row.service_id) };
      });
    },

    async addInstance(i) {
      await pool.query(
        'INSERT INTO hub_instances (id, service_id, cert_serial, cert_id, server_cert_id, enrolled_at, last_seen, version, cert_not_after, sync_latency_ms, cursor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)',
        [i.id, i.service_id, i.cert_serial, i.cert_id, i.server_cert_id, i.enrolled_at, i.last_seen, i.version, i.cert_not_after, i.sync_latency_ms, i.cursor],
      );
    },

    async instanceBySerial(serial) {
      const row = await one('SELECT * FROM hub_instances WHERE cert_serial = $1', [serial]);
      return row ? rows.instance(row) : undefined;
    },

    async listInstances() {
      return (await all('SELECT * FROM hub_instances ORDER BY enrolled_at, id')).map(rows.instance);
    },

    async rebindInstance(id, f) {
      await pool.query(
        'UPDATE hub_instances SET cert_serial = COALESCE($1, cert_serial), cert_id = COALESCE($2, cert_id), cert_not_after = COALESCE($3, cert_not_after), server_cert_id = COALESCE($4, server_cert_id) WHERE id = $5',
        [f.cert_serial ?? null, f.cert_id ?? null, f.cert_not_after ?? null, f.server_cert_id ?? null, id],
      );
    },

    async touchInstance(id, f) {
      await pool.query(
        'UPDATE hub_instances SET last_seen = $1, version = COALESCE($2, version), sync_latency_ms = COALESCE($3, sync_latency_ms), cursor = COALESCE($4, cursor) WHERE id = $5',
        [f.last_seen, f.version ?? null, f.sync_latency_ms ?? null, f.cursor ?? null, id],
      );
    },

    async addRevocation(rev) {
      return tx(async (c) => {
        // Under the feed lock, so two replicas revoking the same serial store it once.
        await lockFeed(c);
        const existing = (await c.query<Row>('SELECT r.*, f.at AS at FROM hub_revocations r JOIN hub_feed f ON f.seq = r.seq WHERE r.serial = $1', [rev.serial])).rows[0];
        if (existing) return rows.revocationEntry(existing);
        const seq = await appendFeed(c, 'revocation', rev.revoked_at, rev);
        await c.query('INSERT INTO hub_revocations (serial, id, reason, revoked_at, seq) VALUES ($1, $2, $3, $4, $5)', [rev.serial, rev.id, rev.reason, rev.revoked_at, seq]);
        return { seq, type: 'revocation' as const, at: rev.revoked_at, data: rev };
      });
    },

    async revocation(serial) {
      const row = await one('SELECT * FROM hub_revocations WHERE serial = $1', [serial]);
      return row ? rows.revocation(row) : undefined;
    },

    async revocationsSince(since) {
      // One snapshot so the cursor matches the rows.
      const client = await pool.connect();
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const found = (await client.query<Row>('SELECT * FROM hub_revocations WHERE seq > $1 ORDER BY seq', [since ?? 0])).rows;
        const cursor = Number((await client.query<Row>('SELECT COALESCE(MAX(seq), 0) AS seq FROM hub_feed')).rows[0]!.seq);
        await client.query('COMMIT');
        return { revocations: found.map(rows.revocation), cursor };
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },

    async feedSince(since) {
      return (await all('SELECT * FROM hub_feed WHERE seq > $1 ORDER BY seq', [since])).map(rows.feed);
    },

    lastSeq,

    async policy(serviceId) {
      return policyRecord(pool, serviceId);
    },

    async putPolicy(serviceId, policy, at) {
      return tx(async (c) => {
        await lockFeed(c);
        const version = (await policyRecord(c, serviceId)).version + 1;
        await c.query(
          'INSERT INTO hub_policies (service_id, data, updated_at, version) VALUES ($1, $2, $3, $4) ON CONFLICT (service_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at, version = excluded.version',
          [serviceId, JSON.stringify(policy), at, version],
        );
        const record: PolicyRecord = { service_id: serviceId, policy, updated_at: at, version };
        const seq = await appendFeed(c, 'policy', at, record);
        return { seq, type: 'policy' as const, at, data: record };
      });
    },

    async appendEvents(instanceId, events: FleetEvent[], receivedAt) {
      if (events.length === 0) return 0;
      // One statement, so the batch is one transaction.
      await pool.query('INSERT INTO hub_events (instance_id, received_at, data) SELECT $1, $2, e FROM jsonb_array_elements($3::jsonb) AS e', [instanceId, receivedAt, JSON.stringify(events)]);
      return events.length;
    },

    async listEvents({ limit = 1000, kind } = {}) {
      const found = kind
        ? await all("SELECT * FROM hub_events WHERE data->>'kind' = $1 ORDER BY seq DESC LIMIT $2", [kind, limit])
        : await all('SELECT * FROM hub_events ORDER BY seq DESC LIMIT $1', [limit]);
      return found.map(rows.event);
    },

    async addWebhook(w) {
      await pool.query('INSERT INTO hub_webhooks (id, url, secret, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING', [w.id, w.url, w.secret, w.created_at]);
    },

    async listWebhooks() {
      return (await all('SELECT * FROM hub_webhooks ORDER BY created_at')).map(rows.webhook);
    },

    async addDelivery(webhookId, seq, at) {
      return Number((await one("INSERT INTO hub_deliveries (webhook_id, seq, status, attempts, updated_at) VALUES ($1, $2, 'pending', 0, $3) RETURNING id", [webhookId, seq, at]))!.id);
    },

    async updateDelivery(id, f) {
      await pool.query('UPDATE hub_deliveries SET status = $1, attempts = $2, last_error = $3, updated_at = $4 WHERE id = $5', [f.status, f.attempts, f.last_error, f.updated_at, id]);
    },

    async listDeliveries() {
      return (await all('SELECT * FROM hub_deliveries ORDER BY id')).map(rows.delivery);
    },

    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(relisten);
      listeners.clear();
      await listener?.end().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
  return store;
}
