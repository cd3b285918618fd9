/**
 * The one zod schema for tlsmcp's YAML config. It accepts two shapes:
 *  - the single-service sidecar form (`service_id`, `listen`, `backend`, `mtls`, ...)
 *  - the gateway form (`services:` list, each with `name`, `listen`, `backend`, `mtls`)
 * and normalizes both to `Config` with a `services` array, durations in ms and
 * addresses parsed. It also accepts the documents' spellings (the short form's
 * `listen: :8443` and `mtls: required`, the walkthrough's flat keys in
 * `schema-walkthrough.ts`); `normalize-forms.ts` maps those onto these keys.
 * Cross-field rules (ports, TTL order, loopback backends) live in
 * `normalize.ts` so each message can name its key path.
 */
import { z } from 'zod';
import {
  authorizationRule,
  dialAddress,
  duration,
  listenAddress,
  pinningObject,
  rateLimitObject,
  regexString,
  type PinningConfig,
  type RateLimitConfig,
} from './primitives.js';
import { clientCertObject, serverCertObject } from './schema-cert.js';
import { walkthroughKeys } from './schema-walkthrough.js';
import { fipsSuiteProblems } from '../core/tls-profile.js';
import { XFCC_ELEMENTS } from '../core/xfcc.js';

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
  /**
   * `fips`: only FIPS-approved algorithms on this listener (and this service's
   * outgoing dials): AES-GCM suites, P-256/P-384 ECDHE, ECDSA/RSA >= 2048 with
   * SHA-256/384. ciphers/ciphersuites may only narrow it (src/core/tls-options.ts).
   */
  tls_profile: z.enum(['default', 'fips']).optional(),
  /**
   * ALPN protocol ids (RFC 7301) a TCP service advertises, in preference order,
   * e.g. `[h2, http/1.1]`; client mode offers the same list upstream. The bytes
   * are still piped untouched: the backend must speak what was negotiated.
   */
  alpn: z
    .array(z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces, e.g. h2 or http/1.1'))
    .min(1)
    .refine((ids) => new Set(ids).size === ids.length, 'lists a protocol id twice')
    .optional(),
}).superRefine((listen, ctx) => {
  if (listen.tls_profile !== 'fips') return;
  for (const p of fipsSuiteProblems(listen)) ctx.addIssue({ code: 'custom', path: [p.key], message: p.message });
});

/** `listen: "127.0.0.1:8443"` is shorthand for `listen: { address: "127.0.0.1:8443" }`. */
const listenField = z.preprocess((v) => (typeof v === 'string' ? { address: v } : v), listenObject);

/** The check `health_check: true` (or `backend.health_path` alone) turns on. */
export const HEALTH_CHECK_DEFAULTS = { interval: 2_000, timeout: 1_000 };

const healthCheck = z.strictObject({
  interval: duration('health_interval').default(HEALTH_CHECK_DEFAULTS.interval),
  timeout: duration('health_timeout').default(HEALTH_CHECK_DEFAULTS.timeout),
});

/** `health_check: true` (the walkthrough) is the default check; `false` is none. */
const healthCheckField = z
  .union([z.boolean(), healthCheck])
  .transform((v) => (v === true ? healthCheck.parse({}) : v === false ? undefined : v));

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
  /**
   * What the backend speaks: `tcp` (default) is a byte pipe; `http` is the
   * HTTP-aware listener (HTTP/1.1 and HTTP/2 in, a keep-alive pool out, the
   * client identity in X-Forwarded-Client-Cert).
   */
  protocol: z.enum(['tcp', 'http']).optional(),
  /** `protocol: http`: which elements of the client certificate go into X-Forwarded-Client-Cert (Envoy's format). */
  xfcc: z.array(z.enum(XFCC_ELEMENTS)).min(1).optional(),
  health_check: healthCheckField.optional(),
  /** `protocol: http`: the health check is an HTTP GET of this path (2xx/3xx is up) instead of a TCP connect; turns the check on. */
  health_path: z.string().startsWith('/').optional(),
  /** Client mode only: how to authenticate to the remote mTLS server. */
  tls: clientTls.optional(),
  /**
   * Server mode, TCP services: send a PROXY protocol v2 header first, with the
   * client address, TLS version, certificate CN and SPIFFE ID (TLV 0xE0).
   */
  proxy_protocol: z.enum(['v2']).optional(),
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
  revocation_refresh: duration('revocation_refresh').optional(),
});

/** `mtls: required` is shorthand for `mtls: { mode: required }`. */
const mtlsField = z.preprocess((v) => (typeof v === 'string' ? { mode: v } : v), mtlsObject);

const serverCert = serverCertObject;
const clientCert = clientCertObject;

const limits = z.strictObject({
  dial_timeout: duration('dial_timeout').optional(),
  idle_timeout: duration('idle_timeout').optional(),
  handshake_timeout: duration('handshake_timeout').optional(),
  max_connections: z.number().int().min(1).max(1_000_000).optional(),
  drain_timeout: duration('drain_timeout').optional(),
  /**
   * Proxy worker threads per TCP listener. Unset: one per core (where the runtime
   * shares a port between threads), for throughput; 1 for a small sidecar (each
   * worker costs ~25 MB of RSS).
   */
  workers: z.number().int().min(1).max(256).optional(),
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
  /**
   * How a server-mode TCP service moves bytes: \`native\` (the native data path
   * addon, src/native/: OpenSSL on the worker's own event loop, same admission;
   * \`npm run build:native\`), \`js\` (Node's tls), or \`auto\` (the default):
   * native where it carries the service and the addon loads, else js.
   */
  data_path: z.enum(['auto', 'js', 'native']).optional(),
  listen: listenField,
  backend: backendField,
  mtls: mtlsField.optional(),
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
  /** Serve tlsmcp's own MCP tools beside `tlsmcp run` (false: the proxy only). */
  enabled: z.boolean().default(true),
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
  session_idle_timeout: duration('session_idle_timeout').default(600_000),
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
  probe_timeout: duration('probe_timeout').default(5_000),
  deadline: duration('scan_deadline').default(60_000),
});

const loggingObject = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Append an audit event per connection and per tool call to the state dir. */
  audit: z.boolean().default(true),
  /** The walkthrough's name for `audit`. */
  audit_enabled: z.boolean().optional(),
  /** json (default; ISO timestamps) or pretty (human, through pino-pretty). */
  format: z.enum(['json', 'pretty']).default('json'),
  /** Report events to the Hub (when a hub is configured). */
  hub_sync: z.boolean().optional(),
  /** The walkthrough's Prometheus port: the admin endpoint (with /metrics) moves to 127.0.0.1:PORT. */
  metrics_port: z.number().int().min(1).max(65535).optional(),
});

/**
 * The Hub this instance follows. `hub: URL` is shorthand for `hub: { url: URL }`; `url` may be a
 * list (tried in order). `auth_token` enrolls on first start when `tlsmcp init --hub-url` was not
 * run; `sync_interval` is how often a sidecar retries an unreachable Hub (with jitter).
 */
const hubObject = z.strictObject({
  url: z.union([z.url(), z.array(z.url()).min(1)]),
  auth_token: z.string().min(1).optional(),
  sync_interval: duration('sync_interval').default(30_000),
});
const hubField = z.preprocess((v) => (typeof v === 'string' ? { url: v } : v), hubObject);

/** The `hub:` section normalized: every URL, the enrollment token and the retry interval (ms). */
export interface HubSettings {
  urls: string[];
  auth_token: string | undefined;
  sync_interval: number;
}

/** Normalizes the raw `hub:` value (string or object) to HubSettings. */
export function hubSettingsOf(raw: z.infer<typeof hubObject> | undefined): HubSettings | undefined {
  if (raw === undefined) return undefined;
  return { urls: Array.isArray(raw.url) ? raw.url : [raw.url], auth_token: raw.auth_token, sync_interval: raw.sync_interval };
}

/** The file as written. Top-level service keys are the single-service form. */
export const rawConfigSchema = z.strictObject({
  version: z.literal(1).default(1),
  state_dir: z.string().min(1).optional(),
  hub: hubField.optional(),
  service_id: serviceName.optional(),
  mode: z.enum(['server', 'client']).optional(),
  protocol: z.enum(['tcp', 'mcp']).optional(),
  data_path: z.enum(['auto', 'js', 'native']).optional(),
  listen: listenField.optional(),
  backend: backendField.optional(),
  mtls: mtlsField.optional(),
  allowed_services: z.array(z.string().min(1)).optional(),
  revocation_refresh: duration('revocation_refresh').default(1_000),
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
  ...walkthroughKeys,
  /** Run Node's crypto in FIPS mode on an OpenSSL FIPS provider, or refuse to start (src/fips.ts). Same as --fips. */
  fips_mode: z.boolean().default(false),
});

export type RawConfig = z.infer<typeof rawConfigSchema>;
export type ListenConfig = z.infer<typeof listenObject>;
export type BackendConfig = z.infer<typeof backendObject>;
export type MtlsConfig = z.infer<typeof mtlsObject>;
export type ServerCertConfig = z.infer<typeof serverCert>;
export type ClientCertPolicy = z.infer<typeof clientCert>;
export type LimitsConfig = { [K in keyof typeof LIMIT_DEFAULTS]: number } & { workers?: number };
export type McpConfig = z.infer<typeof mcpObject>;
export type AdminConfig = z.infer<typeof adminObject>;
export type ScanConfig = z.infer<typeof scanObject>;
export type LoggingConfig = z.infer<typeof loggingObject>;

/** A service after normalization: every default filled, policy merged. */
export interface ServiceConfig {
  name: string;
  mode: 'server' | 'client';
  protocol: 'tcp' | 'mcp';
  /** `native`: the native data path (src/native/); `auto` (the default) resolves in supervisor/worker-spec.ts. */
  data_path: 'auto' | 'js' | 'native';
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

/** Something the user should know about how a key was read (not an error). */
export interface ConfigNotice {
  path: string;
  message: string;
}

export interface Config {
  version: 1;
  state_dir: string | undefined;
  hub: string | undefined;
  /** The whole `hub:` section (hub above is its first URL). */
  hub_settings?: HubSettings | undefined;
  service_id: string | undefined;
  services: ServiceConfig[];
  client_cert: ClientCertPolicy;
  server_cert: ServerCertConfig;
  revocation_refresh: number;
  logging: LoggingConfig;
  mcp: McpConfig & { self_secure: boolean };
  admin: AdminConfig;
  scan: ScanConfig;
  /** How documented spellings were read, and features that load but act in a reduced way. */
  notices: ConfigNotice[];
  /** FIPS mode for the process (src/fips.ts); tls_profile: fips on a listener is separate. */
  fips_mode: boolean;
}
