/**
 * The score over a real state dir: the collector reads certificates through
 * the CertificateAuthority interface (the real CA), services from a real
 * config, and scans a real listener; then `tlsmcp score --json` end to end.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCertificateAuthority, ttlPolicyFromConfig } from '../../src/ca/index.js';
import { parseConfigText } from '../../src/config/load.js';
import { scanTarget } from '../../src/scan/scan.js';
import { createSilentLogger } from '../../src/logger.js';
import { collectScoreInput, computeScore, scoreReportSchema } from '../../src/score/index.js';
import { runCli } from '../helpers/scan-cli.js';
import { startTlsServer, type TestServer } from '../helpers/scan-servers.js';

const DAY = 86_400_000;
let dir: string;
let server: TestServer | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tlsmcp-score-'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const CONFIG = (port: number) => `
version: 1
logging: { audit: false }
services:
  - name: api
    listen: { address: "127.0.0.1:${port}", protocol: tls12 }
    backend: "127.0.0.1:18080"
    mtls: { mode: optional }
  - name: locked
    listen: "127.0.0.1:1"
    backend: "127.0.0.1:18081"
    mtls: { mode: required, allowed_services: [web] }
`;

describe('score: collector over the real CA', () => {
  it('loses points for an expired certificate, a renewed-away one not, weak enforcement, a listener grade and audit off', async () => {
    const t0 = new Date('2026-01-01T00:00:00Z');
    const later = new Date(t0.getTime() + 20 * DAY);
    const config = parseConfigText(CONFIG(8443));
    const policy = ttlPolicyFromConfig(config);
    const caThen = createCertificateAuthority({ stateDir: dir, policy, clock: () => t0 });
    await caThen.init();
    await caThen.issue({ type: 'client', service: 'api', cn: 'short', ttlMs: 7 * DAY });
    const replaced = await caThen.issue({ type: 'client', service: 'api', cn: 'renewed', ttlMs: 7 * DAY });
    await caThen.renew(replaced.record.id);
    await caThen.issue({ type: 'client', service: 'api', cn: 'fine', ttlMs: 60 * DAY });
    const ca = createCertificateAuthority({ stateDir: dir, policy, clock: () => later });

    const input = await collectScoreInput({
      config,
      ca,
      clock: () => later,
      liveSerials: [],
      revocationLoadedAt: later.toISOString(),
      scanListener: async (service) => ({ grade: service.name === 'api' ? 'B' : null, note: 'connection refused' }),
    });
    expect(input.certs.find((c) => c.cn === 'renewed' && c.superseded)).toBeDefined();
    const r = computeScore(input);
    const rules = Object.fromEntries(r.recommendations.map((x) => [x.rule, x]));
    // "short" and the renewal of "renewed" (7 days, issued at t0) are both expired 20 days later; the superseded original is skipped.
    expect(rules['cert-expired']?.subjects).toHaveLength(2);
    expect(rules['cert-expired']?.subjects.join()).not.toMatch(new RegExp(replaced.record.id));
    expect(rules['mtls-not-required']).toMatchObject({ points: 8, subjects: ['service api'] });
    expect(rules['tls12-allowed']).toMatchObject({ points: 3 });
    expect(rules['allowlist-empty']).toMatchObject({ subjects: ['service api'] });
    expect(rules['listener-grade']).toMatchObject({ points: 3 });
    expect(rules['audit-off']).toMatchObject({ points: 10 });
    expect(r.recommendations[0]?.rule).toBe('cert-expired');
    expect(r.score).toBe(100 - 12 - 8 - 3 - 4 - 3 - 10);
    expect(r.not_measured).toEqual(['listener locked at 127.0.0.1:1: connection refused']);
  });

  it('tlsmcp score --json scans the running listener and returns a schema-valid report', async () => {
    const config = parseConfigText(CONFIG(0));
    const ca = createCertificateAuthority({ stateDir: dir, policy: ttlPolicyFromConfig(config) });
    await ca.init();
    const srv = await ca.issue({ type: 'server', service: 'api', cn: 'localhost', dns: ['localhost'], ip: ['127.0.0.1'] });
    server = await startTlsServer({ key: srv.keyPem ?? '', cert: srv.certPem, minVersion: 'TLSv1.3' });
    const file = join(dir, 'tlsmcp.yaml');
    writeFileSync(file, CONFIG(server.port));

    const run = await runCli(['--state', dir, '--config', file, 'score', '--json']);
    expect(run.code).toBe(0);
    const report = scoreReportSchema.parse(JSON.parse(run.stdout));
    // A TLS 1.3-only listener without HSTS grades A: no listener points lost.
    expect(report.recommendations.find((x) => x.rule === 'listener-grade')).toBeUndefined();
    expect(report.not_measured).toContain('listener locked at 127.0.0.1:1: connection refused');
    expect(report.categories.find((c) => c.id === 'audit')?.lost).toBe(10);
    const direct = await scanTarget({ host: '127.0.0.1', port: server.port, caPem: ca.caCertPem(), probeTimeoutMs: 1_500 }, { logger: createSilentLogger() });
    expect(direct.grade?.grade).toBe('A');

    const text = await runCli(['--state', dir, '--config', file, 'score', '--no-scan']);
    expect(text.stdout).toMatch(/^Posture score: \d+\/100/);
    expect(text.stdout).toMatch(/\+10 {2}set logging\.audit: true/);
    expect(text.stdout).toMatch(/listener scan grades \(scans not run\)/);
  });
});
