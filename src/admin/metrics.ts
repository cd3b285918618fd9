/**
 * Prometheus metrics for the proxy, on a registry of their own (never
 * prom-client's global one, so two supervisors in one process do not clash).
 * Implements the supervisor's metrics hooks.
 *
 * Conventions: base units (seconds, bytes), `_total` counters, and every
 * per-service series carries `service`. The documents' names are kept:
 * `tlsmcp_connections_total{status="success|failed|revoked"}`,
 * `tlsmcp_cert_expiry_days` (beside `tlsmcp_cert_expiry_timestamp_seconds`),
 * `tlsmcp_revocation_events_total`; the walkthrough's
 * `tlsmcp_handshake_duration_ms` is `tlsmcp_handshake_duration_seconds`.
 * The registry also carries prom-client's default process and Node.js metrics
 * and `tlsmcp_build_info`, and the MCP front's pinning and rate-limit counters
 * (./mcp-metrics.ts). The supervisor drops the score's own probes before
 * they reach these hooks (src/score/probe-marks.ts).
 */
import { getFips } from 'node:crypto';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ConnectionEvent } from '../protocol/messages.js';
import type { SupervisorMetrics } from '../supervisor/supervisor.js';
import { createMcpMetrics } from './mcp-metrics.js';

export interface ProxyMetrics extends SupervisorMetrics {
  registry: Registry;
}

export interface ProxyMetricsOptions {
  clock?: () => Date;
  /** tlsmcp's version for `tlsmcp_build_info`. */
  version?: string;
  /** prom-client's default process_* and nodejs_* metrics (on by default). */
  defaultMetrics?: boolean;
}

const DAY_MS = 86_400_000;

/** `status` of `tlsmcp_connections_total`: success, revoked (a revoked certificate was refused), failed (anything else). */
export function connectionStatus(e: Pick<ConnectionEvent, 'result' | 'reason'>): 'success' | 'failed' | 'revoked' {
  if (e.result === 'accepted') return 'success';
  return e.reason === 'revoked' ? 'revoked' : 'failed';
}

export function createProxyMetrics({ clock = () => new Date(), version = 'unknown', defaultMetrics = true }: ProxyMetricsOptions = {}): ProxyMetrics {
  const registry = new Registry();
  // The event-loop lag monitor samples every 10 ms by default: 100 wake-ups a second of an
  // idle sidecar (bench/PROFILE.md item 9). 100 ms still shows lag an operator acts on.
  if (defaultMetrics) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
  new Gauge({
    name: 'tlsmcp_build_info',
    help: 'Always 1; the labels name the tlsmcp version and the Node.js and OpenSSL it runs on.',
    labelNames: ['version', 'node', 'openssl'] as const,
    registers: [registry],
  }).set({ version, node: process.versions.node, openssl: process.versions.openssl ?? 'unknown' }, 1);
  new Gauge({
    name: 'tlsmcp_fips_mode',
    help: "1 when Node's crypto runs in FIPS mode on an OpenSSL FIPS provider (fips_mode / --fips), else 0.",
    registers: [registry],
    collect() {
      this.set(getFips());
    },
  });
  const connections = new Counter({
    name: 'tlsmcp_connections_total',
    help: 'Finished TLS connections by service and status: success (accepted), failed (refused or broken), revoked (refused: revoked certificate).',
    labelNames: ['service', 'status'] as const,
    registers: [registry],
  });
  const rejections = new Counter({
    name: 'tlsmcp_rejections_total',
    help: 'Refused connections by service and reason (policy, revoked, no_certificate, ...).',
    labelNames: ['service', 'reason'] as const,
    registers: [registry],
  });
  const active = new Gauge({ name: 'tlsmcp_active_connections', help: 'Connections open now.', labelNames: ['service'] as const, registers: [registry] });
  const handshake = new Histogram({
    name: 'tlsmcp_handshake_duration_seconds',
    help: 'Time from TCP accept to the end of the TLS handshake, in seconds.',
    labelNames: ['service'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const bytes = new Counter({
    name: 'tlsmcp_bytes_total',
    help: 'Bytes forwarded by service: in (client to backend), out (backend to client).',
    labelNames: ['service', 'direction'] as const,
    registers: [registry],
  });
  const notAfter = new Map<string, number>();
  new Gauge({
    name: 'tlsmcp_cert_expiry_days',
    help: 'Days until the service certificate expires.',
    labelNames: ['service'] as const,
    registers: [registry],
    // Computed at scrape time so the value keeps falling between renewals.
    collect() {
      for (const [service, at] of notAfter) this.set({ service }, Math.floor(((at - clock().getTime()) / DAY_MS) * 100) / 100);
    },
  });
  new Gauge({
    name: 'tlsmcp_cert_expiry_timestamp_seconds',
    help: 'When the service certificate expires (notAfter), in Unix seconds.',
    labelNames: ['service'] as const,
    registers: [registry],
    collect() {
      for (const [service, at] of notAfter) this.set({ service }, at / 1000);
    },
  });
  const revocations = new Counter({ name: 'tlsmcp_revocation_events_total', help: 'Certificate revocations processed (pushed to the workers).', registers: [registry] });
  const mcp = createMcpMetrics(registry);

  return {
    registry,
    connections(service, events) {
      let bytesIn = 0;
      let bytesOut = 0;
      for (const e of events) {
        connections.inc({ service, status: connectionStatus(e) });
        if (e.reason) rejections.inc({ service, reason: e.reason });
        if (e.handshake_s !== undefined) handshake.observe({ service }, e.handshake_s);
        bytesIn += e.bytes_in;
        bytesOut += e.bytes_out;
      }
      if (bytesIn) bytes.inc({ service, direction: 'in' }, bytesIn);
      if (bytesOut) bytes.inc({ service, direction: 'out' }, bytesOut);
    },
    active(service, count) {
      active.set({ service }, count);
    },
    certificate(service, at) {
      notAfter.set(service, at.getTime());
    },
    revocations(count) {
      revocations.inc(count);
    },
    mcp,
  };
}
