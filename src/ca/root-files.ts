/**
 * The root CA's certificate on disk, read without the signing code: whether the
 * CA exists and its PEM are all a running sidecar needs to trust it, so this
 * module loads no X.509 library (src/ca/lazy.ts relies on that).
 */
import { existsSync, readFileSync } from 'node:fs';
import { TlsmcpError } from '../errors.js';
import type { StatePaths } from '../state/state-dir.js';

/** The CA is there when its certificate is: enough to trust it. Signing also needs the key (loadCa). */
export function caExists(paths: StatePaths): boolean {
  return existsSync(paths.caCert);
}

/** How many certificates the inventory lists (0 when it is absent or unreadable). */
export function inventoryCount(paths: StatePaths): number {
  try {
    const parsed = JSON.parse(readFileSync(paths.inventory, 'utf8')) as { certs?: unknown };
    return Array.isArray(parsed.certs) ? parsed.certs.length : 0;
  } catch {
    return 0;
  }
}

export function readCaCertPem(paths: StatePaths): string {
  if (!caExists(paths)) throw missingCa(paths);
  return readFileSync(paths.caCert, 'utf8');
}

function missingCa(paths: StatePaths): TlsmcpError {
  const issued = inventoryCount(paths);
  if (issued > 0) {
    return new TlsmcpError('ERR_CA_MISSING', `the CA certificate ${paths.caCert} is missing, but the inventory lists ${issued} certificate(s) it issued`, {
      fix: `restore ${paths.caDir} from a backup of the state dir (a new CA would orphan those certificates)`,
      details: { issued },
    });
  }
  return new TlsmcpError('ERR_CA_MISSING', `no certificate authority in ${paths.root}`, {
    fix: `run \`tlsmcp init --state ${paths.root}\` first`,
  });
}
