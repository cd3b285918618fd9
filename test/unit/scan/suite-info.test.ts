import { describe, expect, it } from 'vitest';
import { legacySuiteCandidates, suiteTraits } from '../../../src/scan/suite-info.js';
import { ephemeralStrength } from '../../../src/scan/grade.js';

describe('suite traits', () => {
  it.each([
    ['TLS_AES_128_GCM_SHA256', 'TLSv1.3', { forwardSecrecy: true, aead: true, bits: 128, weak: null }],
    ['TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'TLSv1.2', { forwardSecrecy: true, aead: true, bits: 256, weak: null }],
    ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'TLSv1.2', { forwardSecrecy: true, aead: false, bits: 128, weak: 'CBC with SHA-1' }],
    ['TLS_RSA_WITH_AES_128_GCM_SHA256', 'TLSv1.2', { forwardSecrecy: false, aead: true, weak: null }],
    ['TLS_RSA_WITH_NULL_SHA256', 'TLSv1.2', { bits: 0, weak: 'NULL encryption' }],
    ['TLS_DH_anon_WITH_AES_128_CBC_SHA', 'TLSv1.2', { anonymous: true, weak: 'anonymous key exchange (no server authentication)' }],
    ['TLS_RSA_WITH_RC4_128_SHA', 'TLSv1.2', { weak: 'RC4' }],
    ['TLS_RSA_WITH_3DES_EDE_CBC_SHA', 'TLSv1.2', { bits: 112, weak: '3DES (64-bit block, Sweet32)' }],
    ['TLS_RSA_EXPORT_WITH_DES40_CBC_SHA', 'TLSv1', { bits: 40, weak: 'export-grade' }],
    ['ECDHE-RSA-AES128-SHA', 'TLSv1', { forwardSecrecy: true, weak: 'CBC with SHA-1' }],
  ])('%s', (name, protocol, expected) => {
    expect(suiteTraits(name, protocol)).toMatchObject(expected);
  });

  it('leaves TLS 1.2-only suites out of the TLS 1.0 candidates', () => {
    const v10 = legacySuiteCandidates('TLSv1');
    expect(v10).toContain('ECDHE-RSA-AES128-SHA');
    expect(v10.some((c) => /GCM|SHA256|CHACHA/.test(c))).toBe(false);
    expect(legacySuiteCandidates('TLSv1.2')).toContain('ECDHE-RSA-AES128-GCM-SHA256');
  });

  it('maps ephemeral keys to RSA-equivalent strength', () => {
    expect(ephemeralStrength('X25519 253')).toBe(3072);
    expect(ephemeralStrength('DH 1024')).toBe(1024);
    expect(ephemeralStrength('secp384r1 384')).toBe(7680);
  });
});
