/**
 * The Hub's data as zod schemas: what the store keeps, what the REST API
 * answers, what the stream carries. The OpenAPI document is generated from
 * these (routes/*.ts attach them), so the contract and the handlers cannot drift.
 */
import { z } from '@hono/zod-openapi';
import { revocationReasonSchema } from '../ca/types.js';

export const revocationSchema = z
  .object({
    serial: z.string().openapi({ description: 'lowercase hex, no separators' }),
    id: z.string(),
    reason: revocationReasonSchema,
    revoked_at: z.string(),
  })
  .openapi('Revocation');
export type Revocation = z.infer<typeof revocationSchema>;

/** A service's certificate and admission policy, set by admins and pushed to sidecars. */
export const policySchema = z
  .object({
    /** Longest client certificate the Hub issues for this service, e.g. "24h". */
    client_max_ttl: z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 90s, 5m, 24h').optional(),
    /** Longest server certificate, e.g. "30d". */
    server_max_ttl: z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 90s, 5m, 24h').optional(),
    /** Client certificates of these services are admitted (matched on the service name the Hub issued them for, i.e. their CN). */
    allowed_services: z.array(z.string().min(1)).default([]),
  })
  .openapi('Policy');
export type Policy = z.infer<typeof policySchema>;

export const policyRecordSchema = z
  .object({ service_id: z.string(), policy: policySchema, updated_at: z.string().nullable(), version: z.number().int() })
  .openapi('PolicyRecord');
export type PolicyRecord = z.infer<typeof policyRecordSchema>;

/** One entry of the Hub's ordered change feed: the SSE event id and the revocations cursor. */
export const feedEntrySchema = z.discriminatedUnion('type', [
  z.object({ seq: z.number().int(), type: z.literal('revocation'), at: z.string(), data: revocationSchema }),
  z.object({ seq: z.number().int(), type: z.literal('policy'), at: z.string(), data: policyRecordSchema }),
]);
export type FeedEntry = z.infer<typeof feedEntrySchema>;

/** The OU of every instance certificate the Hub issues (enrollment and its renewals). */
export const INSTANCE_OU = 'tlsmcp-instance';

export const instanceSchema = z
  .object({
    id: z.string(),
    service_id: z.string(),
    /** Serial of the instance certificate it authenticates to the Hub with. */
    cert_serial: z.string(),
    cert_id: z.string(),
    server_cert_id: z.string().nullable(),
    enrolled_at: z.string(),
    last_seen: z.string().nullable(),
    version: z.string().nullable(),
    cert_not_after: z.string(),
    /** How far behind the Hub's feed the instance was when it last reported, in ms. */
    sync_latency_ms: z.number().nullable(),
    /** The feed position the instance last confirmed. */
    cursor: z.number().int().nullable(),
  })
  .openapi('Instance');
export type Instance = z.infer<typeof instanceSchema>;

export const fleetEventSchema = z
  .object({
    kind: z.enum(['connection', 'handshake', 'revocation', 'metrics']),
    time: z.string(),
    service: z.string().optional(),
    result: z.string().optional(),
    serial: z.string().optional(),
    peer_cn: z.string().optional(),
    detail: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi('FleetEvent');
export type FleetEvent = z.infer<typeof fleetEventSchema>;

export const storedEventSchema = fleetEventSchema.extend({ seq: z.number().int(), instance_id: z.string(), received_at: z.string() }).openapi('StoredEvent');
export type StoredEvent = z.infer<typeof storedEventSchema>;

export const webhookSchema = z.object({ id: z.string(), url: z.url(), created_at: z.string() }).openapi('Webhook');
export type Webhook = z.infer<typeof webhookSchema>;

export const deliverySchema = z
  .object({
    id: z.number().int(),
    webhook_id: z.string(),
    seq: z.number().int(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    last_error: z.string().nullable(),
    updated_at: z.string(),
  })
  .openapi('WebhookDelivery');
export type Delivery = z.infer<typeof deliverySchema>;

export const errorBodySchema = z
  .object({ error: z.object({ code: z.string(), message: z.string(), fix: z.string().nullable() }) })
  .openapi('Error');
