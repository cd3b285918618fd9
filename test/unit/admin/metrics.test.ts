/**
 * The proxy metrics by the Prometheus conventions: base units, `service` on
 * every per-service series, the documented names, the connection status
 * mapping, default process/Node.js metrics and tlsmcp_build_info.
 */
import { describe, expect, it } from 'vitest';
import { connectionStatus, createProxyMetrics } from '../../../src/admin/metrics.js';
import { mcpCounterKey } from '../../../src/protocol/mcp-counters.js';
import { parsePrometheusText } from '../../helpers/prom-text.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const NOT_AFTER = new Date('2026-01-31T00:00:00Z');
const ev = (over: { result: 'accepted' | 'rejected' | 'error'; reason?: string; handshake_s?: number }) => ({ time: '', bytes_in: 3, bytes_out: 5, duration_ms: 1, ...over });

async function scrape() {
  const metrics = createProxyMetrics({ clock: () => NOW, version: '1.2.3' });
  metrics.certificate('api', NOT_AFTER);
  metrics.active('api', 1);
  metrics.connections('api', [
    ev({ result: 'accepted', handshake_s: 0.004 }),
    ev({ result: 'rejected', reason: 'no_certificate', handshake_s: 0.002 }),
    ev({ result: 'rejected', reason: 'revoked', handshake_s: 0.003 }),
    ev({ result: 'error', reason: 'backend_dial_failed' }),
  ]);
  metrics.revocations(1);
  metrics.mcp!('api', {
    [mcpCounterKey({ metric: 'definition_changes', kind: 'tool', tool: 'echo', outcome: 'changed' })]: 1,
    [mcpCounterKey({ metric: 'pinning_refused', kind: 'tool', tool: 'echo', outcome: 'changed' })]: 1,
    [mcpCounterKey({ metric: 'rate_limited', kind: '', tool: '', outcome: 'refused' })]: 1,
  });
  return parsePrometheusText(await metrics.registry.metrics());
}

describe('proxy metrics', () => {
  it('maps connection events to success, failed and revoked', () => {
    expect(connectionStatus({ result: 'accepted' })).toBe('success');
    expect(connectionStatus({ result: 'rejected', reason: 'revoked' })).toBe('revoked');
    expect(connectionStatus({ result: 'rejected', reason: 'policy' })).toBe('failed');
    expect(connectionStatus({ result: 'error', reason: 'backend_dial_failed' })).toBe('failed');
  });

  it('exposes the documented names with base units and a service label on every per-service series', async () => {
    const f = await scrape();
    const value = (name: string, labels: Record<string, string>) => f.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(f.get('tlsmcp_connections_total')?.type).toBe('counter');
    expect(value('tlsmcp_connections_total', { service: 'api', status: 'success' })).toBe(1);
    expect(value('tlsmcp_connections_total', { service: 'api', status: 'failed' })).toBe(2);
    expect(value('tlsmcp_connections_total', { service: 'api', status: 'revoked' })).toBe(1);
    expect(f.get('tlsmcp_handshake_duration_seconds')?.type).toBe('histogram');
    expect(value('tlsmcp_handshake_duration_seconds', { service: 'api', le: '0.005' })).toBe(3);
    expect(f.get('tlsmcp_cert_expiry_days')?.type).toBe('gauge');
    expect(value('tlsmcp_cert_expiry_days', { service: 'api' })).toBe(30);
    expect(value('tlsmcp_cert_expiry_timestamp_seconds', { service: 'api' })).toBe(NOT_AFTER.getTime() / 1000);
    expect(value('tlsmcp_revocation_events_total', {})).toBe(1);
    expect(value('tlsmcp_bytes_total', { service: 'api', direction: 'in' })).toBe(12);

    const perService = [...f.values()].filter((x) => x.name.startsWith('tlsmcp_') && !['tlsmcp_build_info', 'tlsmcp_fips_mode', 'tlsmcp_revocation_events_total'].includes(x.name));
    expect(perService.length).toBeGreaterThanOrEqual(7);
    for (const family of perService) {
      expect(family.samples.length, family.name).toBeGreaterThan(0);
      for (const s of family.samples) expect(s.labels.service, `${s.name} carries service`).toBe('api');
    }
    for (const name of f.keys()) expect(name, 'no non-base units').not.toMatch(/_(ms|milliseconds|minutes|hours|kilobytes)(_total)?$/);
    for (const family of f.values()) if (family.type === 'counter') expect(family.name, 'counters end in _total').toMatch(/_total$/);
  });

  it('carries the default process and Node.js metrics and tlsmcp_build_info', async () => {
    const f = await scrape();
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) expect(f.has(name), name).toBe(true);
    expect(f.get('tlsmcp_fips_mode')?.samples[0]?.value).toBe(0);
    const info = f.get('tlsmcp_build_info')!;
    expect(info.type).toBe('gauge');
    expect(info.samples).toEqual([{ name: 'tlsmcp_build_info', labels: { version: '1.2.3', node: process.versions.node, openssl: process.versions.openssl }, value: 1 }]);
  });
});
