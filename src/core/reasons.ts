/**
 * The one list of reasons a listener refuses or drops a client, used alike by
 * the audit trail, logs and the `tlsmcp_connections_rejected_total{reason}`
 * metric, whichever listener (TCP proxy, MCP front, remote MCP) refused.
 */
export const REJECT_REASONS = [
  /** mtls.mode is required and the client sent no certificate. */
  'no_certificate',
  /** The chain does not lead to a trusted root. */
  'untrusted',
  'expired',
  'not_yet_valid',
  /** The certificate is not for client authentication (e.g. serverAuth only). */
  'invalid_purpose',
  'revoked',
  /** A rule of `mtls.*` refused the identity. */
  'policy',
  /** The TLS handshake itself failed (bad hello, protocol version, no shared suite, ...). */
  'tls_handshake',
  /** No complete handshake within limits.handshake_timeout of the TCP accept. */
  'handshake_timeout',
  /** A TLS 1.2 client asked to renegotiate. */
  'renegotiation',
  'backend_unavailable',
  'backend_dial_failed',
  'remote_tls_failed',
  /** Client mode: the remote refused our client certificate (a TLS alert, in TLS 1.3 read after the handshake). */
  'remote_refused_certificate',
  /** Client mode: the remote's certificate does not chain to backend.tls.ca_file. */
  'remote_untrusted',
  /** Client mode: the remote's certificate is not for the expected name. */
  'remote_name_mismatch',
  /** Client mode: the remote could not be dialled (refused, unreachable, dial_timeout). */
  'remote_dial_failed',
  'draining',
  'max_connections',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** Maps Node's `authorizationError` codes to a reason. */
export function reasonForAuthorizationError(code: string | undefined | null): RejectReason {
  switch (code) {
    case 'CERT_HAS_EXPIRED':
      return 'expired';
    case 'CERT_NOT_YET_VALID':
      return 'not_yet_valid';
    case 'INVALID_PURPOSE':
      return 'invalid_purpose';
    case 'CERT_REVOKED':
      return 'revoked';
    default:
      return 'untrusted';
  }
}

/** The HTTP status an HTTP listener answers a refusal with: 401 for certificate problems, 403 for a refused identity. */
export function httpStatusFor(reason: RejectReason): 401 | 403 | 503 {
  if (reason === 'revoked' || reason === 'policy') return 403;
  if (reason === 'draining' || reason === 'max_connections' || reason === 'backend_unavailable') return 503;
  return 401;
}
