/**
 * Errors as the Hub answers them: `{ error: { code, message, fix } }` with the
 * HTTP status the code implies, so a client keeps the stable code across HTTP.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { toTlsmcpError, type ErrorCode } from '../errors.js';

const STATUS: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  ERR_ARGUMENT_INVALID: 400,
  ERR_CONFIG_INVALID: 400,
  ERR_CSR_INVALID: 400,
  ERR_CERT_TTL: 400,
  ERR_UNAUTHENTICATED: 401,
  ERR_TOKEN_INVALID: 401,
  ERR_FORBIDDEN: 403,
  ERR_POLICY_DENIED: 403,
  ERR_CERT_NOT_FOUND: 404,
  ERR_NOT_FOUND: 404,
  ERR_CONFLICT: 409,
  ERR_CERT_REVOKED: 409,
};

export function statusOf(code: string): ContentfulStatusCode {
  return STATUS[code as ErrorCode] ?? 500;
}

export function errorBody(code: string, message: string, fix?: string | null) {
  return { error: { code, message, fix: fix ?? null } };
}

/** The app's onError: TlsmcpErrors keep their code; hono's own exceptions (bad JSON) become 400s. */
export function answerError(err: unknown, c: Context) {
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const code = status === 400 ? 'ERR_ARGUMENT_INVALID' : status === 404 ? 'ERR_NOT_FOUND' : 'ERR_INTERNAL';
    return c.json(errorBody(code, `body: ${err.message}`, status === 400 ? 'send a JSON body (Content-Type: application/json)' : null), status);
  }
  const e = toTlsmcpError(err);
  return c.json(errorBody(e.code, e.message, e.fix), statusOf(e.code));
}
