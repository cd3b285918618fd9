/**
 * Connection-level admission for the MCP front: the chain must validate (unless
 * mtls is disabled), the serial must not be revoked, and the certificate must pass
 * the service's `mtls` allowlists. Runs before any MCP message is read, so a
 * refused agent never reaches a backend.
 */
import type { McpServiceConfig } from './service.js';
import type { PeerIdentity } from './peer-identity.js';

export interface AdmissionRefusal {
  /** HTTP status for the refusal: 401 no/invalid certificate, 403 not allowed. */
  status: 401 | 403;
  /** Stable short reason for audit and metrics. */
  reason: 'no_certificate' | 'untrusted_certificate' | 'revoked' | 'not_allowed';
  message: string;
}

export type Admission = (identity: PeerIdentity) => AdmissionRefusal | undefined;

/** Builds the admission check for one service. `isRevoked` is asked on every request. */
export function createAdmission(service: McpServiceConfig, isRevoked: (serial: string) => boolean): Admission {
  const mtls = service.mtls;
  const cnPattern = mtls.required_cn_pattern ? new RegExp(`^(?:${mtls.required_cn_pattern})$`) : undefined;
  const refuse = (message: string): AdmissionRefusal => ({ status: 403, reason: 'not_allowed', message });
  const anyOf = (have: string[], allowed: string[] | undefined) =>
    allowed === undefined || allowed.length === 0 || have.some((v) => allowed.includes(v));

  return (identity) => {
    if (mtls.mode === 'disabled') return undefined;
    if (!identity.fingerprint256) {
      return {
        status: 401,
        reason: 'no_certificate',
        message: `service "${service.name}" requires a client certificate (mtls.mode: ${mtls.mode})`,
      };
    }
    if (!identity.authorized) {
      return {
        status: 401,
        reason: 'untrusted_certificate',
        message: `client certificate not accepted by service "${service.name}": ${identity.authorizationError}`,
      };
    }
    if (identity.serial && isRevoked(identity.serial)) {
      return {
        status: 403,
        reason: 'revoked',
        message: `client certificate serial ${identity.serial} (CN ${identity.cn ?? '-'}) is revoked`,
      };
    }
    const cn = identity.cn ?? '';
    if (mtls.allowed_services?.length && !mtls.allowed_services.includes(cn)) {
      return refuse(`CN "${cn}" is not in mtls.allowed_services of service "${service.name}"`);
    }
    if (cnPattern && !cnPattern.test(cn)) {
      return refuse(`CN "${cn}" does not match mtls.required_cn_pattern of service "${service.name}"`);
    }
    if (!anyOf(identity.o, mtls.allowed_organizations)) {
      return refuse(`no O of the certificate is in mtls.allowed_organizations of service "${service.name}"`);
    }
    if (!anyOf(identity.ou, mtls.allowed_ous)) {
      return refuse(`no OU of the certificate is in mtls.allowed_ous of service "${service.name}"`);
    }
    if (!anyOf(identity.sans.dns, mtls.allowed_dns_sans)) {
      return refuse(`no DNS SAN of the certificate is in mtls.allowed_dns_sans of service "${service.name}"`);
    }
    if (!anyOf(identity.sans.uri, mtls.allowed_uri_sans)) {
      return refuse(`no URI SAN of the certificate is in mtls.allowed_uri_sans of service "${service.name}"`);
    }
    return undefined;
  };
}
