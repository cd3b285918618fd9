/**
 * The one zod schema for tlsmcp's YAML config. It accepts two shapes:
 *  - the single-service sidecar form (`service_id`, `listen`, `backend`, `mtls`, ...)
 *  - the gateway form (`services:` list, each with `name`, `listen`, `backend`, `mtls`)
 * and normalizes both to `Config` with a `services` array, durations in ms and
 * addresses parsed. Cross-field rules (ports, TTL order, loopback backends) live in
 * `checks.ts` so each message can name its key path.
 */
import { z } from 'zod';
import {
  authorizationRule,
  dialAddress,
  durationMs,
  listenAddress,
  pinningObject,
  rateLimitObject,
  regexString,
  type PinningConfig,
  type RateLimitConfig,
} from './primitives.js';

const serviceName = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/, 'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit');

const tlsProtocol = z.enum(['tls13', 'tls12']);

const listenObject = z.strictObject({
  address: listenAddress,
  /** Lowest TLS version accepted: tls13 (default) or tls12. */
  protocol: tlsProtocol.default('tls13'),
  /** OpenSSL cipher list for TLS 1.2 suites. */
  ciphers: z.string().min(1).optional(),
  /** TLS 1.3 suites, colon separated (OpenSSL ciphersuites syntax). */
  ciphersuites: z.string().min(1).optional(),
});

/** `listen: "127.0.0.1:8443"` is shorthand for `listen: { address: "127.0.0.1:8443" }`. */
const listenField = z.preprocess((v) => (typeof v === 'string' ? { address: v } : v), listenObject);

const healthCheck = z.strictObject({
  interval: durationMs.default(2_000),
  timeout: durationMs.default(1_000),
});

const clientTls = z.strictObject({
  cert_file: z.string().min(1).optional(),
  key_file: z.string().min(1).optional(),
  ca_file: z.string().min(1).optional(),
  /** Name to verify on the remote server's certificate (defaults to the backend host). */
  server_name: z.string().min(1).optional(),
});

const backendObject = z.strictObject({
  /** TCP backend (server mode) or remote mTLS server (client mode). */
  address: dialAddress.optional(),
  /** A stdio MCP server to spawn (protocol: mcp). */
  command: z.array(z.string().min(1)).min(1).optional(),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().min(1).optional(),
  /** An HTTP MCP server (protocol: mcp). */
  url: z.url().optional(),
  /** Backends must be on loopback unless this is set: the proxy forwards plaintext. */
  allow_non_loopback: z.boolean().default(false),
  health_check: healthCheck.optional(),
  /** Client mode only: how to authenticate to the remote mTLS server. */
  tls: clientTls.optional(),
});

/** `backend: "127.0.0.1:8080"` is shorthand for `backend: { address: "127.0.0.1:8080" }`. */
const backendField = z.preprocess((v) => (typeof v === 'string' ? { address: v } : v), backendObject);

const mtlsObject = z.strictObject({
  mode: z.enum(['required', 'optional', 'disabled']).default('required'),
  /** CN allowlist. Empty means any certificate that validates. */
  allowed_services: z.array(z.string().min(1)).optional(),
  required_cn_pattern: regexString.optional(),
  allowed_organizations: z.array(z.string().min(1)).optional(),
  allowed_ous: z.array(z.string().min(1)).optional(),
  allowed_dns_sans: z.array(z.string().min(1)).optional(),
  allowed_uri_sans: z.array(z.string().min(1)).optional(),
  revocation_refresh: durationMs.optional(),
});

const serverCert = z.strictObject({
  cert_file: z.string().min(1).optional(),
  key_file: z.string().min(1).optional(),
  /** Issued by the local CA at start-up when no files are given. */
  ttl: durationMs.default(30 * 86_400_000),
  max_ttl: durationMs.default(90 * 86_400_000),
  renew_before: durationMs.default(10 * 86_400_000),
  dns: z.array(z.string().min(1)).optional(),
  ip: z.array(z.string().min(1)).optional(),
});

const clientCert = z.strictObject({
  default_ttl: durationMs.default(7 * 86_400_000),
  min_ttl: durationMs.default(60_000),
  max_ttl: durationMs.default(90 * 86_400_000),
});

const limits = z.strictObject({
  dial_timeout: durationMs.optional(),
  idle_timeout: durationMs.optional(),
  handshake_timeout: durationMs.optional(),
  max_connections: z.number().int().min(1).max(1_000_000).optional(),
  drain_timeout: durationMs.optional(),
});

export const LIMIT_DEFAULTS = {
  dial_timeout: 5_000,
  idle_timeout: 300_000,
  handshake_timeout: 10_000,
  max_connections: 10_000,
  drain_timeout: 30_000,
} as const;

const auditObject = z.strictObject({
  /** Log MCP tool arguments in the audit trail. Off by default: they may hold secrets. */
  arguments: z.boolean().default(false),
});

/** Keys a service may carry, in either config form. */
const serviceShape = {
  mode: z.enum(['server', 'client']).default('server'),
  protocol: z.enum(['tcp', 'mcp']).default('tcp'),
  listen: listenField,
  backend: backendField,
  mtls: mtlsObject.optional(),
  trusted_roots: z.array(z.string().min(1)).optional(),
  server_cert: serverCert.optional(),
  limits: limits.optional(),
  authorization: z.array(authorizationRule).optional(),
  audit: auditObject.optional(),
  /** protocol: mcp: tool-definition pinning (block | warn | off, default block). */
  pinning: pinningObject.optional(),
  /** protocol: mcp: per-certificate token bucket on requests. */
  rate_limit: rateLimitObject.optional(),
};

export const serviceSchema = z.strictObject({ name: serviceName, ...serviceShape });
export type RawService = z.infer<typeof serviceSchema>;

const mcpObject = z.strictObject({
  transport: z.enum(['stdio', 'sse', 'http']).default('stdio'),
  /** The HTTPS listener for Streamable HTTP (/mcp) and legacy SSE (/sse, /messages). */
  sse_address: listenAddress.default({ host: '127.0.0.1', port: 8444 }),
  /** Require a client certificate from the local CA on the remote listener. */
  self_secure: z.boolean().optional(),
  /** Who may call the tools that change state when reached remotely. */
  authorization: z.array(authorizationRule).default([]),
  /** Ask the user (MCP elicitation) before a destructive tool such as tlsmcp_cert_revoke. Unset: on for stdio (local) callers, off for remote ones. */
  confirm_destructive: z.boolean().optional(),
  /** Who may connect to the remote listener at all (with self_secure): the same keys and grammar as a service's `mtls`. */
  mtls: mtlsObject.omit({ mode: true, revocation_refresh: true }).optional(),
  /** MCP sessions (remote listener and MCP fronts) without a request or stream for this long are closed. */
  session_idle_timeout: durationMs.default(600_000),
  /** Open MCP sessions per client certificate; at the cap the least recently active idle one is closed. */
  max_sessions_per_identity: z.number().int().min(1).max(10_000).default(32),
  /** Open MCP sessions per listener in all. */
  max_sessions: z.number().int().min(1).max(1_000_000).default(1_024),
});

const adminObject = z.strictObject({
  enabled: z.boolean().default(true),
  address: listenAddress.default({ host: '127.0.0.1', port: 9901 }),
  allow_non_loopback: z.boolean().default(false),
});

const scanObject = z.strictObject({
  allow: z.array(z.string().min(1)).default([]),
  deny: z.array(z.string().min(1)).default([]),
  probe_timeout: durationMs.default(5_000),
  deadline: durationMs.default(60_000),
});

const loggingObject = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Append an audit event per connection and per tool call to the state dir. */
  audit: z.boolean().default(true),
});

const hubField = z.union([z.url(), z.strictObject({ url: z.url() })]);

/** The file as written. Top-level service keys are the single-service form. */
export const rawConfigSchema = z.strictObject({
  version: z.literal(1).default(1),
  state_dir: z.string().min(1).optional(),
  hub: hubField.optional(),
  service_id: serviceName.optional(),
  mode: z.enum(['server', 'client']).optional(),
  protocol: z.enum(['tcp', 'mcp']).optional(),
  listen: listenField.optional(),
  backend: backendField.optional(),
  mtls: mtlsObject.optional(),
  allowed_services: z.array(z.string().min(1)).optional(),
  revocation_refresh: durationMs.default(1_000),
  trusted_roots: z.array(z.string().min(1)).optional(),
  server_cert: serverCert.default(serverCert.parse({})),
  client_cert: clientCert.default(clientCert.parse({})),
  limits: limits.optional(),
  authorization: z.array(authorizationRule).optional(),
  audit: auditObject.optional(),
  pinning: pinningObject.optional(),
  rate_limit: rateLimitObject.optional(),
  services: z.array(serviceSchema).optional(),
  logging: loggingObject.default(loggingObject.parse({})),
  mcp: mcpObject.default(mcpObject.parse({})),
  admin: adminObject.default(adminObject.parse({})),
  scan: scanObject.default(scanObject.parse({})),
});

export type RawConfig = z.infer<typeof rawConfigSchema>;
export type ListenConfig = z.infer<typeof listenObject>;
export type BackendConfig = z.infer<typeof backendObject>;
export type MtlsConfig = z.infer<typeof mtlsObject>;
export type ServerCertConfig = z.infer<typeof serverCert>;
export type ClientCertPolicy = z.infer<typeof clientCert>;
export type LimitsConfig = { [K in keyof typeof LIMIT_DEFAULTS]: number };
export type McpConfig = z.infer<typeof mcpObject>;
export type AdminConfig = z.infer<typeof adminObject>;
export type ScanConfig = z.infer<typeof scanObject>;
export type LoggingConfig = z.infer<typeof loggingObject>;

/** A service after normalization: every default filled, policy merged. */
export interface ServiceConfig {
  name: string;
  mode: 'server' | 'client';
  protocol: 'tcp' | 'mcp';
  listen: ListenConfig;
  backend: BackendConfig;
  mtls: MtlsConfig & { mode: 'required' | 'optional' | 'disabled'; revocation_refresh: number };
  trusted_roots: string[];
  server_cert: ServerCertConfig;
  limits: LimitsConfig;
  authorization: z.infer<typeof authorizationRule>[];
  audit: { arguments: boolean };
  /** protocol: mcp: tool-definition pinning; default block. */
  pinning: PinningConfig;
  /** protocol: mcp: the service-wide per-certificate rate limit, if any. */
  rate_limit?: RateLimitConfig | undefined;
  /** Where in the file this service came from, for error messages: `services[2]` or `` (top level). */
  path: string;
}

export interface Config {
  version: 1;
  state_dir: string | undefined;
  hub: string | undefined;
  service_id: string | undefined;
  services: ServiceConfig[];
  client_cert: ClientCertPolicy;
  server_cert: ServerCertConfig;
  revocation_refresh: number;
  logging: LoggingConfig;
  mcp: McpConfig & { self_secure: boolean };
  admin: AdminConfig;
  scan: ScanConfig;
}
