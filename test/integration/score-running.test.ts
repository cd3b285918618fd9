/**
 * `tlsmcp score` from the CLI against a running `tlsmcp run` (issue 18): it
 * reads the live figures through the admin endpoint (revocation freshness and
 * the serials in live connections are measured, not listed as "not
 * measured"), its own listener probes leave `tlsmcp_rejections_total` and the
 * audit trail unchanged, and an empty state dir has nothing to score.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load.js';
import { createSilentLogger } from '../../src/logger.js';
import { computeCurrentScore } from '../../src/mcp/score-now.js';
import { scoreReportSchema } from '../../src/score/score-schema.js';
import { createAuditLog } from '../../src/state/audit-log.js';
import { statePaths } from '../../src/state/state-dir.js';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { runCli } from '../helpers/cli.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { tlsConnect, tryEcho } from '../helpers/proxy-fixture.js';
import { eventWithin, waitFor } from '../helpers/proxy-wait.js';
import { startTlsmcpRun, type RunningTlsmcp } from '../helpers/tlsmcp-run.js';

let pki: TestPki;
let backend: CountingBackend;
let run: RunningTlsmcp | undefined;

beforeEach(async () => {
  pki = await createTestPki();
  backend = await startEchoBackend();
});

afterEach(async () => {
  await run?.stop();
  run = undefined;
  await backend.close();
  pki.cleanup();
});

async function startRun(): Promise<RunningTlsmcp> {
  run = await startTlsmcpRun({
    dir: pki.dir,
    stateDir: pki.stateDir,
    config: ['version: 1', 'admin: { address: "127.0.0.1:0" }', 'services:', '  - name: api', '    listen: "127.0.0.1:0"', `    backend: "127.0.0.1:${backend.port}"`, '    mtls: { mode: required, allowed_services: [web] }'],
  });
  return run;
}

async function rejectionsTotal(admin: string, prefix = 'tlsmcp_rejections_total{'): Promise<number> {
  const text = await (await fetch(`${admin}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

async function workerRejected(admin: string): Promise<number> {
  const { services } = (await (await fetch(`${admin}/status`)).json()) as { services: { connections: { rejected: number } }[] };
  return services[0]!.connections.rejected;
}

const score = async () => {
  const run = await runCli(['--state', pki.stateDir, 'score', '--json'], { timeoutMs: 60_000 });
  expect(run.code, run.stderr).toBe(0);
  return scoreReportSchema.parse(JSON.parse(run.stdout));
};

describe('tlsmcp score beside a running tlsmcp run', { timeout: 90_000 }, () => {
  it('measures revocation freshness and the serials in live connections through the admin endpoint', async () => {
    const { port, admin } = await startRun();
    const web = await pki.client('web', { service: 'web' });
    const live = tlsConnect({ port, caPem: pki.caPem, cert: web });
    live.on('error', () => undefined);
    await eventWithin(live, 'secureConnect', 20_000);
    // The workers report live serials with their periodic stats.
    await waitFor(async () => {
      const body = (await (await fetch(`${admin}/score/live`)).json()) as { live_serials: string[] };
      return body.live_serials.map((s) => s.toLowerCase()).includes(web.record.serial.toLowerCase());
    }, { timeoutMs: 30_000, what: 'the live serial at /score/live' });

    const report = await score();
    expect(report.live_source).toMatch(new RegExp(`^admin endpoint ${admin.replace(/[.]/g, '\\.')} of tlsmcp pid \\d+$`));
    expect(report.score).not.toBeNull();
    expect(report.not_measured.join('\n')).not.toMatch(/revocation list freshness|revoked certificates in live connections|listener scan grades/);
    expect(report.items.map((i) => i.rule)).not.toContain('revocation-stale');
    // The config came from the running instance (no --config given): its service was scored and scanned on its bound port.
    expect(report.not_measured.join('\n')).not.toMatch(/port 0/);
    expect(report.items.map((i) => i.rule)).not.toContain('mtls-not-required');

    // The MCP tool's score in a process without the supervisor (e.g. a stdio tlsmcp-mcp) reads the same endpoint.
    const auditLog = createAuditLog(join(pki.dir, 'mcp-audit.log'), { enabled: false });
    const viaMcp = await computeCurrentScore(
      { ca: pki.ca, config: loadConfigFile(join(pki.dir, 'tlsmcp.yaml')), stateDir: pki.stateDir, auditLog, logger: createSilentLogger(), clock: () => new Date() },
      { scanListeners: false },
    );
    await auditLog.close();
    expect(viaMcp.live_source).toBe(report.live_source);
    expect(viaMcp.not_measured.join('\n')).not.toMatch(/revocation list freshness|revoked certificates in live connections/);
    live.destroy();
  });

  it("a score run's listener probes leave tlsmcp_rejections_total and the audit trail unchanged", async () => {
    const { port, admin } = await startRun();
    const before = await rejectionsTotal(admin);
    const failedBefore = await rejectionsTotal(admin, 'tlsmcp_connections_total{service="api",status="failed"}');
    const workerBefore = await workerRejected(admin);
    const report = await score();
    expect(report.not_measured.join('\n')).not.toMatch(/listener scan grades \(scans not run\)/);
    // The probes did reach the listener and were refused there (the worker's own counter saw them) ...
    expect(await workerRejected(admin)).toBeGreaterThan(workerBefore + 5);
    // ... then one real client without a certificate: once its rejection is counted, every earlier event batch has been too.
    expect((await tryEcho({ port, caPem: pki.caPem })).echoed).toBe(false);
    await waitFor(async () => (await rejectionsTotal(admin)) > before, { timeoutMs: 30_000, what: 'the real rejection in the metrics' });
    expect(await rejectionsTotal(admin)).toBe(before + 1);
    expect(await rejectionsTotal(admin, 'tlsmcp_connections_total{service="api",status="failed"}')).toBe(failedBefore + 1);
    const auditFile = statePaths(pki.stateDir).auditLog;
    const rejectedLines = () =>
      existsSync(auditFile) ? readFileSync(auditFile, 'utf8').split('\n').filter((l) => l.includes('"kind":"connection"') && l.includes('"result":"rejected"')) : [];
    await waitFor(() => rejectedLines().length > 0, { timeoutMs: 30_000, what: 'the real rejection in the audit log' });
    expect(rejectedLines()).toHaveLength(1);
    // Only addresses of this host can be marked: a remote client cannot be hidden this way.
    const remote = await fetch(`${admin}/score/probes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ peer: '203.0.113.7' }) });
    expect(remote.status).toBe(400);
    expect(((await remote.json()) as { error: string }).error).toMatch(/not an address of this host/);
  });
});

describe('tlsmcp score on an empty setup', () => {
  it('an empty state dir gives "nothing to score" (score null with the reason), not 100', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsmcp-score-empty-'));
    try {
      const json = await runCli(['--state', dir, 'score', '--json']);
      expect(json.code).toBe(0);
      const report = scoreReportSchema.parse(JSON.parse(json.stdout));
      expect(report.score).toBeNull();
      expect(report.reason).toMatch(/^nothing to score: no services are configured and the CA has issued no certificates/);
      const text = await runCli(['--state', dir, 'score']);
      expect(text.stdout).toMatch(/^Posture score: none: nothing to score/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
