/**
 * withIssuerChain: the chain OpenSSL would build for our certificate from the trust
 * anchors, computed once. A three-level PKI made with the openssl CLI (root,
 * intermediate, leaf), plus a stranger's root.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withIssuerChain } from '../../../src/core/server-chain.js';
import { makeOpensslChain } from '../../helpers/openssl-chain.js';

let dir: string;
const pem: Record<'root' | 'inter' | 'leaf' | 'stranger', string> = { root: '', inter: '', leaf: '', stranger: '' };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tlsmcp-chain-'));
  const chain = makeOpensslChain(dir, 'localhost');
  Object.assign(pem, { root: chain.root, inter: chain.inter, leaf: chain.leaf, stranger: makeOpensslChain(dir, 'stranger').root });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const blocks = (s: string) => s.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((b) => b.replace(/\s+/g, '')) ?? [];

describe('withIssuerChain', () => {
  it('appends each issuer up to the self-signed root, found in any order across bundles', () => {
    const out = withIssuerChain(pem.leaf, [pem.stranger, `${pem.root}${pem.inter}`]);
    expect(blocks(out)).toEqual(blocks(`${pem.leaf}${pem.inter}${pem.root}`));
  });

  it('stops where the trust anchors stop (an intermediate trusted without its root)', () => {
    expect(blocks(withIssuerChain(pem.leaf, [pem.inter]))).toEqual(blocks(`${pem.leaf}${pem.inter}`));
  });

  it('leaves a certificate alone whose issuer is not a trust anchor', () => {
    expect(withIssuerChain(pem.leaf, [pem.stranger])).toBe(pem.leaf);
    expect(withIssuerChain(pem.leaf, [])).toBe(pem.leaf);
  });

  it('leaves a PEM that already carries its chain as given', () => {
    const given = `${pem.leaf}${pem.inter}`;
    expect(withIssuerChain(given, [pem.root, pem.inter])).toBe(given);
  });

  it('does not take a certificate with the issuer name but another key for the issuer', () => {
    // A certificate named like the intermediate, self-signed with an unrelated key: names match, signatures do not.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'fake.key', '-out', 'fake.pem', '-subj', '/CN=localhost-intermediate', '-days', '2'], { cwd: dir, stdio: 'pipe' });
    const fake = readFileSync(join(dir, 'fake.pem'), 'utf8');
    expect(withIssuerChain(pem.leaf, [fake])).toBe(pem.leaf);
  });
});
