/**
 * The front's TLS settings: the core builder (src/core/tls-options.ts) fed
 * from the service's `listen` and `mtls`, with HTTP/1.1 as the only ALPN
 * protocol and the service's handshake_timeout as Node's pre-handshake limit.
 */
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import { serverContextOptions, serverOptions, type TlsMaterialPems } from '../core/tls-options.js';
import type { McpServiceConfig } from './service.js';

export type McpFrontTls = TlsMaterialPems;

const settingsOf = (service: McpServiceConfig) => ({ protocol: service.listen.protocol, ciphers: service.listen.ciphers, ciphersuites: service.listen.ciphersuites, tls_profile: service.listen.tls_profile });

export function secureContextOptions(tls: McpFrontTls, service: McpServiceConfig, ticketKeys: Buffer): SecureContextOptions {
  return serverContextOptions(settingsOf(service), tls, service.mtls.mode, ticketKeys);
}

export function serverTlsOptions(tls: McpFrontTls, service: McpServiceConfig, ticketKeys: Buffer): TlsOptions {
  return serverOptions(settingsOf(service), tls, {
    mode: service.mtls.mode,
    ticketKeys,
    handshakeTimeoutMs: service.limits.handshake_timeout,
    alpn: ['http/1.1'],
  });
}
