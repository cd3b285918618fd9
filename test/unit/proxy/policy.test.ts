import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../../src/proxy/policy.js';
import type { PeerIdentity } from '../../../src/proxy/identity.js';

const id = (over: Partial<PeerIdentity>): PeerIdentity => ({ cn: 'api', o: [], ou: [], dns: [], uri: [], ip: [], serial: '01', cert: {} as X509Certificate, ...over });

describe('compilePolicy', () => {
  it('allows any validated certificate when no rule is set', () => {
    expect(compilePolicy({ mode: 'required' })(id({}))).toBeUndefined();
  });

  it('names the rule that refused, and needs every rule to pass', () => {
    const policy = compilePolicy({ mode: 'required', allowed_services: ['api'], allowed_organizations: ['acme'] });
    expect(policy(id({ cn: 'api', o: ['acme'] }))).toBeUndefined();
    expect(policy(id({ cn: 'web', o: ['acme'] }))?.rule).toBe('mtls.allowed_services');
    expect(policy(id({ cn: 'api', o: ['evil'] }))?.rule).toBe('mtls.allowed_organizations');
    expect(policy(id({ cn: undefined, o: ['acme'] }))?.rule).toBe('mtls.allowed_services');
  });

  it('matches the CN regex as written', () => {
    const policy = compilePolicy({ mode: 'required', required_cn_pattern: '^svc-[a-z]+$' });
    expect(policy(id({ cn: 'svc-api' }))).toBeUndefined();
    expect(policy(id({ cn: 'svc-API' }))?.detail).toContain('does not match');
  });

  it('DNS SAN wildcards cover exactly one label, case-insensitively', () => {
    const policy = compilePolicy({ mode: 'required', allowed_dns_sans: ['*.prod.internal', 'exact.example'] });
    expect(policy(id({ dns: ['API.prod.internal'] }))).toBeUndefined();
    expect(policy(id({ dns: ['exact.example'] }))).toBeUndefined();
    expect(policy(id({ dns: ['a.b.prod.internal'] }))?.rule).toBe('mtls.allowed_dns_sans');
    expect(policy(id({ dns: ['prod.internal'] }))?.rule).toBe('mtls.allowed_dns_sans');
    expect(policy(id({ dns: [] }))?.detail).toContain('none');
  });

  it('URI SANs match exactly or by a trailing-* prefix (SPIFFE IDs)', () => {
    const policy = compilePolicy({ mode: 'required', allowed_uri_sans: ['spiffe://example.org/ns/prod/*', 'spiffe://example.org/ns/dev/sa/ci'] });
    expect(policy(id({ uri: ['spiffe://example.org/ns/prod/sa/api'] }))).toBeUndefined();
    expect(policy(id({ uri: ['spiffe://example.org/ns/dev/sa/ci'] }))).toBeUndefined();
    expect(policy(id({ uri: ['spiffe://example.org/ns/dev/sa/api'] }))?.rule).toBe('mtls.allowed_uri_sans');
  });

  it('OU: any of the certificate OUs may match', () => {
    const policy = compilePolicy({ mode: 'required', allowed_ous: ['payments'] });
    expect(policy(id({ ou: ['eng', 'payments'] }))).toBeUndefined();
    expect(policy(id({ ou: ['eng'] }))?.rule).toBe('mtls.allowed_ous');
  });
});
