/**
 * The Hub's store contract. The embedded SQLite store implements it today; a
 * PostgreSQL store can implement the same interface. Every method that changes
 * state is one transaction: when it resolves, the change is durable.
 */
import type { Delivery, FeedEntry, FleetEvent, Instance, Policy, PolicyRecord, Revocation, StoredEvent, Webhook } from './types.js';

export interface TokenRow {
  /** sha256 of the token, hex. The token itself is never stored. */
  hash: string;
  service_id: string;
  created_at: string;
  expires_at: string;
}

export type ConsumeTokenResult = { ok: true; service_id: string } | { ok: false; reason: 'unknown' | 'used' | 'expired' | 'service' };

export interface HubStore {
  createToken(row: TokenRow): Promise<void>;
  /** Marks the token used if it exists, is unused, unexpired at `now` and (when given) for `serviceId`; atomic. */
  consumeToken(hash: string, now: string, serviceId?: string): Promise<ConsumeTokenResult>;

  addInstance(instance: Instance): Promise<void>;
  instanceBySerial(serial: string): Promise<Instance | undefined>;
  listInstances(): Promise<Instance[]>;
  /** Points the instance at renewed certificates (its Hub identity is its certificate serial). */
  rebindInstance(id: string, fields: { cert_serial?: string; cert_id?: string; cert_not_after?: string; server_cert_id?: string }): Promise<void>;
  touchInstance(id: string, fields: { last_seen: string; version?: string | undefined; sync_latency_ms?: number | undefined; cursor?: number | undefined }): Promise<void>;

  /** Stores the revocation and its feed entry; a serial already revoked returns the existing entry. */
  addRevocation(revocation: Revocation): Promise<FeedEntry & { type: 'revocation' }>;
  revocation(serial: string): Promise<Revocation | undefined>;
  /** Revocations whose feed position is after `since` (all without it), and the feed's last position. */
  revocationsSince(since?: number): Promise<{ revocations: Revocation[]; cursor: number }>;
  /** Feed entries after `since`, oldest first. */
  feedSince(since: number): Promise<FeedEntry[]>;
  lastSeq(): Promise<number>;

  policy(serviceId: string): Promise<PolicyRecord>;
  putPolicy(serviceId: string, policy: Policy, at: string): Promise<FeedEntry & { type: 'policy' }>;

  appendEvents(instanceId: string, events: FleetEvent[], receivedAt: string): Promise<number>;
  listEvents(options?: { limit?: number; kind?: string }): Promise<StoredEvent[]>;

  addWebhook(webhook: Webhook & { secret: string }): Promise<void>;
  listWebhooks(): Promise<(Webhook & { secret: string })[]>;
  addDelivery(webhookId: string, seq: number, at: string): Promise<number>;
  updateDelivery(id: number, fields: { status: Delivery['status']; attempts: number; last_error: string | null; updated_at: string }): Promise<void>;
  listDeliveries(): Promise<Delivery[]>;

  close(): Promise<void>;
}
