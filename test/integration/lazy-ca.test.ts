import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '../../src/ca/authority.js';
import { createLazyCertificateAuthority } from '../../src/ca/lazy.js';
import type { TtlPolicy } from '../../src/ca/types.js';

const policy: TtlPolicy = {
  client: { default_ttl: 86_400_000, min_ttl: 60_000, max_ttl: 30 * 86_400_000 },
  server: { ttl: 30 * 86_400_000, max_ttl: 90 * 86_400_000, renew_before: 86_400_000 },
  expiring_within: 7 * 86_400_000,
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tlsmcp-lazy-ca-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the lazily loaded CA (src/ca/lazy.ts)', () => {
  it('works at first use: init, issue a certificate openssl verifies, list, revoke into a CRL, as the eager CA sees it', async () => {
    const stateDir = join(dir, 'state');
    const ca = createLazyCertificateAuthority({ stateDir, policy });
    expect(ca.exists()).toBe(false);
    expect(() => ca.caCertPem()).toThrow(expect.objectContaining({ code: 'ERR_CA_MISSING' }));
    const { created, caCertPem } = await ca.init({ keyType: 'ecdsa-p256' });
    expect(created).toBe(true);
    expect(ca.exists()).toBe(true);
    expect(ca.caCertPem()).toBe(caCertPem);

    const issued = await ca.issue({ type: 'client', service: 'web', cn: 'web-client' });
    writeFileSync(join(dir, 'ca.pem'), caCertPem);
    writeFileSync(join(dir, 'leaf.pem'), issued.certPem);
    expect(execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), '-purpose', 'sslclient', join(dir, 'leaf.pem')], { encoding: 'utf8' })).toContain(': OK');
    expect((await ca.list({ type: 'client' })).map((c) => c.cn)).toEqual(['web-client']);
    await ca.revoke(issued.record.id, 'keyCompromise');
    expect(execFileSync('openssl', ['crl', '-noout', '-text'], { input: await ca.crlPem(), encoding: 'utf8' })).toContain('Key Compromise');

    // The eager CA over the same state dir sees the same state.
    const eager = createCertificateAuthority({ stateDir, policy });
    expect(eager.caCertPem()).toBe(ca.caCertPem());
    expect((await eager.get(issued.record.id)).status).toBe('revoked');
    expect(await ca.certPem(issued.record.id)).toBe(await eager.certPem(issued.record.id));
  });

  it('loads no X.509 library to trust the CA, and loads it at the first call that signs or reads the inventory', async () => {
    const stateDir = join(dir, 'state');
    await createCertificateAuthority({ stateDir, policy }).init({ keyType: 'ecdsa-p256' });
    // A fresh process: the test runner itself has loaded everything already.
    const script = `
      import { registerHooks } from 'node:module';
      const urls = [];
      registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });
      const { createLazyCertificateAuthority } = await import(${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../src/ca/lazy.ts')).href)});
      const x509Loaded = () => urls.some((u) => u.includes('/@peculiar/'));
      const ca = createLazyCertificateAuthority({ stateDir: ${JSON.stringify(stateDir)}, policy: ${JSON.stringify(policy)} });
      const pem = ca.exists() ? ca.caCertPem() : '';
      const before = x509Loaded();
      const listed = await ca.list();
      process.stdout.write(JSON.stringify({ before, after: x509Loaded(), pem, listed: listed.length }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' })) as { before: boolean; after: boolean; pem: string; listed: number };
    expect(out).toEqual({ before: false, after: true, pem: readFileSync(join(stateDir, 'ca', 'ca.pem'), 'utf8'), listed: 0 });
  });
});
