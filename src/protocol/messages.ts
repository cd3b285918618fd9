/**
 * The supervisor ↔ worker protocol: every message between the supervisor and a
 * worker thread (TCP proxy or MCP front), as one zod discriminated union per
 * direction. Both sides parse what they receive, so a version skew or a bug
 * shows up as a clear error instead of a silent misroute. Errors cross as
 * `{ code, message, fix }` (./errors.ts), never as bare strings. This layer
 * imports no listener and no supervisor code: both sides import it.
 */
import { z } from 'zod';
import { authorizationRule, pinningObject, rateLimitObject } from '../config/primitives.js';
import { XFCC_ELEMENTS } from '../core/xfcc.js';

const hostPort = z.object({ host: z.string(), port: z.number().int().min(0).max(65535) });

/**
 * What an MCP front worker needs beyond the common spec: the backend to run or
 * reach, the authorization rules, the audit settings and the session limits.
 */
export const mcpWorkerSpecSchema = z.object({
  backend: z.object({
    command: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().optional(),
    url: z.string().optional(),
  }),
  authorization: z.array(authorizationRule),
  audit_arguments: z.boolean(),
  /** The audit log the worker appends `mcp_request` events to; absent when auditing is off. */
  audit_path: z.string().optional(),
  /** Session limits (mcp.session_idle_timeout, mcp.max_sessions_per_identity, mcp.max_sessions). */
  sessions: z.object({ idle_timeout: z.number(), max_per_identity: z.number(), max_total: z.number() }).optional(),
  /** Tool-definition pinning and where this service's pins file lives (the state dir's mcp-pins/). */
  pinning: pinningObject.optional(),
  pins_path: z.string().optional(),
  rate_limit: rateLimitObject.optional(),
});
export type McpWorkerSpec = z.infer<typeof mcpWorkerSpecSchema>;

/** An error as it crosses the thread boundary: its stable code, the message and the fix. */
export const wireErrorSchema = z.object({ code: z.string(), message: z.string(), fix: z.string().optional() });
export type WireError = z.infer<typeof wireErrorSchema>;

/** What a worker needs to know about its service: plain data, no functions. */
export const workerSpecSchema = z.object({
  name: z.string(),
  mode: z.enum(['server', 'client']),
  listen: hostPort,
  protocol: z.enum(['tls13', 'tls12']),
  ciphers: z.string().optional(),
  ciphersuites: z.string().optional(),
  /** `fips`: FIPS-approved algorithms only (src/core/tls-profile.ts). */
  tls_profile: z.enum(['default', 'fips']).optional(),
  backend: hostPort,
  /** ALPN protocol ids advertised (server mode) or offered upstream (client mode). */
  alpn: z.array(z.string()).optional(),
  /** Server mode: a PROXY protocol header to the backend before the client's bytes. */
  proxy_protocol: z.enum(['v2']).optional(),
  /** Client mode: the name to verify on the remote server's certificate. */
  server_name: z.string().optional(),
  health_check: z.object({ interval: z.number(), timeout: z.number() }).optional(),
  mtls: z.object({
    mode: z.enum(['required', 'optional', 'disabled']),
    allowed_services: z.array(z.string()).optional(),
    required_cn_pattern: z.string().optional(),
    allowed_organizations: z.array(z.string()).optional(),
    allowed_ous: z.array(z.string()).optional(),
    allowed_dns_sans: z.array(z.string()).optional(),
    allowed_uri_sans: z.array(z.string()).optional(),
  }),
  limits: z.object({
    dial_timeout: z.number(),
    idle_timeout: z.number(),
    handshake_timeout: z.number(),
    max_connections: z.number(),
    drain_timeout: z.number(),
  }),
  audit: z.boolean(),
  log_level: z.string(),
  /** `native`: the native data path (src/native/) instead of Node's tls; absent means js. */
  data_path: z.enum(['js', 'native']).optional(),
  /** Bind with SO_REUSEPORT so several workers share the port (Node >= 22.12). */
  reuse_port: z.boolean().optional(),
  /** `backend.protocol: http` services: the HTTP-aware listener (src/http-proxy/) and what it tells the backend. */
  http: z.object({ xfcc: z.array(z.enum(XFCC_ELEMENTS)), health_path: z.string().optional() }).optional(),
  /** `protocol: mcp` services: the MCP front's backend, authorization and audit settings. */
  mcp: mcpWorkerSpecSchema.optional(),
});
export type WorkerSpec = z.infer<typeof workerSpecSchema>;

/** Certificates and keys for the worker's TLS context. Never logged. */
export const tlsMaterialSchema = z.object({
  certPem: z.string(),
  keyPem: z.string(),
  /** Trust anchors: for server mode the client CAs, for client mode the remote's CA. */
  caPems: z.array(z.string()),
  /** CRLs checked in the handshake. */
  crlPems: z.array(z.string()).optional(),
});
export type TlsMaterial = z.infer<typeof tlsMaterialSchema>;

export const connectionEventSchema = z.object({
  time: z.string(),
  result: z.enum(['accepted', 'rejected', 'error']),
  /** A short code for metrics (`policy`, `revoked`, `no_certificate`, ...). */
  reason: z.string().optional(),
  /** Which rule refused whom, in words. */
  detail: z.string().optional(),
  peer: z.string().optional(),
  peer_cn: z.string().optional(),
  sans: z.array(z.string()).optional(),
  serial: z.string().optional(),
  fingerprint: z.string().optional(),
  bytes_in: z.number(),
  bytes_out: z.number(),
  duration_ms: z.number(),
  /** The ALPN protocol negotiated with the client (server mode) or the remote (client mode). */
  alpn: z.string().optional(),
  /** Seconds from TCP accept to the end of the TLS handshake, when one finished. */
  handshake_s: z.number().optional(),
});
export type ConnectionEvent = z.infer<typeof connectionEventSchema>;

export const workerStatsSchema = z.object({
  active: z.number(),
  accepted: z.number(),
  rejected: z.number(),
  rejected_by_reason: z.record(z.string(), z.number()),
  bytes_in: z.number(),
  bytes_out: z.number(),
  /** Client certificate serials in live connections (server mode), for the score's revoked-in-use rule. */
  live_serials: z.array(z.string()).optional(),
  /** MCP fronts: pinning and rate-limit counters by their labels (keys from ./mcp-counters.ts). */
  mcp: z.record(z.string(), z.number()).optional(),
});
export type WorkerStats = z.infer<typeof workerStatsSchema>;

export const toWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start'), spec: workerSpecSchema, material: tlsMaterialSchema, revoked: z.array(z.string()), test_hooks: z.boolean() }),
  z.object({ type: z.literal('reload'), id: z.number(), spec: workerSpecSchema, material: tlsMaterialSchema }),
  z.object({ type: z.literal('revoke'), id: z.number(), serials: z.array(z.string()) }),
  z.object({ type: z.literal('drain'), deadline_ms: z.number() }),
  /** ACME TLS-ALPN-01: answer `acme-tls/1` for `domain` with this certificate (both PEMs), or stop (neither). Never logged. */
  z.object({ type: z.literal('acme_challenge'), id: z.number(), domain: z.string(), cert_pem: z.string().optional(), key_pem: z.string().optional() }),
  /** Test hook (honoured only when started with test_hooks): throw from the worker. */
  z.object({ type: z.literal('crash') }),
]);
export type ToWorker = z.infer<typeof toWorkerSchema>;

export const fromWorkerSchema = z.discriminatedUnion('type', [
  /** `backend_ready: false` when the first health check found the backend down. */
  z.object({ type: z.literal('ready'), address: hostPort, backend_ready: z.boolean().optional(), reason: z.string().optional() }),
  z.object({ type: z.literal('start_failed'), error: wireErrorSchema }),
  z.object({ type: z.literal('health'), ready: z.boolean(), reason: z.string().optional() }),
  z.object({ type: z.literal('events'), events: z.array(connectionEventSchema), stats: workerStatsSchema }),
  z.object({ type: z.literal('reloaded'), id: z.number(), applied: z.array(z.string()), error: wireErrorSchema.optional() }),
  z.object({ type: z.literal('revoked'), id: z.number(), closed: z.number() }),
  z.object({ type: z.literal('acme_challenge_set'), id: z.number() }),
  z.object({ type: z.literal('drained'), forced: z.number(), stats: workerStatsSchema }),
]);
export type FromWorker = z.infer<typeof fromWorkerSchema>;
