/**
 * Admission: whether a client whose handshake just finished may use a
 * listener at all. One compiled decision for `mtls.*`, the same on every
 * listener: the chain must validate (unless mtls is disabled), a resumed session
 * is rechecked for validity dates (OpenSSL does not), the serial must not be
 * revoked, and every `allowed_*` rule given must pass (AND). Grammar:
 *  - `allowed_services`: exact CNs;
 *  - `required_cn_pattern`: a regular expression that must match the WHOLE CN;
 *  - `allowed_organizations`, `allowed_ous`, `allowed_dns_sans`,
 *    `allowed_uri_sans`: any value of the certificate matching any entry, with
 *    the wildcards of ./match.ts (`*` one segment, `**` across).
 */
import type { PeerIdentity } from './identity.js';
import { compileAnyOf, compileFullMatch, type ValueKind } from './match.js';
import { reasonForAuthorizationError, type RejectReason } from './reasons.js';

export interface MtlsPolicy {
  mode: 'required' | 'optional' | 'disabled';
  allowed_services?: string[] | undefined;
  required_cn_pattern?: string | undefined;
  allowed_organizations?: string[] | undefined;
  allowed_ous?: string[] | undefined;
  allowed_dns_sans?: string[] | undefined;
  allowed_uri_sans?: string[] | undefined;
}

export interface Refusal {
  reason: RejectReason;
  /** The config key of the rule that refused, e.g. `mtls.allowed_uri_sans`. */
  rule?: string;
  /** Which rule refused whom, in words. */
  detail: string;
}

/** What the handshake established about the peer. */
export interface HandshakeFacts {
  identity: PeerIdentity | undefined;
  authorized: boolean;
  authorizationError?: string | Error | null | undefined;
  /** The session was resumed (OpenSSL did not re-verify the certificate). */
  resumed: boolean;
}

export type Admission = (facts: HandshakeFacts) => Refusal | undefined;

type IdentityCheck = (id: PeerIdentity) => Refusal | undefined;

const show = (values: string[]) => (values.length === 0 ? 'none' : values.map((v) => JSON.stringify(v)).join(', '));

/** The `allowed_*` and CN rules alone, compiled once. */
export function compileIdentityPolicy(mtls: MtlsPolicy): IdentityCheck {
  const checks: IdentityCheck[] = [];
  if (mtls.allowed_services?.length) {
    const allowed = new Set(mtls.allowed_services);
    checks.push((id) =>
      id.cn !== undefined && allowed.has(id.cn)
        ? undefined
        : { reason: 'policy', rule: 'mtls.allowed_services', detail: `CN ${JSON.stringify(id.cn ?? '')} is not in mtls.allowed_services` },
    );
  }
  if (mtls.required_cn_pattern) {
    const re = compileFullMatch(mtls.required_cn_pattern);
    checks.push((id) =>
      id.cn !== undefined && re.test(id.cn)
        ? undefined
        : { reason: 'policy', rule: 'mtls.required_cn_pattern', detail: `CN ${JSON.stringify(id.cn ?? '')} does not fully match mtls.required_cn_pattern /${mtls.required_cn_pattern}/` },
    );
  }
  const anyOf = (key: keyof MtlsPolicy, label: string, pick: (id: PeerIdentity) => string[], kind: ValueKind) => {
    const patterns = mtls[key] as string[] | undefined;
    if (!patterns?.length) return;
    const match = compileAnyOf(patterns, kind);
    checks.push((id) => {
      const values = pick(id);
      return values.some(match) ? undefined : { reason: 'policy', rule: `mtls.${key}`, detail: `${label} ${show(values)} not allowed by mtls.${key}` };
    });
  };
  anyOf('allowed_organizations', 'O', (id) => id.o, 'name');
  anyOf('allowed_ous', 'OU', (id) => id.ou, 'name');
  anyOf('allowed_dns_sans', 'DNS SAN', (id) => id.dns, 'dns');
  anyOf('allowed_uri_sans', 'URI SAN', (id) => id.uri, 'uri');
  if (checks.length === 0) return () => undefined;
  return (id) => {
    for (const check of checks) {
      const refusal = check(id);
      if (refusal) return refusal;
    }
    return undefined;
  };
}

/**
 * A handshake that failed, named with the same reasons: a missing certificate,
 * the chain's verify result (Node leaves it on the socket when it refused the
 * certificate), a timeout, else the TLS failure itself.
 */
export function refusalFromHandshakeError(err: NodeJS.ErrnoException, socket: { authorizationError?: unknown }, handshakeTimeoutMs: number): Refusal {
  if (err.code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE') return { reason: 'no_certificate', detail: 'no client certificate (mtls.mode is required)' };
  if (err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return { reason: 'handshake_timeout', detail: `no complete TLS handshake within limits.handshake_timeout (${handshakeTimeoutMs} ms)` };
  const verify = socket.authorizationError;
  if (typeof verify === 'string' && verify) return { reason: reasonForAuthorizationError(verify), detail: `certificate not accepted: ${verify}` };
  return { reason: 'tls_handshake', detail: `TLS handshake failed: ${err.code ?? err.message}` };
}

const errorCode = (e: HandshakeFacts['authorizationError']) => (e instanceof Error ? ((e as NodeJS.ErrnoException).code ?? e.message) : (e ?? undefined));

/** The whole admission decision for one listener. `isRevoked` and `now` are asked per call. */
export function compileAdmission(mtls: MtlsPolicy, options: { isRevoked: (serial: string) => boolean; now?: () => number }): Admission {
  const policy = compileIdentityPolicy(mtls);
  const now = options.now ?? Date.now;
  return ({ identity, authorized, authorizationError, resumed }) => {
    if (mtls.mode === 'disabled') return undefined;
    if (!identity) {
      return mtls.mode === 'required' ? { reason: 'no_certificate', detail: 'no client certificate (mtls.mode is required)' } : undefined;
    }
    if (!authorized) {
      const code = String(errorCode(authorizationError) ?? 'unknown');
      return { reason: reasonForAuthorizationError(code), detail: `certificate not accepted: ${code}` };
    }
    if (resumed) {
      const t = now();
      if (identity.notAfter <= t) return { reason: 'expired', detail: `certificate ${identity.serial} expired (resumed session)` };
      if (identity.notBefore > t) return { reason: 'not_yet_valid', detail: `certificate ${identity.serial} is not valid yet (resumed session)` };
    }
    if (options.isRevoked(identity.serial)) return { reason: 'revoked', detail: `certificate ${identity.serial} is revoked` };
    return policy(identity);
  };
}
