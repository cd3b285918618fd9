/**
 * enableFips on this Node.js (bundled OpenSSL, no FIPS provider): refuses with
 * ERR_FIPS_UNAVAILABLE and leaves crypto working; where a provider answers it
 * stays on (a stand-in crypto object plays the provider: none is installable here).
 */
import * as crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { enableFips, type FipsCrypto } from '../../src/fips.js';

describe('enableFips', () => {
  it('refuses on Node\'s bundled OpenSSL and turns FIPS mode back off', () => {
    expect(crypto.getFips()).toBe(0);
    let caught: unknown;
    try {
      enableFips();
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'ERR_FIPS_UNAVAILABLE' });
    expect((caught as { fix: string }).fix).toMatch(/openssl fipsinstall.*--openssl-config/s);
    expect(crypto.getFips()).toBe(0);
    expect(crypto.createHash('sha256').update('x').digest('hex')).toHaveLength(64);
  });

  it('keeps FIPS mode on when a provider answers', () => {
    let on = 0;
    const withProvider: FipsCrypto = {
      setFips: (v) => void (on = v ? 1 : 0),
      getFips: () => on,
      createHash: (a) => crypto.createHash(a),
    };
    enableFips(withProvider);
    expect(on).toBe(1);
  });
});
