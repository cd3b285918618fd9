/**
 * Client mode: why the remote mTLS server was never reached, as one of the
 * core's reason codes (metrics label, audit reason) and a sentence for the log.
 */
import type { RejectReason } from '../core/reasons.js';

export type UpstreamFailureReason = Extract<RejectReason, 'remote_refused_certificate' | 'remote_untrusted' | 'remote_name_mismatch' | 'remote_dial_failed' | 'remote_tls_failed'>;

/** Node's verify codes for a server certificate that does not chain to `backend.tls.ca_file`. */
const UNTRUSTED_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'INVALID_PURPOSE',
  'CERT_REJECTED',
]);

const DIAL_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);

/** TLS alerts by which a server refuses the certificate we presented (or its absence). */
const REFUSED_CERT_ALERT = /^ERR_SSL_(?:TLSV13|TLSV1|SSLV3)_ALERT_(?:CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED)$/;

export function isRefusedCertificate(err: NodeJS.ErrnoException): boolean {
  return REFUSED_CERT_ALERT.test(err.code ?? '');
}

export function classifyUpstreamError(err: NodeJS.ErrnoException, target: string, connected: boolean): { reason: UpstreamFailureReason; detail: string } {
  const code = err.code ?? '';
  if (isRefusedCertificate(err)) {
    return { reason: 'remote_refused_certificate', detail: `remote ${target} refused our client certificate (${code}): check backend.tls.cert_file is issued by a CA the remote trusts` };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return { reason: 'remote_name_mismatch', detail: `remote ${target} presented a certificate for another name: ${err.message}; set backend.tls.server_name to a name on it` };
  }
  if (UNTRUSTED_CODES.has(code)) {
    return { reason: 'remote_untrusted', detail: `remote ${target} presented a certificate we do not trust (${code}): check backend.tls.ca_file` };
  }
  if (!connected && DIAL_CODES.has(code)) {
    return { reason: 'remote_dial_failed', detail: `remote ${target} unreachable: ${code}` };
  }
  return { reason: 'remote_tls_failed', detail: `remote ${target}: TLS failed: ${code || err.message}` };
}

/**
 * A remote that closes (or resets) right after the handshake without a byte,
 * before our client ended its side: how Node servers (tlsmcp included) refuse
 * a client certificate or identity, with no alert.
 */
export function refusedAfterHandshake(target: string): { reason: UpstreamFailureReason; detail: string } {
  return {
    reason: 'remote_refused_certificate',
    detail: `remote ${target} closed the connection right after the TLS handshake without answering: it refused our client certificate or identity (see the remote's log; check backend.tls.cert_file)`,
  };
}
