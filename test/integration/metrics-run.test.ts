/**
 * /metrics of a real `tlsmcp run` after real mTLS connections: one accepted,
 * one refused (no client certificate), one refused because its certificate was
 * revoked (by `tlsmcp cert revoke` in another process). The exposition text is
 * parsed and checked for the documented names, the `service` label, the
 * connection statuses, base units, the default process/Node.js metrics and
 * tlsmcp_build_info.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { parsePrometheusText, type PromFamily } from '../helpers/prom-text.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { tryEcho } from '../helpers/proxy-fixture.js';
import { waitFor } from '../helpers/proxy-wait.js';
import { startTlsmcpRun, type RunningTlsmcp } from '../helpers/tlsmcp-run.js';
import { VERSION } from '../../src/version.js';

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

const sample = (f: Map<string, PromFamily>, name: string, labels: Record<string, string>) =>
  (f.get(name) ?? f.get(name.replace(/_(bucket|sum|count)$/, '')))?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe('tlsmcp run /metrics', () => {
  it('counts accepted, refused and revoked mTLS connections under the documented names, labels and units', async () => {
    run = await startTlsmcpRun({
      dir: pki.dir,
      stateDir: pki.stateDir,
      config: ['version: 1', 'admin: { address: "127.0.0.1:0" }', 'logging: { level: info }', 'services:', '  - name: echo', '    listen: "127.0.0.1:0"', `    backend: "127.0.0.1:${backend.port}"`],
    });
    const { port } = run;
    expect(await tryEcho({ port, caPem: pki.caPem, cert: await pki.client('alice') })).toMatchObject({ echoed: true });
    expect(await tryEcho({ port, caPem: pki.caPem })).toMatchObject({ echoed: false });
    const doomed = await pki.client('doomed');
    expect((await run.cli('cert', 'revoke', doomed.record.id)).code).toBe(0);
    await waitFor(() => run!.stderr().includes('"event":"revocation_applied"'), { what: 'the running sidecar applying the revocation' });
    expect(await tryEcho({ port, caPem: pki.caPem, cert: doomed })).toMatchObject({ echoed: false });

    const scrape = async () => {
      const res = await fetch(`${run!.admin}/metrics`);
      expect(res.headers.get('content-type')).toContain('text/plain');
      return parsePrometheusText(await res.text());
    };
    const f = await waitFor(
      async () => {
        const m = await scrape();
        const n = (status: string) => sample(m, 'tlsmcp_connections_total', { service: 'echo', status }) ?? 0;
        return n('success') >= 1 && n('failed') >= 1 && n('revoked') >= 1 && m;
      },
      { what: 'success, failed and revoked connections in /metrics' },
    );

    expect(f.get('tlsmcp_connections_total')?.type).toBe('counter');
    expect(sample(f, 'tlsmcp_connections_total', { service: 'echo', status: 'success' })).toBe(1);
    expect(sample(f, 'tlsmcp_connections_total', { service: 'echo', status: 'failed' })).toBe(1);
    expect(sample(f, 'tlsmcp_connections_total', { service: 'echo', status: 'revoked' })).toBe(1);
    expect(new Set(f.get('tlsmcp_connections_total')!.samples.map((s) => s.labels.status))).toEqual(new Set(['success', 'failed', 'revoked']));
    expect(sample(f, 'tlsmcp_rejections_total', { service: 'echo', reason: 'no_certificate' })).toBe(1);
    expect(sample(f, 'tlsmcp_rejections_total', { service: 'echo', reason: 'revoked' })).toBe(1);

    // The handshake histogram is in seconds: every handshake here took well under a minute and more than nothing.
    const hs = f.get('tlsmcp_handshake_duration_seconds')!;
    expect(hs.type).toBe('histogram');
    const count = sample(f, 'tlsmcp_handshake_duration_seconds_count', { service: 'echo' })!;
    const sum = sample(f, 'tlsmcp_handshake_duration_seconds_sum', { service: 'echo' })!;
    expect(count).toBeGreaterThanOrEqual(2);
    expect(sum).toBeGreaterThan(0);
    expect(sum / count).toBeLessThan(60);
    expect(hs.samples.some((s) => s.name.endsWith('_bucket') && s.labels.le === '+Inf' && s.labels.service === 'echo')).toBe(true);

    // Certificate expiry as days (documented) and as a Unix timestamp in seconds (the convention), consistent with each other.
    const days = sample(f, 'tlsmcp_cert_expiry_days', { service: 'echo' })!;
    const at = sample(f, 'tlsmcp_cert_expiry_timestamp_seconds', { service: 'echo' })!;
    expect(days).toBeGreaterThan(0);
    expect(Math.abs((at - Date.now() / 1000) / 86_400 - days)).toBeLessThan(1);
    expect(f.get('tlsmcp_revocation_events_total')?.type).toBe('counter');
    expect(sample(f, 'tlsmcp_revocation_events_total', {})).toBeGreaterThanOrEqual(1);

    // Every per-service series carries service; no metric name uses a non-base unit; counters end in _total.
    for (const family of f.values()) {
      if (family.type === 'counter') expect(family.name).toMatch(/_total$/);
      expect(family.name).not.toMatch(/_(ms|milliseconds|minutes|hours)(_total)?$/);
      if (!family.name.startsWith('tlsmcp_') || ['tlsmcp_build_info', 'tlsmcp_fips_mode', 'tlsmcp_revocation_events_total'].includes(family.name)) continue;
      for (const s of family.samples) expect(s.labels.service, `${s.name} carries service`).toBe('echo');
    }

    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(f.has(name), name).toBe(true);
    }
    expect(f.get('tlsmcp_build_info')!.samples).toEqual([
      { name: 'tlsmcp_build_info', labels: { version: VERSION, node: expect.stringMatching(/^24\./) as unknown as string, openssl: expect.stringMatching(/^3\./) as unknown as string }, value: 1 },
    ]);
  });
});
