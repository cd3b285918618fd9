/**
 * The layout of a Hub's state dir and `hub init`: the Hub's CA (the same CA
 * code and files as a sidecar's, under DIR/ca), its SQLite store, and the first
 * admin credential in DIR/admin (cert.pem, key.pem 0600, ca.pem).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createCertificateAuthority } from '../ca/authority.js';
import type { CertificateAuthority, KeyType } from '../ca/types.js';
import type { Logger } from '../logger.js';
import { DEFAULT_ADMIN_CN, HUB_SERVICE, hubTtlPolicy, type HubConfig } from './hub-config.js';

export function hubPaths(stateDir: string) {
  return {
    root: stateDir,
    db: join(stateDir, 'hub.db'),
    adminDir: join(stateDir, 'admin'),
    adminCert: join(stateDir, 'admin', 'cert.pem'),
    adminKey: join(stateDir, 'admin', 'key.pem'),
    adminCa: join(stateDir, 'admin', 'ca.pem'),
  };
}

export function createHubCa(stateDir: string, config: HubConfig, logger?: Logger, clock?: () => Date): CertificateAuthority {
  return createCertificateAuthority({ stateDir, policy: hubTtlPolicy(config), ...(logger ? { logger } : {}), ...(clock ? { clock } : {}) });
}

export interface HubInitResult {
  created: boolean;
  admin_created: boolean;
  ca_cert: string;
  admin: { cert: string; key: string; ca: string };
}

/** Creates the Hub CA and the first admin credential; a rerun changes nothing. */
export async function initHub(stateDir: string, config: HubConfig, options: { keyType?: KeyType; logger?: Logger } = {}): Promise<HubInitResult> {
  const ca = createHubCa(stateDir, config, options.logger);
  const paths = hubPaths(stateDir);
  const { created } = await ca.init({ ...(options.keyType ? { keyType: options.keyType } : {}) });
  let adminCreated = false;
  if (!existsSync(paths.adminCert) || !existsSync(paths.adminKey)) {
    await ca.issue({ type: 'client', service: HUB_SERVICE, cn: DEFAULT_ADMIN_CN, ttlMs: config.client_cert.max_ttl, outDir: paths.adminDir });
    adminCreated = true;
  }
  return { created, admin_created: adminCreated, ca_cert: join(stateDir, 'ca', 'ca.pem'), admin: { cert: paths.adminCert, key: paths.adminKey, ca: paths.adminCa } };
}
