/**
 * The certificate authority's contract: what a certificate record holds and what
 * the CA can do. The CLI, the proxy supervisor, the MCP tools and the score all
 * program against this; `src/ca/authority.ts` implements it over the state dir.
 */
import { z } from 'zod';

export const KEY_TYPES = ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096'] as const;
export const keyTypeSchema = z.enum(KEY_TYPES);
export type KeyType = z.infer<typeof keyTypeSchema>;

export const certTypeSchema = z.enum(['client', 'server']);
export type CertType = z.infer<typeof certTypeSchema>;

export const REVOCATION_REASONS = ['keyCompromise', 'superseded', 'cessationOfOperation', 'unspecified'] as const;
export const revocationReasonSchema = z.enum(REVOCATION_REASONS);
export type RevocationReason = z.infer<typeof revocationReasonSchema>;

export const certStatusSchema = z.enum(['valid', 'expiring', 'expired', 'revoked']);
export type CertStatus = z.infer<typeof certStatusSchema>;

export const sansSchema = z.object({
  dns: z.array(z.string()),
  ip: z.array(z.string()),
  uri: z.array(z.string()),
});
export type Sans = z.infer<typeof sansSchema>;

/** One issued certificate as kept in the inventory. Never holds key material. */
export const certRecordSchema = z.object({
  id: z.string(),
  /** Lowercase hex, no separators, no leading zeros beyond what the DER has. */
  serial: z.string(),
  type: certTypeSchema,
  service: z.string(),
  cn: z.string(),
  o: z.string().optional(),
  ou: z.string().optional(),
  sans: sansSchema,
  not_before: z.string(),
  not_after: z.string(),
  /** Uppercase hex pairs joined by ":", as Node's X509Certificate.fingerprint256. */
  fingerprint_sha256: z.string(),
  key_type: z.string(),
  from_csr: z.boolean(),
  renewed_from: z.string().optional(),
  issued_at: z.string(),
  revoked: z.object({ at: z.string(), reason: revocationReasonSchema }).optional(),
  /** Absolute paths: cert.pem, key.pem (absent for CSR-issued), ca.pem, bundle.p12. */
  files: z.object({ cert: z.string(), key: z.string().optional(), ca: z.string(), p12: z.string().optional() }),
});
export type CertRecord = z.infer<typeof certRecordSchema>;

export interface CertView extends CertRecord {
  status: CertStatus;
  days_left: number;
}

export interface IssueRequest {
  type: CertType;
  service: string;
  cn?: string | undefined;
  o?: string | undefined;
  ou?: string | undefined;
  dns?: string[] | undefined;
  ip?: string[] | undefined;
  uri?: string[] | undefined;
  /** Milliseconds; defaults from the TTL policy of the certificate type. */
  ttlMs?: number | undefined;
  keyType?: KeyType | undefined;
  /** PEM PKCS#10 request: the requester keeps the key, none is written. */
  csrPem?: string | undefined;
  /** Also write cert.pem, key.pem (0600) and ca.pem here. */
  outDir?: string | undefined;
  p12?: boolean | undefined;
  p12Password?: string | undefined;
}

export interface IssueResult {
  record: CertRecord;
  certPem: string;
  /** Only in-process, for callers that configure a TLS context. Never print it. */
  keyPem: string | undefined;
  caPem: string;
}

export interface RevocationEntry {
  serial: string;
  id: string;
  at: string;
  reason: RevocationReason;
}

export interface TtlPolicy {
  client: { default_ttl: number; min_ttl: number; max_ttl: number };
  server: { ttl: number; max_ttl: number; renew_before: number };
  /** A certificate is "expiring" within this window. */
  expiring_within: number;
}

export interface CertificateAuthority {
  readonly stateDir: string;
  /** Creates the root CA; never replaces one unless `force`. */
  init(options?: { keyType?: KeyType; force?: boolean }): Promise<{ created: boolean; caCertPem: string; /** Where a replaced CA was moved. */ replaced?: string }>;
  exists(): boolean;
  caCertPem(): string;
  issue(request: IssueRequest): Promise<IssueResult>;
  /** Every record, with status and days left at the CA's clock. */
  list(filter?: { service?: string; status?: CertStatus; type?: CertType }): Promise<CertView[]>;
  /** By id, serial (any case, with or without colons) or fingerprint. */
  get(idOrSerial: string): Promise<CertView>;
  revoke(idOrSerial: string, reason?: RevocationReason): Promise<CertView>;
  /** Same identity and SANs, fresh validity; a new key unless the original came from a CSR. Refuses revoked ones. */
  renew(id: string, options?: { outDir?: string | undefined; p12?: boolean | undefined; p12Password?: string | undefined }): Promise<IssueResult>;
  /** The PEM of an issued certificate. */
  certPem(idOrSerial: string): Promise<string>;
  revocations(): Promise<RevocationEntry[]>;
  /** A signed CRL of every revoked serial, PEM. */
  crlPem(): Promise<string>;
}
