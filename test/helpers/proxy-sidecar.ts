/**
 * A supervisor over real worker threads for integration tests: config built
 * from a few fields, the test PKI's state dir as the state dir.
 */
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createLogger } from '../../src/logger.js';
import { createAuditLog, type AuditLog } from '../../src/state/audit-log.js';
import { statePaths } from '../../src/state/state-dir.js';
import { createSupervisor, type ProxySupervisor, type SupervisorOptions } from '../../src/supervisor/supervisor.js';
import type { TestPki } from './ca-fixture.js';

export function sidecarConfig(pki: TestPki, services: Record<string, unknown>[], extra: Record<string, unknown> = {}): Config {
  return parseConfig({ version: 1, state_dir: pki.stateDir, logging: { level: 'silent' }, admin: { enabled: false }, services, ...extra }, 'test config');
}

export async function startSidecar(pki: TestPki, config: Config, extra: Partial<SupervisorOptions> = {}): Promise<{ supervisor: ProxySupervisor; auditLog: AuditLog }> {
  const auditLog = createAuditLog(statePaths(pki.stateDir).auditLog);
  const supervisor = createSupervisor({
    config,
    ca: pki.ca,
    logger: createLogger({ level: (process.env.TLSMCP_TEST_LOG as never) ?? 'silent' }),
    auditLog,
    stateDir: pki.stateDir,
    testHooks: true,
    restartBackoffMs: 20,
    ...extra,
  });
  await supervisor.start();
  return { supervisor, auditLog };
}
