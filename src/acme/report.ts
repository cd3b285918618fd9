/**
 * ACME state where operators look: the admin `/health` (which service's
 * certificate cannot be obtained, the last error, the next attempt) and
 * Prometheus (`tlsmcp_acme_failures_total{service}`,
 * `tlsmcp_acme_next_retry_timestamp_seconds{service}`). Both read the
 * manager's state when asked; nothing is copied.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AcmeServiceState } from './manager.js';

export interface AcmeHealth {
  service: string;
  /** Failed attempts in a row. */
  failures: number;
  last_error: string | undefined;
  next_attempt: string | undefined;
}

/** The services whose last ACME attempt failed (empty when all are fine). */
export function acmeFailures(states: AcmeServiceState[]): AcmeHealth[] {
  return states.filter((s) => s.failures > 0).map((s) => ({ service: s.service, failures: s.failures, last_error: s.last_error, next_attempt: s.next_attempt }));
}

export function registerAcmeMetrics(registry: Registry, states: () => AcmeServiceState[]): void {
  new Counter({
    name: 'tlsmcp_acme_failures_total',
    help: 'Failed ACME orders (renewals) by service since start.',
    labelNames: ['service'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of states()) this.inc({ service: s.service }, s.failures_total ?? 0);
    },
  });
  new Gauge({
    name: 'tlsmcp_acme_next_retry_timestamp_seconds',
    help: 'When the next ACME attempt for the service is due (Unix seconds): the renewal date, or the retry after a failure.',
    labelNames: ['service'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of states()) if (s.next_attempt) this.set({ service: s.service }, Date.parse(s.next_attempt) / 1000);
    },
  });
}
