/**
 * `tls_profile: fips`: the FIPS-approved subset of TLS that a listener (and a
 * client-mode dial) may offer, whatever OpenSSL provider runs it (NIST SP
 * 800-52r2): TLS 1.2/1.3, AES-GCM suites with SHA-256/384, ECDHE on P-256 and
 * P-384 only (no X25519), ECDSA and RSA (>= 2048 bits, OpenSSL security level
 * 2) signatures with SHA-256/384. No ChaCha20, no CBC, no SHA-1.
 */
export type TlsProfile = 'default' | 'fips';

export const FIPS_TLS13_SUITES = ['TLS_AES_256_GCM_SHA384', 'TLS_AES_128_GCM_SHA256'] as const;

export const FIPS_TLS12_CIPHERS = ['ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES128-GCM-SHA256'] as const;

export const FIPS_GROUPS = 'P-256:P-384';

export const FIPS_SIGALGS = ['ecdsa_secp256r1_sha256', 'ecdsa_secp384r1_sha384', 'rsa_pss_rsae_sha256', 'rsa_pss_rsae_sha384', 'rsa_pkcs1_sha256', 'rsa_pkcs1_sha384'].join(':');

/** RSA and DH keys under 2048 bits, ECC under 224, SHA-1 signatures are refused. */
export const FIPS_SECURITY_LEVEL = '@SECLEVEL=2';

/** Suites a `tls_profile: fips` listener may not name in ciphers/ciphersuites: they may only narrow the approved lists. */
export function fipsSuiteProblems(listen: { ciphers?: string | undefined; ciphersuites?: string | undefined }): { key: 'ciphers' | 'ciphersuites'; message: string }[] {
  const problems: { key: 'ciphers' | 'ciphersuites'; message: string }[] = [];
  const check = (key: 'ciphers' | 'ciphersuites', value: string | undefined, allowed: readonly string[]) => {
    const bad = (value ?? '').split(':').filter((name) => name && !allowed.includes(name));
    if (bad.length) problems.push({ key, message: `${bad.join(', ')} not FIPS-approved under tls_profile: fips (allowed: ${allowed.join(', ')})` });
  };
  check('ciphers', listen.ciphers, FIPS_TLS12_CIPHERS);
  check('ciphersuites', listen.ciphersuites, FIPS_TLS13_SUITES);
  return problems;
}
