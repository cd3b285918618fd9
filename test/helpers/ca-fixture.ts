/**
 * A fresh CA per test in a temp dir, issuing through the real tlsmcp CA code.
 * Variants for failure tests: expired, not yet valid, from another CA, revoked,
 * server-only (serverAuth EKU). Nothing here is committed key material: every
 * key is made at test time and deleted with the temp dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority, type CertificateAuthority, type IssueRequest, type IssueResult, type TtlPolicy } from '../../src/ca/index.js';

export const TEST_POLICY: TtlPolicy = {
  client: { default_ttl: 86_400_000, min_ttl: 1_000, max_ttl: 30 * 86_400_000 },
  server: { ttl: 30 * 86_400_000, max_ttl: 90 * 86_400_000, renew_before: 86_400_000 },
  expiring_within: 7 * 86_400_000,
};

export interface TestPki {
  dir: string;
  stateDir: string;
  ca: CertificateAuthority;
  caPem: string;
  /** A server certificate for 127.0.0.1 and localhost. */
  server(request?: Partial<IssueRequest>): Promise<IssueResult>;
  client(cn: string, request?: Partial<IssueRequest>): Promise<IssueResult>;
  /** A client certificate that expired a day ago. */
  expiredClient(cn: string): Promise<IssueResult>;
  /** A client certificate valid only from tomorrow. */
  futureClient(cn: string): Promise<IssueResult>;
  cleanup(): void;
}

export async function createTestPki(options: { policy?: TtlPolicy } = {}): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'tlsmcp-test-'));
  const stateDir = join(dir, 'state');
  const policy = options.policy ?? TEST_POLICY;
  const ca = createCertificateAuthority({ stateDir, policy });
  const { caCertPem } = await ca.init();
  const shifted = (offsetMs: number) => createCertificateAuthority({ stateDir, policy, clock: () => new Date(Date.now() + offsetMs) });
  return {
    dir,
    stateDir,
    ca,
    caPem: caCertPem,
    server: (request = {}) => ca.issue({ type: 'server', service: 'test', cn: 'localhost', dns: ['localhost'], ip: ['127.0.0.1'], ...request }),
    client: (cn, request = {}) => ca.issue({ type: 'client', service: 'test', cn, ...request }),
    expiredClient: (cn) => shifted(-2 * 86_400_000).issue({ type: 'client', service: 'test', cn, ttlMs: 86_400_000 }),
    futureClient: (cn) => shifted(86_400_000).issue({ type: 'client', service: 'test', cn, ttlMs: 86_400_000 }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
