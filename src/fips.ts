/**
 * FIPS mode (`fips_mode: true` in the config, or the global `--fips` flag):
 * Node's crypto runs on an OpenSSL FIPS provider, or tlsmcp refuses to start.
 *
 * With OpenSSL 3, `crypto.setFips(true)` only sets the `fips=yes` property
 * query: it succeeds even when no FIPS provider is loaded, and every digest,
 * key and TLS context fails afterwards. So this turns it on, proves a FIPS
 * provider answers (a SHA-256 digest), and otherwise turns it off again and
 * throws ERR_FIPS_UNAVAILABLE naming how to install one. Node's bundled OpenSSL
 * has no FIPS provider; an OpenSSL 3 FIPS module (fips.so, installed with
 * `openssl fipsinstall`) plus an openssl.cnf that activates it, passed with
 * `--openssl-config` (or OPENSSL_CONF with `--openssl-shared-config`), does.
 *
 * `tls_profile: fips` (src/core/tls-options.ts) is separate: it restricts
 * listeners to FIPS-approved algorithms whatever provider runs them.
 */
import * as nodeCrypto from 'node:crypto';
import { TlsmcpError } from './errors.js';

export interface FipsCrypto {
  setFips(on: boolean): void;
  getFips(): number;
  createHash(algorithm: string): { update(data: string): { digest(encoding: 'hex'): string } };
}

export const FIPS_FIX =
  'install an OpenSSL 3 FIPS provider (build OpenSSL 3 with enable-fips, run `openssl fipsinstall -out fipsmodule.cnf -module /path/to/fips.so`), ' +
  'write an openssl.cnf that includes fipsmodule.cnf and activates the fips and base providers, and start tlsmcp with ' +
  'NODE_OPTIONS="--openssl-config=/path/to/openssl.cnf" (or OPENSSL_CONF=/path/to/openssl.cnf with --openssl-shared-config); ' +
  'or run without fips_mode/--fips (tls_profile: fips still restricts the listeners to FIPS-approved algorithms)';

/** Turns Node's FIPS mode on; throws ERR_FIPS_UNAVAILABLE (and leaves it off) where no FIPS provider is present. */
export function enableFips(crypto: FipsCrypto = nodeCrypto): void {
  if (crypto.getFips() === 1 && providerAnswers(crypto)) return;
  let problem: string;
  try {
    crypto.setFips(true);
    if (crypto.getFips() === 1 && providerAnswers(crypto)) return;
    problem = 'no FIPS provider answers (a SHA-256 digest fails in FIPS mode)';
  } catch (err) {
    problem = (err as Error).message;
  }
  try {
    crypto.setFips(false);
  } catch {
    // --force-fips: it cannot be turned off, and it is not working; the error below says why.
  }
  throw new TlsmcpError('ERR_FIPS_UNAVAILABLE', `FIPS mode was asked for (fips_mode / --fips) but this Node.js (OpenSSL ${process.versions.openssl}) has no OpenSSL FIPS provider: ${problem}`, {
    fix: FIPS_FIX,
    details: { openssl: process.versions.openssl },
  });
}

function providerAnswers(crypto: FipsCrypto): boolean {
  try {
    crypto.createHash('sha256').update('tlsmcp').digest('hex');
    return true;
  } catch {
    return false;
  }
}
