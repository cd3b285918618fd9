/**
 * One table of identity and policy cases, run against the three listener kinds
 * (TCP service, MCP front service, remote MCP listener): each must give the
 * same verdict, because one core (src/core) decides for all of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssueResult } from '../../src/ca/types.js';
import { parseConfig } from '../../src/config/load.js';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { LISTENER_KINDS, startCoreListeners, type CoreListeners, type Verdict } from '../helpers/core-listeners.js';

interface Case {
  name: string;
  cert: (pki: TestPki, other: TestPki) => Promise<IssueResult | undefined>;
  expect: Verdict;
}

interface Group {
  policy: string;
  mtls: Record<string, unknown>;
  cases: Case[];
}

const SPIFFE = 'spiffe://example.org';

const GROUPS: Group[] = [
  {
    policy: 'required_cn_pattern "web" (a full match everywhere)',
    mtls: { required_cn_pattern: 'web' },
    cases: [
      { name: 'CN web', cert: (p) => p.client('web'), expect: 'accepted' },
      { name: 'CN notweb-evil (was let through on TCP services)', cert: (p) => p.client('notweb-evil'), expect: 'refused' },
      { name: 'CN web-2 (prefix only)', cert: (p) => p.client('web-2'), expect: 'refused' },
      { name: 'no client certificate', cert: async () => undefined, expect: 'refused' },
      { name: 'expired CN web', cert: (p) => p.expiredClient('web'), expect: 'refused' },
      { name: 'not yet valid CN web', cert: (p) => p.futureClient('web'), expect: 'refused' },
      { name: 'revoked CN web', cert: (p) => p.client('web', { service: 'revoked' }), expect: 'refused' },
      { name: 'CN web from another CA', cert: (_p, o) => o.client('web'), expect: 'refused' },
      { name: 'serverAuth-only certificate with CN web', cert: (p) => p.server({ cn: 'web' }), expect: 'refused' },
    ],
  },
  {
    policy: `allowed_uri_sans ["${SPIFFE}/ns/**"] (SPIFFE wildcard)`,
    mtls: { allowed_uri_sans: [`${SPIFFE}/ns/**`] },
    cases: [
      { name: `${SPIFFE}/ns/prod/web`, cert: (p) => p.client('a', { uri: [`${SPIFFE}/ns/prod/web`] }), expect: 'accepted' },
      { name: `${SPIFFE}/other/x`, cert: (p) => p.client('b', { uri: [`${SPIFFE}/other/x`] }), expect: 'refused' },
      { name: 'a quoted URI SAN holding a comma', cert: (p) => p.client('c', { uri: [`${SPIFFE}/ns/a,b"c`] }), expect: 'accepted' },
      { name: 'no URI SAN', cert: (p) => p.client('d'), expect: 'refused' },
    ],
  },
  {
    policy: 'allowed_uri_sans with * (one segment)',
    mtls: { allowed_uri_sans: [`${SPIFFE}/ns/prod/*`] },
    cases: [
      { name: `${SPIFFE}/ns/prod/web`, cert: (p) => p.client('e', { uri: [`${SPIFFE}/ns/prod/web`] }), expect: 'accepted' },
      { name: `${SPIFFE}/ns/prod/web/extra (two segments)`, cert: (p) => p.client('f', { uri: [`${SPIFFE}/ns/prod/web/extra`] }), expect: 'refused' },
    ],
  },
  {
    policy: 'allowed_organizations ["acme"] and allowed_ous ["eng"]',
    mtls: { allowed_organizations: ['acme'], allowed_ous: ['eng'] },
    cases: [
      { name: 'O acme, OU eng', cert: (p) => p.client('g', { o: 'acme', ou: 'eng' }), expect: 'accepted' },
      { name: 'O evil, OU eng', cert: (p) => p.client('h', { o: 'evil', ou: 'eng' }), expect: 'refused' },
      { name: 'O acme, OU ops', cert: (p) => p.client('i', { o: 'acme', ou: 'ops' }), expect: 'refused' },
    ],
  },
  {
    policy: 'allowed_dns_sans ["*.prod.internal"]',
    mtls: { allowed_dns_sans: ['*.prod.internal'] },
    cases: [
      { name: 'DNS SAN api.prod.internal', cert: (p) => p.client('j', { dns: ['api.prod.internal'] }), expect: 'accepted' },
      { name: 'DNS SAN API.PROD.internal (case-insensitive)', cert: (p) => p.client('k', { dns: ['API.PROD.internal'] }), expect: 'accepted' },
      { name: 'DNS SAN a.b.prod.internal (two labels)', cert: (p) => p.client('l', { dns: ['a.b.prod.internal'] }), expect: 'refused' },
    ],
  },
  {
    policy: 'allowed_services ["api"]',
    mtls: { allowed_services: ['api'] },
    cases: [
      { name: 'CN api', cert: (p) => p.client('api'), expect: 'accepted' },
      { name: 'CN api2', cert: (p) => p.client('api2'), expect: 'refused' },
    ],
  },
];

describe('one core: the same verdict from a TCP service, an MCP front service and the remote MCP listener', () => {
  let pki: TestPki;
  let other: TestPki;
  beforeAll(async () => {
    pki = await createTestPki();
    other = await createTestPki();
  });
  afterAll(() => {
    pki?.cleanup();
    other?.cleanup();
  });

  it('has at least 20 identity and policy cases', () => {
    expect(GROUPS.reduce((n, g) => n + g.cases.length, 0) + 1).toBeGreaterThanOrEqual(20);
  });

  for (const group of GROUPS) {
    describe(group.policy, () => {
      let listeners: CoreListeners;
      const certs = new Map<string, IssueResult | undefined>();
      beforeAll(async () => {
        for (const c of group.cases) certs.set(c.name, await c.cert(pki, other));
        const revoked: string[] = [];
        for (const c of group.cases) {
          const cert = certs.get(c.name);
          if (cert?.record.service === 'revoked') {
            await pki.ca.revoke(cert.record.id);
            revoked.push(cert.record.serial);
          }
        }
        listeners = await startCoreListeners(pki, group.mtls, revoked);
      }, 60_000);
      afterAll(async () => listeners?.close());

      for (const c of group.cases) {
        it(`${c.name}: ${c.expect} by all three`, async () => {
          const cert = certs.get(c.name);
          const before = listeners.backendConnections();
          const verdicts = Object.fromEntries(await Promise.all(LISTENER_KINDS.map(async (k) => [k, await listeners.verdict(k, cert)] as const)));
          expect(verdicts).toEqual({ tcp: c.expect, 'mcp-front': c.expect, 'mcp-remote': c.expect });
          // A refused client never reaches the TCP backend.
          if (c.expect === 'refused') expect(listeners.backendConnections()).toBe(before);
        });
      }
    });
  }

  it('an identity matcher with no fields is refused at config load, for services and for mcp.authorization alike', () => {
    expect(() => parseConfig({ services: [{ name: 'f', listen: '127.0.0.1:0', protocol: 'mcp', backend: { url: 'http://127.0.0.1:1/mcp' }, authorization: [{ identity: {}, allow_tools: ['*'] }] }] }, 't')).toThrow(/identity/);
    expect(() => parseConfig({ mcp: { authorization: [{ identity: {}, allow_tools: ['*'] }] } }, 't')).toThrow(/identity/);
  });
});
