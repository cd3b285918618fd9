/**
 * The score as the MCP tool computes it beside a running supervisor: the
 * revocation list's freshness comes from the supervisor's watcher, so it is
 * measured rather than listed as "not measured".
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { sidecarConfig, startSidecar } from '../helpers/proxy-sidecar.js';
import { computeCurrentScore } from '../../src/mcp/score-now.js';
import { createSilentLogger } from '../../src/logger.js';
import type { ProxySupervisor } from '../../src/supervisor/supervisor.js';
import type { AuditLog } from '../../src/state/audit-log.js';

let pki: TestPki;
let backend: CountingBackend;
let supervisor: ProxySupervisor | undefined;
let auditLog: AuditLog | undefined;

beforeEach(async () => {
  pki = await createTestPki();
  backend = await startEchoBackend();
});

afterEach(async () => {
  await supervisor?.close({ drainMs: 0 });
  await auditLog?.close();
  supervisor = undefined;
  await backend.close();
  pki.cleanup();
});

describe('score beside a running supervisor', () => {
  it('measures revocation freshness from the supervisor and loses no point for it', async () => {
    const config = sidecarConfig(pki, [{ name: 'api', listen: '127.0.0.1:0', backend: `127.0.0.1:${backend.port}`, mtls: { mode: 'required', allowed_services: ['web'] } }]);
    ({ supervisor, auditLog } = await startSidecar(pki, config));
    expect(supervisor.revocationsLoadedAt()).not.toBeNull();
    const report = await computeCurrentScore(
      { ca: pki.ca, config, stateDir: pki.stateDir, auditLog, logger: createSilentLogger(), supervisor, clock: () => new Date() },
      { scanListeners: false },
    );
    expect(report.not_measured.join('\n')).not.toMatch(/revocation list freshness/);
    expect(report.items.map((i) => i.rule)).not.toContain('revocation-stale');
  });
});
