/**
 * Rows to records for both Hub stores (./sqlite-store.ts, ./pg-store.ts): one
 * mapper per table, so the two cannot drift. The one difference between the
 * drivers is passed in: how a JSON column comes back (SQLite: text to parse;
 * PostgreSQL's jsonb: already a value).
 */
import { feedEntrySchema, policySchema, type Delivery, type FeedEntry, type FleetEvent, type Instance, type PolicyRecord, type Revocation, type StoredEvent, type Webhook } from './types.js';

export type Row = Record<string, unknown>;

/** Reads a JSON column as the driver returns it. */
export type JsonColumn = (value: unknown) => unknown;
/** SQLite keeps JSON as TEXT. */
export const jsonFromText: JsonColumn = (value) => JSON.parse(String(value));
/** PostgreSQL's driver parses jsonb itself. */
export const jsonAsIs: JsonColumn = (value) => value;

const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export interface RowMappers {
  instance(row: Row): Instance;
  revocation(row: Row): Revocation;
  /** A `revocations` row joined with its feed entry's `at` (`SELECT r.*, f.at AS at`). */
  revocationEntry(row: Row): FeedEntry & { type: 'revocation' };
  feed(row: Row): FeedEntry;
  event(row: Row): StoredEvent;
  webhook(row: Row): Webhook & { secret: string };
  delivery(row: Row): Delivery;
  /** A `policies` row of `serviceId`, or the empty policy at version 0 when there is none. */
  policy(serviceId: string, row: Row | undefined): PolicyRecord;
}

export function createRowMappers(json: JsonColumn): RowMappers {
  const revocation = (row: Row): Revocation => ({ serial: String(row.serial), id: String(row.id), reason: row.reason as Revocation['reason'], revoked_at: String(row.revoked_at) });
  return {
    instance: (row) => ({
      id: String(row.id),
      service_id: String(row.service_id),
      cert_serial: String(row.cert_serial),
      cert_id: String(row.cert_id),
      server_cert_id: str(row.server_cert_id),
      enrolled_at: String(row.enrolled_at),
      last_seen: str(row.last_seen),
      version: str(row.version),
      cert_not_after: String(row.cert_not_after),
      sync_latency_ms: num(row.sync_latency_ms),
      cursor: num(row.cursor),
    }),
    revocation,
    revocationEntry: (row) => ({ seq: Number(row.seq), type: 'revocation', at: String(row.at), data: revocation(row) }),
    feed: (row) => feedEntrySchema.parse({ seq: Number(row.seq), type: row.type, at: row.at, data: json(row.data) }),
    event: (row) => ({ ...(json(row.data) as FleetEvent), seq: Number(row.seq), instance_id: String(row.instance_id), received_at: String(row.received_at) }),
    webhook: (row) => ({ id: String(row.id), url: String(row.url), secret: String(row.secret), created_at: String(row.created_at) }),
    delivery: (row) => ({
      id: Number(row.id),
      webhook_id: String(row.webhook_id),
      seq: Number(row.seq),
      status: row.status as Delivery['status'],
      attempts: Number(row.attempts),
      last_error: str(row.last_error),
      updated_at: String(row.updated_at),
    }),
    policy: (serviceId, row) =>
      row
        ? { service_id: serviceId, policy: policySchema.parse(json(row.data)), updated_at: String(row.updated_at), version: Number(row.version) }
        : { service_id: serviceId, policy: policySchema.parse({}), updated_at: null, version: 0 },
  };
}
