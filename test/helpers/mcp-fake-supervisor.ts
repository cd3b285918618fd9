/**
 * A Supervisor that records what the MCP tools ask of it, for unit tests of
 * the tool layer. The real supervisor (real workers, real TLS) is driven in
 * test/integration/mcp-agent-workflow.test.ts.
 */
import type { ReloadResult, RevokeResult, ServiceStatus, Supervisor } from '../../src/supervisor/types.js';

export interface FakeSupervisor extends Supervisor {
  revoked: string[][];
  reloads: { service?: string | undefined; hadConfig: boolean }[];
}

export function serviceStatus(name: string, overrides: Partial<ServiceStatus> = {}): ServiceStatus {
  return {
    name,
    mode: 'server',
    protocol: 'tcp',
    listen: '127.0.0.1:18443',
    backend: '127.0.0.1:18080',
    state: 'ready',
    worker: { thread_id: 1, restarts: 0, started_at: '2026-01-01T00:00:00.000Z' },
    connections: { active: 1, accepted: 5, rejected: 2, rejected_by_reason: { no_certificate: 1, revoked: 1 } },
    bytes: { in: 100, out: 200 },
    certificate: { source: 'ca', serial: 'abcd', not_after: '2030-01-01T00:00:00.000Z', days_left: 1000 },
    ...overrides,
  };
}

export function createFakeSupervisor(
  services: ServiceStatus[],
  options: { connectionsPerRevoke?: number; onRevoke?: (serials: string[]) => Promise<void> } = {},
): FakeSupervisor {
  const fake: FakeSupervisor = {
    revoked: [],
    reloads: [],
    async start() {},
    status: () => services,
    async reload({ service, config } = {}) {
      fake.reloads.push({ service, hadConfig: Boolean(config) });
      return services
        .filter((s) => !service || s.name === service)
        .map((s): ReloadResult => ({ service: s.name, reloaded: true, applied: ['certificate', 'policy'], needs_restart: [] }));
    },
    async revoke(serials) {
      fake.revoked.push(serials);
      await options.onRevoke?.(serials);
      return services.map((): RevokeResult => ({ serial: serials[0] ?? '', connections_closed: options.connectionsPerRevoke ?? 0 }));
    },
    async close() {},
  };
  return fake;
}
