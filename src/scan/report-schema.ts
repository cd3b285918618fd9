/**
 * The scan report as a zod schema: the one definition of what `tlsmcp scan
 * --json` prints and what the MCP tool `tlsmcp_scan` returns as
 * structuredContent. Plain JSON only (strings, numbers, booleans, null) so it
 * serializes the same everywhere.
 */
import { z } from 'zod';

export const severitySchema = z.enum(['critical', 'high', 'medium', 'low', 'info']);
export type Severity = z.infer<typeof severitySchema>;

export const findingSchema = z.object({
  /** Stable, kebab-case: scripts and agents match on it. */
  id: z.string(),
  severity: severitySchema,
  title: z.string(),
  /** What was observed, as facts (versions, names, dates). */
  evidence: z.string(),
  /** A concrete change that removes the finding. */
  fix: z.string(),
});
export type Finding = z.infer<typeof findingSchema>;

export const PROTOCOL_NAMES = ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export const protocolNameSchema = z.enum(PROTOCOL_NAMES);
export type ProtocolName = z.infer<typeof protocolNameSchema>;

export const protocolResultSchema = z.object({
  name: protocolNameSchema,
  /** offered / not_offered from a handshake; not_testable when this OpenSSL cannot try it. */
  status: z.enum(['offered', 'not_offered', 'not_testable', 'error']),
  note: z.string().optional(),
});
export type ProtocolResult = z.infer<typeof protocolResultSchema>;

export const suiteSchema = z.object({
  protocol: protocolNameSchema,
  /** IANA name, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256. */
  name: z.string(),
  /** OpenSSL name used to offer it. */
  openssl_name: z.string(),
  forward_secrecy: z.boolean(),
  aead: z.boolean(),
  /** Symmetric key bits (0 for NULL encryption). */
  bits: z.number(),
  /** Why the suite is weak, when it is (e.g. "CBC with SHA-1", "anonymous"). */
  weak: z.string().nullable(),
  /** The ephemeral key seen when this suite was negotiated (e.g. "X25519 253", "DH 2048"). */
  key_exchange: z.string().nullable(),
});
export type Suite = z.infer<typeof suiteSchema>;

export const certInfoSchema = z.object({
  subject: z.string(),
  issuer: z.string(),
  serial: z.string(),
  sans: z.object({ dns: z.array(z.string()), ip: z.array(z.string()), uri: z.array(z.string()), email: z.array(z.string()) }),
  not_before: z.string(),
  not_after: z.string(),
  /** Whole days until notAfter at scan time (negative once expired). */
  days_left: z.number(),
  key_type: z.string(),
  key_bits: z.number(),
  /** RSA-equivalent strength used for grading (P-256 = 3072, P-384 = 7680). */
  key_strength: z.number(),
  signature_algorithm: z.string(),
  self_signed: z.boolean(),
  is_ca: z.boolean(),
  fingerprint_sha256: z.string(),
});
export type CertInfo = z.infer<typeof certInfoSchema>;

export const chainCompletionSchema = z.object({
  /**
   * How the chain reached a trust anchor: as-sent (the server sent all it needs),
   * local-ca / intermediates / aia (the first missing issuer came from the local CA
   * bundle, from --intermediates, or from the AIA caIssuers URL), unobtainable
   * (the missing issuer was found nowhere: the chain is not trusted).
   */
  path: z.enum(['as-sent', 'local-ca', 'intermediates', 'aia', 'unobtainable']),
  /** The issuers added to the chain as sent, in order. */
  added: z.array(
    z.object({
      subject: z.string(),
      source: z.enum(['local-ca', 'intermediates', 'aia']),
      /** The caIssuers URL it was fetched from (aia only). */
      url: z.string().nullable(),
      fingerprint_sha256: z.string(),
    }),
  ),
  /** What failed on the way (an AIA fetch refused or unanswered), when something did. */
  note: z.string().nullable(),
});
export type ChainCompletion = z.infer<typeof chainCompletionSchema>;

export const chainSchema = z.object({
  /** Leaf first. */
  certificates: z.array(certInfoSchema),
  /**
   * true: exactly the server's Certificate message (read from a plaintext TLS <= 1.2
   * handshake); false: rebuilt from Node's peer chain by issuer links, because
   * TLS 1.3 encrypts the chain and Node does not expose the order it came in.
   */
  as_sent: z.boolean(),
  /** Each certificate is issued (and signed) by the next one. */
  in_order: z.boolean(),
  /** The last certificate sent is a root, or its issuer is a known trust anchor. */
  complete: z.boolean(),
  /** How a chain sent incomplete was completed (trust below is judged on the completed chain). */
  completion: chainCompletionSchema,
  /**
   * Node's default root store (its bundled Mozilla roots plus NODE_EXTRA_CA_CERTS);
   * null when no handshake completed (e.g. a TLS 1.2 server demanding a client certificate).
   */
  trusted_system: z.boolean().nullable(),
  system_error: z.string().nullable(),
  /** null when no local CA was given. */
  trusted_local_ca: z.boolean().nullable(),
  local_ca_error: z.string().nullable(),
  hostname: z.string(),
  hostname_match: z.boolean(),
  hostname_error: z.string().nullable(),
  expired: z.boolean(),
  not_yet_valid: z.boolean(),
});
export type ChainReport = z.infer<typeof chainSchema>;

export const triStateSchema = z.union([z.boolean(), z.null()]);

export const gradeSchema = z.object({
  /** A+, A, A-, B, C, D, E, F, T (untrusted chain) or M (hostname mismatch). */
  grade: z.enum(['A+', 'A', 'A-', 'B', 'C', 'D', 'E', 'F', 'T', 'M']),
  /** The letter the numbers and caps give when trust problems are set aside. */
  grade_if_trusted: z.enum(['A+', 'A', 'A-', 'B', 'C', 'D', 'E', 'F']),
  score: z.number(),
  protocol_score: z.number(),
  key_exchange_score: z.number(),
  cipher_score: z.number(),
  /** Each rule that lowered the grade, with why. */
  caps: z.array(z.object({ cap: z.string(), reason: z.string() })),
  guide: z.literal('SSL Labs Server Rating Guide 2009r'),
});
export type GradeReport = z.infer<typeof gradeSchema>;

export const scanReportSchema = z.object({
  target: z.object({
    host: z.string(),
    port: z.number(),
    /** The address actually dialled (checked against scan.allow/scan.deny). */
    address: z.string(),
    sni: z.string().nullable(),
    /** The path the HTTP checks (HSTS) requested: the URL target's path, or / for HOST:PORT. */
    path: z.string(),
  }),
  started_at: z.string(),
  duration_ms: z.number(),
  /** A TCP connection was made. */
  reachable: z.boolean(),
  /** The server completed (or began) a TLS handshake. */
  tls: z.boolean(),
  /** Why the scan could not go further, when it could not. */
  error: z.string().nullable(),
  /** The deadline cut the scan short: results are partial. */
  partial: z.boolean(),
  protocols: z.array(protocolResultSchema),
  suites: z.array(suiteSchema),
  /** true: the server picks by its own order; false: by ours; null: not visible (under two suites). */
  server_preference: triStateSchema,
  /** Suites in the server's order of preference per protocol, when it enforces one. */
  preferred_order: z.record(z.string(), z.array(z.string())),
  chain: chainSchema.nullable(),
  client_auth: z.object({
    requested: triStateSchema,
    required: triStateSchema,
    /** A client certificate was presented (--cert/--key). */
    presented: z.boolean(),
    note: z.string(),
  }),
  ocsp_stapling: triStateSchema,
  alpn: z.array(z.string()),
  hsts: z
    .object({
      header: z.string().nullable(),
      max_age: z.number().nullable(),
      include_subdomains: z.boolean(),
      note: z.string().nullable(),
    })
    .nullable(),
  /** Checks this scanner cannot make, and why. */
  not_testable: z.array(z.string()),
  findings: z.array(findingSchema),
  grade: gradeSchema.nullable(),
});
export type ScanReport = z.infer<typeof scanReportSchema>;
