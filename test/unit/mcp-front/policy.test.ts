import { describe, expect, it } from 'vitest';
import { authorizationRule } from '../../../src/config/primitives.js';
import { ANONYMOUS, type PeerIdentity } from '../../../src/mcp-front/peer-identity.js';
import { createAuthorizer } from '../../../src/mcp-front/policy.js';

const identity = (over: Partial<PeerIdentity>): PeerIdentity => ({
  ...ANONYMOUS,
  authorized: true,
  authorizationError: undefined,
  fingerprint256: 'AA:BB',
  ...over,
  sans: { ...ANONYMOUS.sans, ...over.sans },
});

const rules = (raw: unknown[]) => raw.map((r) => authorizationRule.parse(r));

describe('createAuthorizer', () => {
  it('allows everything when the service has no rules', () => {
    const d = createAuthorizer('svc', []).forIdentity(identity({ cn: 'anyone' })).decide('tool', 'write_file');
    expect(d).toMatchObject({ allowed: true, permission: 'tool:write_file' });
  });

  it('denies a name no applicable rule allows and says what is allowed', () => {
    const policy = createAuthorizer('files', rules([{ identity: { cn: 'ci-bot' }, allow_tools: ['read_*', 'list_*'] }])).forIdentity(identity({ cn: 'ci-bot' }));
    expect(policy.decide('tool', 'read_file').allowed).toBe(true);
    const denied = policy.decide('tool', 'write_file');
    expect(denied.allowed).toBe(false);
    expect(denied.reason).toBe('agent "ci-bot" lacks permission tool:write_file on service "files" (allow_tools for this identity: read_*, list_*)');
  });

  it('denies an identity no rule matches', () => {
    const d = createAuthorizer('files', rules([{ identity: { cn: 'ci-bot' }, allow_tools: ['*'] }])).forIdentity(identity({ cn: 'other' })).decide('tool', 'read_file');
    expect(d.allowed).toBe(false);
    expect(d.reason).toMatch(/no authorization rule of service "files" matches this identity/);
  });

  it('lets a deny in any applicable rule win over an allow in another', () => {
    const authz = createAuthorizer('svc', rules([
      { identity: { ou: 'admins' }, allow_tools: ['*'] },
      { identity: { cn_pattern: 'alice|bob' }, deny_tools: ['delete_*'] },
    ]));
    const alice = authz.forIdentity(identity({ cn: 'alice', ou: ['admins'] }));
    expect(alice.decide('tool', 'write_file').allowed).toBe(true);
    expect(alice.decide('tool', 'delete_repo')).toMatchObject({ allowed: false, reason: expect.stringMatching(/deny_tools of authorization\[1\]/) });
    expect(authz.forIdentity(identity({ cn: 'carol', ou: ['admins'] })).decide('tool', 'delete_repo').allowed).toBe(true);
  });

  it('anchors cn_pattern to the whole CN', () => {
    const authz = createAuthorizer('svc', rules([{ identity: { cn_pattern: 'agent-[0-9]+' }, allow_tools: ['*'] }]));
    expect(authz.forIdentity(identity({ cn: 'agent-7' })).decide('tool', 'x').allowed).toBe(true);
    expect(authz.forIdentity(identity({ cn: 'evil-agent-7' })).decide('tool', 'x').allowed).toBe(false);
  });

  it('requires every key of an identity matcher to match', () => {
    const authz = createAuthorizer('svc', rules([{ identity: { cn: 'bot', uri_san: 'spiffe://corp/bot' }, allow_tools: ['*'] }]));
    expect(authz.forIdentity(identity({ cn: 'bot', sans: { dns: [], uri: ['spiffe://corp/bot'], ip: [], email: [] } })).decide('tool', 'x').allowed).toBe(true);
    expect(authz.forIdentity(identity({ cn: 'bot' })).decide('tool', 'x').allowed).toBe(false);
  });

  it('matches serials however they are written', () => {
    const authz = createAuthorizer('svc', rules([{ identity: { serial: '00:0A:FF' }, allow_tools: ['*'] }]));
    expect(authz.forIdentity(identity({ serial: '0aff' })).decide('tool', 'x').allowed).toBe(true);
  });

  it('matches resource URIs with globs; a lone * matches every URI', () => {
    const authz = createAuthorizer('svc', rules([
      { identity: { cn: 'reader' }, allow_resources: ['file:///srv/data/**'], deny_resources: ['file:///srv/data/secret/*'] },
      { identity: { cn: 'root' }, allow_resources: ['*'] },
    ]));
    const reader = authz.forIdentity(identity({ cn: 'reader' }));
    expect(reader.decide('resource', 'file:///srv/data/a/b.txt').allowed).toBe(true);
    expect(reader.decide('resource', 'file:///srv/data/secret/key').allowed).toBe(false);
    expect(reader.decide('resource', 'file:///etc/passwd').allowed).toBe(false);
    expect(reader.decide('tool', 'anything').allowed).toBe(false); // resources granted, tools not
    expect(authz.forIdentity(identity({ cn: 'root' })).decide('resource', 'file:///etc/passwd').allowed).toBe(true);
  });

  it('gives an anonymous agent nothing when rules exist', () => {
    expect(createAuthorizer('svc', rules([{ identity: { cn: 'x' }, allow_tools: ['*'] }])).forIdentity(ANONYMOUS).decide('tool', 'x').allowed).toBe(false);
  });
});
