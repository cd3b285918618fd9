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
    expect(await checkScanTarget('api.example.com', { allow: [], deny: [] }, dns)).toEqual({ host: 'api.example.com', address: '10.1.2.3', resolveError: undefined });
  });

  it('refuses a name in scan.deny, exact or by wildcard', async () => {
    expect(await refusal(checkScanTarget('api.example.com', { allow: [], deny: ['api.example.com'] }, dns))).toMatch(/matches scan.deny/);
    await refusal(checkScanTarget('api.example.com', { allow: [], deny: ['*.example.com'] }, dns));
  });

  it('refuses an address inside a denied CIDR, also when reached by name', async () => {
    expect(await refusal(checkScanTarget('db.internal', { allow: [], deny: ['192.168.0.0/16'] }, dns))).toMatch(/192\.168\.1\.5, inside scan.deny/);
    await refusal(checkScanTarget('169.254.169.254', { allow: [], deny: ['169.254.0.0/16'] }, dns));
    await refusal(checkScanTarget('v6.example.com', { allow: [], deny: ['2001:db8::/32'] }, dns));
  });

  it('with an allow list, admits only named hosts or addresses inside allowed networks', async () => {
    const policy = { allow: ['10.0.0.0/8', '*.partner.org'], deny: [] };
    expect((await checkScanTarget('api.example.com', policy, dns)).address).toBe('10.1.2.3');
    expect(await refusal(checkScanTarget('db.internal', policy, dns))).toMatch(/not inside scan.allow/);
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
});
