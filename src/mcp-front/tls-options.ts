/**
 * The front's TLS settings from a service: TLS 1.3 only unless the service's
 * `listen.protocol` says tls12, client certificates requested unless mtls is
 * disabled and required (handshake refused without one) when mode is required.
 */
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import type { McpServiceConfig } from './service.js';

export interface McpFrontTls {
  certPem: string;
  keyPem: string;
  /** Roots (and intermediates) client certificates must chain to. */
  caPems: string[];
  /** CRLs to refuse revoked certificates in the handshake itself. */
  crlPems?: string[] | undefined;
}

export function secureContextOptions(tls: McpFrontTls, service: McpServiceConfig): SecureContextOptions {
  const listen = service.listen;
  const ciphers = [listen.ciphersuites, listen.ciphers].filter((c): c is string => Boolean(c)).join(':');
  return {
    cert: tls.certPem,
    key: tls.keyPem,
    ...(tls.caPems.length ? { ca: tls.caPems } : {}),
    ...(tls.crlPems?.length ? { crl: tls.crlPems } : {}),
    minVersion: listen.protocol === 'tls12' ? 'TLSv1.2' : 'TLSv1.3',
    ...(ciphers ? { ciphers } : {}),
  };
}

export function serverTlsOptions(tls: McpFrontTls, service: McpServiceConfig): TlsOptions {
  const mode = service.mtls.mode;
  return {
    ...secureContextOptions(tls, service),
    requestCert: mode !== 'disabled',
    rejectUnauthorized: mode === 'required',
    handshakeTimeout: service.limits.handshake_timeout,
    ALPNProtocols: ['http/1.1'],
  };
}
