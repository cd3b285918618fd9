/** tls_profile: fips in the one TLS options builder, and in the config (suites may only narrow it). */
import { createSecureContext } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { serverContextOptions, versionOptions } from '../../../src/core/tls-options.js';
import { FIPS_GROUPS } from '../../../src/core/tls-profile.js';

describe('tls_profile: fips', () => {
  it('sets AES-GCM suites only, P-256/P-384, FIPS signature algorithms and security level 2', () => {
    const o = versionOptions({ protocol: 'tls12', tls_profile: 'fips' });
    expect(o.minVersion).toBe('TLSv1.2');
    expect(o.ecdhCurve).toBe(FIPS_GROUPS);
    expect(o.ecdhCurve).not.toMatch(/X25519|X448/);
    expect(o.sigalgs).not.toMatch(/sha1|ed25519|ed448/i);
    expect(o.ciphers).toContain('@SECLEVEL=2');
    for (const suite of o.ciphers!.split(':').filter((s) => !s.startsWith('@'))) expect(suite).toMatch(/GCM/);
    // Node/OpenSSL accept every name in it.
    expect(() => createSecureContext(o)).not.toThrow();
  });

  it('lets ciphersuites narrow it and leaves the default profile untouched', () => {
    expect(versionOptions({ protocol: 'tls13', tls_profile: 'fips', ciphersuites: 'TLS_AES_256_GCM_SHA384' }).ciphers).toMatch(/^TLS_AES_256_GCM_SHA384:ECDHE-/);
    const plain = serverContextOptions({ protocol: 'tls13' }, { certPem: 'c', keyPem: 'k', caPems: [] }, 'required', Buffer.alloc(48));
    expect(plain).not.toHaveProperty('ecdhCurve');
    expect(plain).not.toHaveProperty('sigalgs');
  });

  it('the config refuses a non-approved suite under tls_profile: fips, naming the key', () => {
    const svc = (listen: object) => ({ services: [{ name: 'a', listen: { address: '127.0.0.1:0', ...listen }, backend: '127.0.0.1:1' }] });
    expect(() => parseConfig(svc({ tls_profile: 'fips', ciphersuites: 'TLS_CHACHA20_POLY1305_SHA256' }))).toThrow(/ciphersuites.*TLS_CHACHA20_POLY1305_SHA256 not FIPS-approved/s);
    expect(() => parseConfig(svc({ tls_profile: 'fips', protocol: 'tls12', ciphers: 'ECDHE-RSA-AES128-SHA' }))).toThrow(/ECDHE-RSA-AES128-SHA not FIPS-approved/);
    expect(parseConfig(svc({ tls_profile: 'fips', ciphersuites: 'TLS_AES_128_GCM_SHA256' })).services[0]!.listen.tls_profile).toBe('fips');
    expect(parseConfig({ fips_mode: true }).fips_mode).toBe(true);
    expect(parseConfig({}).fips_mode).toBe(false);
  });
});
