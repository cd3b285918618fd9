/**
 * The local CA for a long-running process that mostly only trusts it: `exists()`
 * and `caCertPem()` read the state dir directly, and the signing implementation
 * (src/ca/authority.ts with @peculiar/x509, tsyringe and the ASN.1 schemas: about
 * 220 modules) is imported at the first call that needs it: init, issue, list,
 * revoke and the rest. An idle `tlsmcp run` with configured server certificates
 * never loads it. Every call behaves as the eager CA's does: the same object
 * answers them all once loaded.
 */
import { statePaths } from '../state/state-dir.js';
import type { CertificateAuthorityOptions } from './authority.js';
import { caExists, readCaCertPem } from './root-files.js';
import type { CertificateAuthority } from './types.js';

export function createLazyCertificateAuthority(options: CertificateAuthorityOptions): CertificateAuthority {
  const paths = statePaths(options.stateDir);
  let loading: Promise<CertificateAuthority> | undefined;
  const ca = () => (loading ??= import('./authority.js').then((m) => m.createCertificateAuthority(options)));
  return {
    stateDir: paths.root,
    exists: () => caExists(paths),
    caCertPem: () => readCaCertPem(paths),
    init: async (o) => (await ca()).init(o),
    issue: async (request) => (await ca()).issue(request),
    list: async (filter) => (await ca()).list(filter),
    get: async (idOrSerial) => (await ca()).get(idOrSerial),
    revoke: async (idOrSerial, reason) => (await ca()).revoke(idOrSerial, reason),
    renew: async (id, o) => (await ca()).renew(id, o),
    certPem: async (idOrSerial) => (await ca()).certPem(idOrSerial),
    revocations: async () => (await ca()).revocations(),
    crlPem: async () => (await ca()).crlPem(),
  };
}
