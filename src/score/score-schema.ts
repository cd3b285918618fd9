/**
 * The posture score's input and report as zod schemas. The report is what
 * `tlsmcp score --json`, the MCP tool `tlsmcp_score` (outputSchema) and the
 * resource `tlsmcp://score` return; the input is plain data so the score is a
 * pure function of it.
 */
import { z } from 'zod';

export const scoreInputSchema = z.object({
  /** The instant the score is computed for (ISO 8601): same input, same score. */
  now: z.string(),
  services: z.array(
    z.object({
      name: z.string(),
      mode: z.enum(['server', 'client']),
      mtls_mode: z.enum(['required', 'optional', 'disabled']),
      /** listen.protocol: the lowest TLS version accepted. */
      min_protocol: z.enum(['tls13', 'tls12']),
      /** No allowed_services, CN pattern, O, OU or SAN allowlist: any certificate the CA signed gets in. */
      allowlist_empty: z.boolean(),
    }),
  ),
  policy: z.object({ client_max_ttl_ms: z.number(), server_max_ttl_ms: z.number() }),
  certs: z.array(
    z.object({
      id: z.string(),
      serial: z.string(),
      type: z.enum(['client', 'server']),
      service: z.string(),
      cn: z.string(),
      key_type: z.string(),
      not_before: z.string(),
      not_after: z.string(),
      status: z.enum(['valid', 'expiring', 'expired', 'revoked']),
      days_left: z.number(),
      /** Replaced by a renewal: no longer expected in service. */
      superseded: z.boolean(),
    }),
  ),
  /** Serials (lowercase hex) seen in live connections; null when not measured. */
  live_serials: z.array(z.string()).nullable(),
  /** When the running proxies last loaded the revocation list; null when not measured. */
  revocation: z.object({ loaded_at: z.string().nullable(), max_age_ms: z.number() }).nullable(),
  /** Scan grade of each of tlsmcp's own listeners; grade null when the scan could not run. */
  listener_grades: z.array(z.object({ service: z.string(), address: z.string(), grade: z.string().nullable(), note: z.string().optional() })).nullable(),
  audit_enabled: z.boolean(),
  /** Where the live figures (live serials, revocation freshness) came from, or why there are none. */
  live_source: z.string().nullable().optional(),
});
export type ScoreInput = z.infer<typeof scoreInputSchema>;

export const SCORE_CATEGORIES = ['certificates', 'enforcement', 'revocation', 'listeners', 'audit'] as const;
export const scoreCategorySchema = z.enum(SCORE_CATEGORIES);

export const scoreReportSchema = z.object({
  /** 0-100; null when there is nothing to score (no services and no certificates): see `reason`. */
  score: z.number().nullable(),
  /** Why `score` is null; null when it is a number. */
  reason: z.string().nullable(),
  max: z.literal(100),
  computed_at: z.string(),
  categories: z.array(z.object({ id: scoreCategorySchema, title: z.string(), max: z.number(), lost: z.number(), score: z.number() })),
  /** Every item that cost points (before the per-rule cap), sorted by rule then subject. */
  items: z.array(
    z.object({ category: scoreCategorySchema, rule: z.string(), subject: z.string(), points: z.number(), evidence: z.string() }),
  ),
  /** One per rule that lost points: what to do and the points it wins back, most valuable first. */
  recommendations: z.array(
    z.object({ rule: z.string(), category: scoreCategorySchema, points: z.number(), action: z.string(), subjects: z.array(z.string()) }),
  ),
  /** Inputs that were not available, so their rules were not scored. */
  not_measured: z.array(z.string()),
  /** Where the live figures came from: the running instance's admin endpoint, this process, or null (none running). */
  live_source: z.string().nullable(),
});
export type ScoreReport = z.infer<typeof scoreReportSchema>;
