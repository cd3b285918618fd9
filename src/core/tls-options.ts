/**
 * The TLS settings of every listener and every outgoing mTLS dial, built in one
 * place: protocol floor (TLS 1.3 unless a service asks for 1.2), suites, trust
 * anchors and CRLs, session tickets and client-certificate demands.
 *
 * Client certificates: `required` has OpenSSL verify the chain in the handshake
 * (a client without one gets the `certificate_required` alert, so scanners and
 * clients see it is required); `optional` requests one and lets the listener
 * judge it. Either way every listener then runs ./admission.ts (validity of a
 * resumed session, revocation, the `mtls.*` identity rules), and a handshake
 * refusal is named with the same reasons (`refusalFromHandshakeError`).
 * Client-initiated renegotiation is refused outright (TLS 1.2 listeners).
 * `tls_profile: fips` narrows suites, groups and signature algorithms to the
 * FIPS-approved ones (./tls-profile.ts).
 */
import { constants, randomBytes } from 'node:crypto';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import { withIssuerChain } from './server-chain.js';
import { FIPS_GROUPS, FIPS_SECURITY_LEVEL, FIPS_SIGALGS, FIPS_TLS12_CIPHERS, FIPS_TLS13_SUITES, type TlsProfile } from './tls-profile.js';

export interface TlsSettings {
  protocol: 'tls13' | 'tls12';
  /** OpenSSL cipher list (TLS 1.2 suites). */
  ciphers?: string | undefined;
  /** TLS 1.3 suites. */
  ciphersuites?: string | undefined;
  /** `fips`: FIPS-approved suites, groups and signature algorithms only (./tls-profile.ts); ciphers/ciphersuites narrow it. */
  tls_profile?: TlsProfile | undefined;
}

export interface TlsMaterialPems {
  certPem: string;
  keyPem: string;
  /** Trust anchors: client CAs for a listener, the remote's CA for a dial. */
  caPems: string[];
  /** CRLs checked in the handshake (e.g. those of trusted_roots). */
  crlPems?: string[] | undefined;
}

export type MtlsMode = 'required' | 'optional' | 'disabled';

/** One hour: long enough for resumption to pay off, short enough that a trust change is not outlived for long. */
export const SESSION_TIMEOUT_S = 3600;

/** Fresh session-ticket keys; a listener keeps them across reloads and renews them when its trust anchors change. */
export function newTicketKeys(): Buffer {
  return randomBytes(48);
}

export function versionOptions(settings: TlsSettings): SecureContextOptions {
  const options: SecureContextOptions = {
    minVersion: settings.protocol === 'tls12' ? 'TLSv1.2' : 'TLSv1.3',
    maxVersion: 'TLSv1.3',
  };
  if (settings.tls_profile === 'fips') {
    const suites = [settings.ciphersuites ?? FIPS_TLS13_SUITES.join(':'), settings.ciphers ?? FIPS_TLS12_CIPHERS.join(':'), FIPS_SECURITY_LEVEL];
    return { ...options, ciphers: suites.join(':'), ecdhCurve: FIPS_GROUPS, sigalgs: FIPS_SIGALGS };
  }
  // Node takes TLS 1.2 and 1.3 suites in one list; OpenSSL tells them apart by name.
  const suites = [settings.ciphersuites, settings.ciphers].filter(Boolean).join(':');
  if (suites) options.ciphers = suites;
  return options;
}

/** The secure-context part of a listener's options: what `setSecureContext` swaps on reload. */
export function serverContextOptions(settings: TlsSettings, material: TlsMaterialPems, mode: MtlsMode, ticketKeys: Buffer): SecureContextOptions {
  return {
    ...versionOptions(settings),
    // The chain OpenSSL would otherwise build again in every handshake (./server-chain.ts).
    cert: mode !== 'disabled' ? withIssuerChain(material.certPem, material.caPems) : material.certPem,
    key: material.keyPem,
    ...(mode !== 'disabled' && material.caPems.length ? { ca: material.caPems } : {}),
    ...(mode !== 'disabled' && material.crlPems?.length ? { crl: material.crlPems } : {}),
    ticketKeys,
    sessionTimeout: SESSION_TIMEOUT_S,
    // TLS 1.2: no client-initiated renegotiation (a cheap way to make the server do handshake work).
    secureOptions: constants.SSL_OP_NO_RENEGOTIATION,
  };
}

/** Everything a listener is created with. */
export function serverOptions(
  settings: TlsSettings,
  material: TlsMaterialPems,
  options: { mode: MtlsMode; ticketKeys: Buffer; handshakeTimeoutMs: number; alpn?: string[] | undefined },
): TlsOptions {
  return {
    ...serverContextOptions(settings, material, options.mode, options.ticketKeys),
    ...clientCertOptions(options.mode),
    handshakeTimeout: options.handshakeTimeoutMs,
    ...(options.alpn ? { ALPNProtocols: options.alpn } : {}),
  };
}

/** Read by tls.Server for each new connection; a reload may change them. */
export function clientCertOptions(mode: MtlsMode): { requestCert: boolean; rejectUnauthorized: boolean } {
  return { requestCert: mode !== 'disabled', rejectUnauthorized: mode === 'required' };
}

/** An outgoing mTLS dial (client mode): our certificate, and the CA the remote's must chain to. */
export function clientContextOptions(settings: TlsSettings, material: TlsMaterialPems): SecureContextOptions {
  return { ...versionOptions(settings), cert: withIssuerChain(material.certPem, material.caPems), key: material.keyPem, ca: material.caPems };
}
