/**
 * withIssuerChain: the chain OpenSSL would build for our certificate from the trust
 * anchors, computed once. A three-level PKI made with the openssl CLI (root,
 * intermediate, leaf), plus a stranger's root.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withIssuerChain } from '../../../src/core/server-chain.js';

let dir: string;
const pem: Record<'root' | 'inter' | 'leaf' | 'stranger', string> = { root: '', inter: '', leaf: '', stranger: '' };

function openssl(...args: string[]) {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tlsmcp-chain-'));
  const ext = join(dir, 'ca.ext');
  writeFileSync(ext, 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
  for (const name of ['root', 'stranger']) {
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-subj', `/CN=${name}`, '-days', '2');
  }
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'inter.key', '-out', 'inter.csr', '-subj', '/CN=inter');
  openssl('x509', '-req', '-in', 'inter.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-out', 'inter.pem', '-days', '2', '-extfile', ext);
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=localhost');
  openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'inter.pem', '-CAkey', 'inter.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '2');
  for (const name of Object.keys(pem) as (keyof typeof pem)[]) pem[name] = readFileSync(join(dir, `${name}.pem`), 'utf8');
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
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'fake.key', '-out', 'fake.pem', '-subj', '/CN=inter', '-days', '2');
    const fake = readFileSync(join(dir, 'fake.pem'), 'utf8');
    expect(withIssuerChain(pem.leaf, [fake])).toBe(pem.leaf);
  });
});
