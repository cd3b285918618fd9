/**
 * What a cipher suite's name says about it: forward secrecy, AEAD, key bits and
 * whether it is one of the known-weak families. Works on IANA names
 * (TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA) and on OpenSSL names (ECDHE-RSA-AES128-SHA)
 * by normalising both to one upper-case token string.
 */
import tls from 'node:tls';

export interface SuiteTraits {
  forwardSecrecy: boolean;
  aead: boolean;
  bits: number;
  anonymous: boolean;
  /** The first weakness found, or null. */
  weak: string | null;
}

/** TLS 1.3 suites tried one at a time (the three every TLS 1.3 stack enables). */
export const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] as const;

/**
 * Legacy suites this OpenSSL can still offer at SECLEVEL=0 although Node's
 * tls.getCiphers() omits them: anonymous, NULL-encryption and Camellia suites.
 */
const EXTRA_OPENSSL_SUITES = [
  'ADH-AES128-SHA',
  'ADH-AES256-SHA',
  'ADH-AES128-GCM-SHA256',
  'ADH-AES256-GCM-SHA384',
  'AECDH-AES128-SHA',
  'AECDH-AES256-SHA',
  'AECDH-NULL-SHA',
  'NULL-SHA',
  'NULL-SHA256',
  'NULL-MD5',
  'ECDHE-RSA-NULL-SHA',
  'ECDHE-ECDSA-NULL-SHA',
  'CAMELLIA128-SHA',
  'CAMELLIA256-SHA',
  'DHE-RSA-CAMELLIA128-SHA',
  'DHE-RSA-CAMELLIA256-SHA',
];

/**
 * The suites this OpenSSL cannot offer at all, so a scan cannot see whether a
 * server accepts them (it would take a hand-built ClientHello).
 */
export const UNTESTABLE_SUITE_FAMILIES = ['RC4', '3DES', 'DES', 'EXPORT'] as const;

/** Suites only defined for TLS 1.2 (AEAD modes and SHA-2 MACs). */
function tls12Only(opensslName: string): boolean {
  return /GCM|CHACHA20|CCM|SHA256|SHA384/.test(opensslName);
}

/** OpenSSL suite names to try, one per handshake, for a TLS <= 1.2 version. */
export function legacySuiteCandidates(version: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2'): string[] {
  const fromNode = tls
    .getCiphers()
    .filter((c) => !c.startsWith('tls_') && !/psk|srp/.test(c))
    .map((c) => c.toUpperCase());
  const all = [...new Set([...fromNode, ...EXTRA_OPENSSL_SUITES])].sort();
  return version === 'TLSv1.2' ? all : all.filter((c) => !tls12Only(c));
}

function tokens(name: string): string {
  return `_${name.toUpperCase().replace(/-/g, '_')}_`;
}

/** Classifies a suite by name. `protocol` decides TLS 1.3 (always FS + AEAD). */
export function suiteTraits(name: string, protocol: string): SuiteTraits {
  const t = tokens(name);
  const tls13 = protocol === 'TLSv1.3' || /^_TLS_(AES|CHACHA20)/.test(t);
  const anonymous = /_(ADH|AECDH|ANON)_|_DH_ANON_|_ECDH_ANON_/.test(t);
  const forwardSecrecy = tls13 || /_(ECDHE|DHE|EDH|ADH|AECDH)_|_DH_ANON_|_ECDH_ANON_/.test(t);
  const aead = tls13 || /_(GCM|CHACHA20|POLY1305|CCM|CCM8)_/.test(t);
  const nullCipher = /_NULL_/.test(t);
  let bits = 128;
  if (nullCipher) bits = 0;
  else if (/_(AES_?256|CHACHA20|CAMELLIA_?256|ARIA_?256)/.test(t)) bits = 256;
  else if (/_(3DES|DES_CBC3|DES_EDE)/.test(t)) bits = 112;
  else if (/_EXPORT|_EXP_|_40_/.test(t)) bits = 40;
  else if (/_DES_/.test(t)) bits = 56;
  let weak: string | null = null;
  if (nullCipher) weak = 'NULL encryption';
  else if (anonymous) weak = 'anonymous key exchange (no server authentication)';
  else if (/_EXPORT|_EXP_/.test(t)) weak = 'export-grade';
  else if (/_RC4/.test(t)) weak = 'RC4';
  else if (/_(3DES|DES_CBC3|DES_EDE)/.test(t)) weak = '3DES (64-bit block, Sweet32)';
  else if (/_DES_/.test(t)) weak = 'single DES';
  else if (!aead && /_(MD5)_$/.test(t)) weak = 'MD5 MAC';
  else if (!aead && /_SHA_$/.test(t)) weak = 'CBC with SHA-1';
  return { forwardSecrecy, aead, bits, anonymous, weak };
}
