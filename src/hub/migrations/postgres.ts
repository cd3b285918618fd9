/**
 * The PostgreSQL store's schema as versioned migrations. Each runs once, in
 * its own transaction, recorded in hub_schema_migrations; replicas starting
 * together serialize on an advisory lock, so one applies and the others see it
 * done. Append new versions; never edit an applied one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'hub store',
    sql: `
CREATE TABLE hub_tokens (hash TEXT PRIMARY KEY, service_id TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT);
CREATE TABLE hub_instances (id TEXT PRIMARY KEY, service_id TEXT NOT NULL, cert_serial TEXT NOT NULL UNIQUE, cert_id TEXT NOT NULL, server_cert_id TEXT,
  enrolled_at TEXT NOT NULL, last_seen TEXT, version TEXT, cert_not_after TEXT NOT NULL, sync_latency_ms DOUBLE PRECISION, cursor BIGINT);
CREATE TABLE hub_feed (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, type TEXT NOT NULL, at TEXT NOT NULL, data JSONB NOT NULL);
CREATE TABLE hub_revocations (serial TEXT PRIMARY KEY, id TEXT NOT NULL, reason TEXT NOT NULL, revoked_at TEXT NOT NULL, seq BIGINT NOT NULL REFERENCES hub_feed (seq));
CREATE TABLE hub_policies (service_id TEXT PRIMARY KEY, data JSONB NOT NULL, updated_at TEXT NOT NULL, version INTEGER NOT NULL);
CREATE TABLE hub_events (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, instance_id TEXT NOT NULL, received_at TEXT NOT NULL, data JSONB NOT NULL);
CREATE INDEX hub_events_kind ON hub_events ((data->>'kind'), seq);
CREATE TABLE hub_webhooks (id TEXT PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE hub_deliveries (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, webhook_id TEXT NOT NULL REFERENCES hub_webhooks (id), seq BIGINT NOT NULL,
  status TEXT NOT NULL, attempts INTEGER NOT NULL, last_error TEXT, updated_at TEXT NOT NULL);
`,
  },
];
