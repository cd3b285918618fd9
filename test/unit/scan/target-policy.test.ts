import { describe, expect, it } from 'vitest';
import { checkScanTarget } from '../../../src/scan/target-policy.js';
import { TlsmcpError } from '../../../src/errors.js';

const lookup = (table: Record<string, string[]>) => async (host: string) => {
  const found = table[host];
  if (!found) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return found;
};

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(TlsmcpError);
  expect((err as TlsmcpError).code).toBe('ERR_SCAN_TARGET_REFUSED');
  return (err as TlsmcpError).message;
}

describe('scan target policy', () => {
  const dns = lookup({ 'api.example.com': ['10.1.2.3'], 'db.internal': ['192.168.1.5'], 'v6.example.com': ['2001:db8::1'] });

  it('allows everything when both lists are empty, and dials the resolved address', async () => {
    expect(await checkScanTarget('api.example.com', { allow: [], deny: [] }, dns)).toEqual({ host: 'api.example.com', address: '10.1.2.3', addresses: ['10.1.2.3'], resolveError: undefined });
  });

  it('refuses a name in scan.deny, exact or by wildcard', async () => {
    expect(await refusal(checkScanTarget('api.example.com', { allow: [], deny: ['api.example.com'] }, dns))).toMatch(/refused by scan\.deny\[0\] api\.example\.com: its name matches/);
    await refusal(checkScanTarget('api.example.com', { allow: [], deny: ['*.example.com'] }, dns));
  });

  it('refuses an address inside a denied CIDR, also when reached by name', async () => {
    expect(await refusal(checkScanTarget('db.internal', { allow: [], deny: ['192.168.0.0/16'] }, dns))).toMatch(/scan\.deny\[0\] 192\.168\.0\.0\/16: it resolves to 192\.168\.1\.5, which is inside it/);
    await refusal(checkScanTarget('169.254.169.254', { allow: [], deny: ['169.254.0.0/16'] }, dns));
    await refusal(checkScanTarget('v6.example.com', { allow: [], deny: ['2001:db8::/32'] }, dns));
  });

  it('with an allow list, admits only named hosts or addresses inside allowed networks', async () => {
    const policy = { allow: ['10.0.0.0/8', '*.partner.org'], deny: [] };
    expect((await checkScanTarget('api.example.com', policy, dns)).address).toBe('10.1.2.3');
    expect(await refusal(checkScanTarget('db.internal', policy, dns))).toMatch(/192\.168\.1\.5 is not inside any scan\.allow entry/);
    await refusal(checkScanTarget('127.0.0.1', policy, dns));
  });

  it('deny wins over allow', async () => {
    await refusal(checkScanTarget('api.example.com', { allow: ['10.0.0.0/8'], deny: ['10.1.0.0/16'] }, dns));
  });

  it('reports an unresolvable name instead of throwing (when not refused)', async () => {
    const r = await checkScanTarget('nowhere.example', { allow: [], deny: [] }, dns);
    expect(r.address).toBeUndefined();
    expect(r.resolveError).toMatch(/ENOTFOUND/);
  });

  it('rejects a malformed entry with the config key at fault', async () => {
    const err = await checkScanTarget('a.b', { allow: ['10.0.0.0/40'], deny: [] }, dns).catch((e: unknown) => e);
    expect((err as TlsmcpError).code).toBe('ERR_CONFIG_INVALID');
    expect((err as TlsmcpError).message).toMatch(/^scan\.allow\[0\]/);
  });

  describe('built-in refusals and resolution (issue 9.4)', () => {
    const evil = lookup({ 'meta.evil.test': ['169.254.169.254'], 'zero.evil.test': ['0.0.0.0'], 'any6.evil.test': ['::'], 'mixed.evil.test': ['10.0.0.1', 'fe80::1'] });
    const open = { allow: [], deny: [] };

    it('refuses link-local 169.254.169.254 and fe80::/10 by default, naming the built-in rule', async () => {
      expect(await refusal(checkScanTarget('169.254.169.254', open, evil))).toMatch(/refused by built-in link-local 169\.254\.0\.0\/16/);
      expect(await refusal(checkScanTarget('fe80::1%eth0', open, evil))).toMatch(/built-in link-local fe80::\/10/);
      expect(await refusal(checkScanTarget('::ffff:169.254.169.254', open, evil))).toMatch(/built-in link-local/);
    });

    it('refuses the unspecified addresses 0.0.0.0/8 and :: by default', async () => {
      expect(await refusal(checkScanTarget('0.0.0.0', open, evil))).toMatch(/built-in unspecified 0\.0\.0\.0\/8/);
      expect(await refusal(checkScanTarget('0.1.2.3', open, evil))).toMatch(/built-in unspecified/);
      expect(await refusal(checkScanTarget('::', open, evil))).toMatch(/built-in unspecified ::/);
    });

    it('refuses cloud metadata names before resolving them, trailing dot and case included', async () => {
      let asked = 0;
      const counting = async (h: string) => { asked += 1; return evil(h); };
      expect(await refusal(checkScanTarget('metadata.google.internal', open, counting))).toMatch(/built-in cloud metadata names/);
      await refusal(checkScanTarget('METADATA.Google.Internal.', open, counting));
      expect(asked).toBe(0);
    });

    it('refuses names that resolve to a refused address, checking every address of the name', async () => {
      expect(await refusal(checkScanTarget('meta.evil.test', open, evil))).toMatch(/it resolves to 169\.254\.169\.254, which is refused by default/);
      expect(await refusal(checkScanTarget('zero.evil.test', open, evil))).toMatch(/0\.0\.0\.0/);
      expect(await refusal(checkScanTarget('any6.evil.test', open, evil))).toMatch(/built-in unspecified ::/);
      expect(await refusal(checkScanTarget('mixed.evil.test', open, evil))).toMatch(/fe80::1/);
    });

    it('a deny rule covering loopback also covers 0.0.0.0 and :: (which reach loopback), by address and by name', async () => {
      const noLoopback = { allow: ['0.0.0.0/8', '::/128'], deny: ['127.0.0.0/8', '::1'] };
      expect(await refusal(checkScanTarget('0.0.0.0', noLoopback, evil))).toMatch(/scan\.deny\[0\] 127\.0\.0\.0\/8: 0\.0\.0\.0 \(reaching 127\.0\.0\.1\)/);
      expect(await refusal(checkScanTarget('::', noLoopback, evil))).toMatch(/scan\.deny\[1\] ::1/);
      expect(await refusal(checkScanTarget('zero.evil.test', noLoopback, evil))).toMatch(/scan\.deny\[0\]/);
      expect(await refusal(checkScanTarget('::ffff:127.0.0.1', noLoopback, evil))).toMatch(/scan\.deny\[0\]/);
    });

    it('only an allow network containing the address itself lifts a built-in refusal', async () => {
      expect((await checkScanTarget('169.254.3.3', { allow: ['169.254.3.0/24'], deny: [] }, evil)).address).toBe('169.254.3.3');
      await refusal(checkScanTarget('0.0.0.0', { allow: ['127.0.0.0/8'], deny: [] }, evil));
    });

    it('a refusal carries the rule and the address in its details', async () => {
      const err = (await checkScanTarget('meta.evil.test', open, evil).catch((e: unknown) => e)) as TlsmcpError;
      expect(err.details).toMatchObject({ host: 'meta.evil.test', address: '169.254.169.254', rule: expect.stringMatching(/^built-in link-local/) });
    });

    it('the real resolver: localhost is refused by a loopback deny rule and admitted (as a loopback address) without one', async () => {
      expect(await refusal(checkScanTarget('localhost', { allow: [], deny: ['127.0.0.0/8', '::1'] }))).toMatch(/it resolves to (127\.0\.0\.1|::1), which is inside it/);
      const ok = await checkScanTarget('localhost', open);
      expect(ok.addresses?.length).toBeGreaterThan(0);
      for (const a of ok.addresses ?? []) expect(['127.0.0.1', '::1']).toContain(a);
    });
  });
});
