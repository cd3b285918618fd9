/**
 * TLS settings for a listener or a client-mode dial, from the worker spec and
 * the certificate material. One place decides versions, suites and
 * client-certificate demands, so reloads and first starts agree.
 */
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import type { TlsMaterial, WorkerSpec } from '../supervisor/messages.js';

/** TLS 1.3 only unless the service asks for 1.2 as its floor. */
export function versionOptions(spec: Pick<WorkerSpec, 'protocol' | 'ciphers' | 'ciphersuites'>): SecureContextOptions {
  const options: SecureContextOptions = {
    minVersion: spec.protocol === 'tls12' ? 'TLSv1.2' : 'TLSv1.3',
    maxVersion: 'TLSv1.3',
  };
  // Node takes TLS 1.2 and 1.3 suites in one list; OpenSSL tells them apart by name.
  const suites = [spec.ciphersuites, spec.ciphers].filter(Boolean).join(':');
  if (suites) options.ciphers = suites;
  return options;
}

/**
 * The secure-context part of a server's options: swapped whole by
 * `setSecureContext` on reload. `ticketKeys` stay the same across reloads so
 * clients keep resuming sessions through a certificate swap.
 */
export function serverContextOptions(spec: WorkerSpec, material: TlsMaterial, ticketKeys: Buffer): TlsOptions {
  return {
    ...versionOptions(spec),
    cert: material.certPem,
    key: material.keyPem,
    ...(spec.mtls.mode === 'disabled' ? {} : { ca: material.caPems }),
    ticketKeys,
    // One hour: long enough for resumption to pay off, short enough that a
    // trust change (reload) is not outlived by old sessions for long.
    sessionTimeout: 3600,
  };
}

/**
 * Client certificates: `required` and `optional` ask for one. We never let
 * Node reject on its own (`rejectUnauthorized: false`): the listener checks
 * `authorized` itself right after the handshake, so every refusal is logged
 * with its reason and the peer, and no backend is dialled for it.
 */
export function clientCertOptions(spec: WorkerSpec): { requestCert: boolean; rejectUnauthorized: boolean } {
  return { requestCert: spec.mtls.mode !== 'disabled', rejectUnauthorized: false };
}
