/**
 * The embedded Hub store: SQLite through Node's built-in `node:sqlite`, in the
 * Hub's state dir. WAL mode with synchronous=FULL, one IMMEDIATE transaction
 * per change, so anything the API answered survives a crash; a busy timeout
 * lets `tlsmcp hub token create` write beside a running Hub.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { ConsumeTokenResult, HubStore, TokenRow } from './store.js';
import { createRowMappers, jsonFromText, type Row } from './store-rows.js';
import type { FeedEntry, FleetEvent, Policy, PolicyRecord } from './types.js';

const MIGRATIONS = [
  `CREATE TABLE tokens (hash TEXT PRIMARY KEY, service_id TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT);
   CREATE TABLE instances (id TEXT PRIMARY KEY, service_id TEXT NOT NULL, cert_serial TEXT NOT NULL UNIQUE, cert_id TEXT NOT NULL, server_cert_id TEXT,
     enrolled_at TEXT NOT NULL, last_seen TEXT, version TEXT, cert_not_after TEXT NOT NULL, sync_latency_ms REAL, cursor INTEGER);
   CREATE TABLE feed (seq INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, at TEXT NOT NULL, data TEXT NOT NULL);
   CREATE TABLE revocations (serial TEXT PRIMARY KEY, id TEXT NOT NULL, reason TEXT NOT NULL, revoked_at TEXT NOT NULL, seq INTEGER NOT NULL);
   CREATE TABLE policies (service_id TEXT PRIMARY KEY, data TEXT NOT NULL, updated_at TEXT NOT NULL, version INTEGER NOT NULL);
   CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, instance_id TEXT NOT NULL, received_at TEXT NOT NULL, data TEXT NOT NULL);
   CREATE TABLE webhooks (id TEXT PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL, created_at TEXT NOT NULL);
   CREATE TABLE deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT, webhook_id TEXT NOT NULL, seq INTEGER NOT NULL, status TEXT NOT NULL,
     attempts INTEGER NOT NULL, last_error TEXT, updated_at TEXT NOT NULL);`,
];

const rows = createRowMappers(jsonFromText);

/** Opens (and migrates) the store at `path`; the file is 0600. */
export function openSqliteStore(path: string): HubStore {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new DatabaseSync(path);
  chmodSync(path, 0o600);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
  const version = Number((db.prepare('PRAGMA user_version').get() as Row).user_version);
  for (let v = version; v < MIGRATIONS.length; v++) {
    tx(() => {
      db.exec(MIGRATIONS[v]!);
      db.exec(`PRAGMA user_version = ${v + 1}`);
    });
  }

  function tx<T>(fn: () => T): T {
    db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      db.exec('COMMIT');
      return result;
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }

  function appendFeed(type: FeedEntry['type'], at: string, data: unknown): number {
    const r = db.prepare('INSERT INTO feed (type, at, data) VALUES (?, ?, ?)').run(type, at, JSON.stringify(data));
    return Number(r.lastInsertRowid);
  }

  function policyRecord(serviceId: string): PolicyRecord {
    return rows.policy(serviceId, db.prepare('SELECT data, updated_at, version FROM policies WHERE service_id = ?').get(serviceId) as Row | undefined);
  }

  const store: HubStore = {
    async createToken(row: TokenRow) {
      tx(() => db.prepare('INSERT INTO tokens (hash, service_id, created_at, expires_at) VALUES (?, ?, ?, ?)').run(row.hash, row.service_id, row.created_at, row.expires_at));
    },

    async consumeToken(hash, now, serviceId): Promise<ConsumeTokenResult> {
      return tx(() => {
        const row = db.prepare('SELECT service_id, expires_at, used_at FROM tokens WHERE hash = ?').get(hash) as Row | undefined;
        if (!row) return { ok: false, reason: 'unknown' };
        if (row.used_at !== null) return { ok: false, reason: 'used' };
        if (Date.parse(String(row.expires_at)) <= Date.parse(now)) return { ok: false, reason: 'expired' };
        if (serviceId !== undefined && serviceId !== row.service_id) return { ok: false, reason: 'service' };
        db.prepare('UPDATE tokens SET used_at = ? WHERE hash = ?').run(now, hash);
        return { ok: true, service_id: String(row.service_id) };
      });
    },

    async addInstance(i) {
      tx(() =>
        db
          .prepare(
            'INSERT INTO instances (id, service_id, cert_serial, cert_id, server_cert_id, enrolled_at, last_seen, version, cert_not_after, sync_latency_ms, cursor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          )
          .run(i.id, i.service_id, i.cert_serial, i.cert_id, i.server_cert_id, i.enrolled_at, i.last_seen, i.version, i.cert_not_after, i.sync_latency_ms, i.cursor),
      );
    },

    async instanceBySerial(serial) {
      const row = db.prepare('SELECT * FROM instances WHERE cert_serial = ?').get(serial) as Row | undefined;
      return row ? rows.instance(row) : undefined;
    },

    async listInstances() {
      return (db.prepare('SELECT * FROM instances ORDER BY enrolled_at, id').all() as Row[]).map(rows.instance);
    },

    async rebindInstance(id, f) {
      tx(() =>
        db
          .prepare('UPDATE instances SET cert_serial = COALESCE(?, cert_serial), cert_id = COALESCE(?, cert_id), cert_not_after = COALESCE(?, cert_not_after), server_cert_id = COALESCE(?, server_cert_id) WHERE id = ?')
          .run(f.cert_serial ?? null, f.cert_id ?? null, f.cert_not_after ?? null, f.server_cert_id ?? null, id),
      );
    },

    async touchInstance(id, f) {
      tx(() =>
        db
          .prepare('UPDATE instances SET last_seen = ?, version = COALESCE(?, version), sync_latency_ms = COALESCE(?, sync_latency_ms), cursor = COALESCE(?, cursor) WHERE id = ?')
          .run(f.last_seen, f.version ?? null, f.sync_latency_ms ?? null, f.cursor ?? null, id),
      );
    },

    async addRevocation(rev) {
      return tx(() => {
        const existing = db.prepare('SELECT r.*, f.at AS at FROM revocations r JOIN feed f ON f.seq = r.seq WHERE r.serial = ?').get(rev.serial) as Row | undefined;
        if (existing) return rows.revocationEntry(existing);
        const seq = appendFeed('revocation', rev.revoked_at, rev);
        db.prepare('INSERT INTO revocations (serial, id, reason, revoked_at, seq) VALUES (?, ?, ?, ?, ?)').run(rev.serial, rev.id, rev.reason, rev.revoked_at, seq);
        return { seq, type: 'revocation' as const, at: rev.revoked_at, data: rev };
      });
    },

    async revocation(serial) {
      const row = db.prepare('SELECT * FROM revocations WHERE serial = ?').get(serial) as Row | undefined;
      return row ? rows.revocation(row) : undefined;
    },

    async revocationsSince(since) {
      // One read transaction so the cursor matches the rows.
      db.exec('BEGIN');
      try {
        const found = db.prepare('SELECT * FROM revocations WHERE seq > ? ORDER BY seq').all(since ?? 0) as Row[];
        const cursor = Number((db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM feed').get() as Row).seq);
        return { revocations: found.map(rows.revocation), cursor };
      } finally {
        db.exec('COMMIT');
      }
    },

    async feedSince(since) {
      return (db.prepare('SELECT * FROM feed WHERE seq > ? ORDER BY seq').all(since) as Row[]).map(rows.feed);
    },

    async lastSeq() {
      return Number((db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM feed').get() as Row).seq);
    },

    async policy(serviceId) {
      return policyRecord(serviceId);
    },

    async putPolicy(serviceId, policy: Policy, at) {
      return tx(() => {
        const version = policyRecord(serviceId).version + 1;
        db.prepare(
          'INSERT INTO policies (service_id, data, updated_at, version) VALUES (?, ?, ?, ?) ON CONFLICT(service_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at, version = excluded.version',
        ).run(serviceId, JSON.stringify(policy), at, version);
        const record: PolicyRecord = { service_id: serviceId, policy, updated_at: at, version };
        const seq = appendFeed('policy', at, record);
        return { seq, type: 'policy' as const, at, data: record };
      });
    },

    async appendEvents(instanceId, events: FleetEvent[], receivedAt) {
      return tx(() => {
        const insert = db.prepare('INSERT INTO events (instance_id, received_at, data) VALUES (?, ?, ?)');
        for (const e of events) insert.run(instanceId, receivedAt, JSON.stringify(e));
        return events.length;
      });
    },

    async listEvents({ limit = 1000, kind } = {}) {
      // The kind is filtered before the limit, as the PostgreSQL store does: the newest `limit` events of that kind.
      const found = (
        kind
          ? db.prepare("SELECT * FROM events WHERE json_extract(data, '$.kind') = ? ORDER BY seq DESC LIMIT ?").all(kind, limit)
          : db.prepare('SELECT * FROM events ORDER BY seq DESC LIMIT ?').all(limit)
      ) as Row[];
      return found.map(rows.event);
    },

    async addWebhook(w) {
      tx(() => db.prepare('INSERT INTO webhooks (id, url, secret, created_at) VALUES (?, ?, ?, ?)').run(w.id, w.url, w.secret, w.created_at));
    },

    async listWebhooks() {
      return (db.prepare('SELECT * FROM webhooks ORDER BY created_at').all() as Row[]).map(rows.webhook);
    },

    async addDelivery(webhookId, seq, at) {
      return tx(() => Number(db.prepare("INSERT INTO deliveries (webhook_id, seq, status, attempts, updated_at) VALUES (?, ?, 'pending', 0, ?)").run(webhookId, seq, at).lastInsertRowid));
    },

    async updateDelivery(id, f) {
      tx(() => db.prepare('UPDATE deliveries SET status = ?, attempts = ?, last_error = ?, updated_at = ? WHERE id = ?').run(f.status, f.attempts, f.last_error, f.updated_at, id));
    },

    async listDeliveries() {
      return (db.prepare('SELECT * FROM deliveries ORDER BY id').all() as Row[]).map(rows.delivery);
    },

    async close() {
      if (db.isOpen) db.close();
    },
  };
  return store;
}
