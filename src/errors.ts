/**
 * One error type for everything tlsmcp reports to a person or an agent: a stable
 * `code` scripts can match on, a message that names the key or argument at fault,
 * and, where there is one, the fix.
 */

export const ERROR_CODES = [
  'ERR_CONFIG_INVALID',
  'ERR_CONFIG_NOT_FOUND',
  'ERR_ARGUMENT_INVALID',
  /** A value that may never become part of a certificate: control characters, line separators, NUL. */
  'ERR_BAD_ARGUMENT',
  'ERR_STATE_CORRUPT',
  'ERR_STATE_LOCKED',
  /** A state or output file could not be written (disk full, read-only, permissions). */
  'ERR_STATE_WRITE',
  'ERR_CA_EXISTS',
  'ERR_CA_MISSING',
  /** The CA certificate is there but its private key is not: restore it, never replace the CA silently. */
  'ERR_CA_KEY_MISSING',
  /** The CA private key is readable by group or others. */
  'ERR_CA_KEY_INSECURE',
  'ERR_CERT_NOT_FOUND',
  'ERR_CERT_TTL',
  'ERR_CERT_EXPIRED',
  'ERR_CERT_REVOKED',
  'ERR_CERT_INVALID',
  'ERR_CSR_INVALID',
  'ERR_POLICY_DENIED',
  'ERR_FORBIDDEN',
  'ERR_TOOL_DEFINITION_CHANGED',
  'ERR_RATE_LIMITED',
  'ERR_SCAN_TARGET_REFUSED',
  'ERR_SCAN_FAILED',
  'ERR_PROXY',
  'ERR_WORKER',
  'ERR_NOT_RUNNING',
  'ERR_NOT_IMPLEMENTED',
  /** A destructive call the user declined when asked to confirm it. */
  'ERR_NOT_CONFIRMED',
  'ERR_UNAUTHENTICATED',
  'ERR_TOKEN_INVALID',
  'ERR_CONFLICT',
  'ERR_NOT_FOUND',
  'ERR_HUB_UNREACHABLE',
  'ERR_HUB_NOT_INITIALIZED',
  'ERR_HUB_DATABASE',
  /** fips_mode / --fips asked for FIPS mode and this Node.js has no OpenSSL FIPS provider to run it on. */
  'ERR_FIPS_UNAVAILABLE',
  /** `data_path: native` and the native data path addon is not built (or does not load): `npm run build:native`. */
  'ERR_NATIVE_UNAVAILABLE',
  'ERR_INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface TlsmcpErrorOptions {
  /** What the user should do about it, in one sentence. */
  fix?: string;
  cause?: unknown;
  /** Structured facts for --json output and MCP results (never secrets). */
  details?: Record<string, unknown>;
}

export class TlsmcpError extends Error {
  readonly code: ErrorCode;
  readonly fix: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: TlsmcpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TlsmcpError';
    this.code = code;
    this.fix = options.fix;
    this.details = options.details;
  }

  /** The message followed by the fix, as shown to people and agents. */
  describe(): string {
    return this.fix ? `${this.message}\n  fix: ${this.fix}` : this.message;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, fix: this.fix, details: this.details };
  }
}

export function isTlsmcpError(err: unknown): err is TlsmcpError {
  return err instanceof TlsmcpError;
}

/** Wraps anything thrown into a TlsmcpError so callers can rely on `code`. */
export function toTlsmcpError(err: unknown, code: ErrorCode = 'ERR_INTERNAL'): TlsmcpError {
  if (err instanceof TlsmcpError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new TlsmcpError(code, message, { cause: err });
}
