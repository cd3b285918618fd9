/**
 * Prometheus metrics for the proxy, on a registry of their own (never
 * prom-client's global one, so two supervisors in one process do not clash).
 * Implements the supervisor's metrics hooks.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SupervisorMetrics } from '../supervisor/supervisor.js';

export interface ProxyMetrics extends SupervisorMetrics {
  registry: Registry;
}

const DAY_MS = 86_400_000;

export function createProxyMetrics({ clock = () => new Date() }: { clock?: () => Date } = {}): ProxyMetrics {
  const registry = new Registry();
  const connections = new Counter({
    name: 'tlsmcp_connections_total',
    help: 'Connections by service and result (accepted, rejected, error).',
    labelNames: ['service', 'result'] as const,
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
    help: 'Time from TCP accept to the end of the TLS handshake.',
    labelNames: ['service'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const bytes = new Counter({ name: 'tlsmcp_bytes_total', help: 'Bytes forwarded: in (client to backend), out (backend to client).', labelNames: ['direction'] as const, registers: [registry] });
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
  const revocations = new Counter({ name: 'tlsmcp_revocation_events_total', help: 'Revocations seen and pushed to the workers.', registers: [registry] });

  return {
    registry,
    connections(service, events) {
      let bytesIn = 0;
      let bytesOut = 0;
      for (const e of events) {
        connections.inc({ service, result: e.result });
        if (e.reason) rejections.inc({ service, reason: e.reason });
        if (e.handshake_s !== undefined) handshake.observe({ service }, e.handshake_s);
        bytesIn += e.bytes_in;
        bytesOut += e.bytes_out;
      }
      if (bytesIn) bytes.inc({ direction: 'in' }, bytesIn);
      if (bytesOut) bytes.inc({ direction: 'out' }, bytesOut);
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
  };
}
