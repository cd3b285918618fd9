import type { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compileAdmission, compileIdentityPolicy } from '../../../src/core/admission.js';
import { compileRules } from '../../../src/core/authorization.js';
import type { PeerIdentity } from '../../../src/core/identity.js';
import { compileAnyOf, compilePattern } from '../../../src/core/match.js';
import { authorizationRule } from '../../../src/config/primitives.js';

const id = (over: Partial<PeerIdentity>): PeerIdentity => ({
  cn: 'api', o: [], ou: [], dns: [], uri: [], ip: [], email: [], serial: '01', fingerprint256: 'AA', notBefore: 0, notAfter: Date.now() + 86_400_000, cert: {} as X509Certificate, ...over,
});

describe('core wildcard grammar', () => {
  it('* stays within one segment, ** crosses, a lone * matches everything', () => {
    expect(compilePattern('spiffe://example.org/ns/*', 'uri')('spiffe://example.org/ns/prod')).toBe(true);
    expect(compilePattern('spiffe://example.org/ns/*', 'uri')('spiffe://example.org/ns/prod/web')).toBe(false);
    expect(compilePattern('spiffe://example.org/ns/**', 'uri')('spiffe://example.org/ns/prod/web')).toBe(true);
    expect(compilePattern('*.prod.internal', 'dns')('API.prod.internal')).toBe(true);
    expect(compilePattern('*.prod.internal', 'dns')('a.b.prod.internal')).toBe(false);
    expect(compilePattern('read_*', 'name')('read_file')).toBe(true);
    expect(compilePattern('*', 'uri')('file:///etc/passwd')).toBe(true);
  });

  it('treats regex characters in patterns literally', () => {
    expect(compileAnyOf(['a.b', 'x+y'], 'name')('axb')).toBe(false);
    expect(compileAnyOf(['a.b', 'x+y'], 'name')('x+y')).toBe(true);
  });
});

describe('core admission (mtls.*)', () => {
  const admit = (mtls: Parameters<typeof compileIdentityPolicy>[0]) => compileIdentityPolicy(mtls);

  it('required_cn_pattern must match the whole CN (changed: TCP services matched a substring)', () => {
    const policy = admit({ mode: 'required', required_cn_pattern: 'web' });
    expect(policy(id({ cn: 'web' }))).toBeUndefined();
    expect(policy(id({ cn: 'notweb-evil' }))).toMatchObject({ reason: 'policy', rule: 'mtls.required_cn_pattern' });
  });

  it('names the rule that refused and needs every rule to pass', () => {
    const policy = admit({ mode: 'required', allowed_services: ['api'], allowed_organizations: ['acme'] });
    expect(policy(id({ cn: 'api', o: ['acme'] }))).toBeUndefined();
    expect(policy(id({ cn: 'web', o: ['acme'] }))?.rule).toBe('mtls.allowed_services');
    expect(policy(id({ cn: 'api', o: ['evil'] }))?.rule).toBe('mtls.allowed_organizations');
  });

  it('checks revocation and the dates of a resumed session before the identity rules', () => {
    const a = compileAdmission({ mode: 'required' }, { isRevoked: (s) => s === '0bad' });
    expect(a({ identity: undefined, authorized: false, resumed: false })).toMatchObject({ reason: 'no_certificate' });
    expect(a({ identity: id({}), authorized: false, authorizationError: 'CERT_HAS_EXPIRED', resumed: false })).toMatchObject({ reason: 'expired' });
    expect(a({ identity: id({ serial: '0bad' }), authorized: true, resumed: false })).toMatchObject({ reason: 'revoked' });
    expect(a({ identity: id({ notAfter: Date.now() - 1 }), authorized: true, resumed: true })).toMatchObject({ reason: 'expired' });
    expect(a({ identity: id({}), authorized: true, resumed: true })).toBeUndefined();
    expect(compileAdmission({ mode: 'optional' }, { isRevoked: () => false })({ identity: undefined, authorized: false, resumed: false })).toBeUndefined();
  });
});

describe('core rule engine (authorization)', () => {
  const rules = (raw: unknown[]) => raw.map((r) => authorizationRule.parse(r));
  const who = (over: Partial<PeerIdentity>) => id(over);

  it('deny wins, then allow, then the listener default (deny unless passed otherwise)', () => {
    const engine = compileRules(rules([
      { identity: { ou: 'admins' }, allow_tools: ['*'], allow_prompts: ['summarize'] },
      { identity: { cn_pattern: 'alice|bob' }, deny_tools: ['delete_*'], deny_prompts: ['secret_*'] },
    ]));
    const alice = engine.forIdentity(who({ cn: 'alice', ou: ['admins'] }));
    expect(alice.decide('tool', 'write_file')).toMatchObject({ allowed: true, by: 'allow', rule: 0 });
    expect(alice.decide('tool', 'delete_repo')).toMatchObject({ allowed: false, by: 'deny', rule: 1 });
    expect(alice.decide('prompt', 'summarize').allowed).toBe(true);
    expect(alice.decide('prompt', 'secret_plan').allowed).toBe(false);
    expect(alice.decide('resource', 'x://y')).toMatchObject({ allowed: false, by: 'default' });
    expect(alice.decide('resource', 'x://y', true)).toMatchObject({ allowed: true, by: 'default' });
  });

  it('uri_san and dns_san use the same wildcards as mtls.allowed_* (changed: exact in services, any-run glob in mcp.authorization)', () => {
    const engine = compileRules(rules([{ identity: { uri_san: 'spiffe://example.org/ns/prod/*' }, allow_tools: ['*'] }]));
    expect(engine.forIdentity(who({ uri: ['spiffe://example.org/ns/prod/web'] })).decide('tool', 'x').allowed).toBe(true);
    expect(engine.forIdentity(who({ uri: ['spiffe://example.org/ns/prod/web/extra'] })).decide('tool', 'x').allowed).toBe(false);
  });

  it('refuses an identity matcher with no fields at config load', () => {
    expect(authorizationRule.safeParse({ identity: {}, allow_tools: ['*'] }).success).toBe(false);
  });
});
