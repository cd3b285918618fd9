/**
 * The posture score as the MCP tool and resource compute it: the collector of
 * the score issue fed from this process (config, CA, and, when the supervisor
 * runs here, the ports its listeners really bound), optionally scanning those
 * listeners with short timeouts.
 */
import type { Config } from '../config/schema.js';
import { scanTarget } from '../scan/index.js';
import { collectScoreInput, computeScore, type ScoreReport } from '../score/index.js';
import { parseHostPort } from '../util/address.js';
import type { McpServerDeps } from './deps.js';

const LISTENER_PROBE_TIMEOUT_MS = 1_500;
const LISTENER_DEADLINE_MS = 15_000;

/** The config with port 0 replaced by the port each running listener bound, so the listeners can be scanned. */
function withBoundPorts(deps: McpServerDeps): Config {
  const running = new Map((deps.supervisor?.status() ?? []).map((s) => [s.name, s.listen]));
  return {
    ...deps.config,
    services: deps.config.services.map((svc) => {
      const bound = running.get(svc.name);
      const parsed = bound ? parseHostPort(bound) : undefined;
      if (!parsed?.ok || svc.listen.address.port !== 0) return svc;
      return { ...svc, listen: { ...svc.listen, address: { host: svc.listen.address.host, port: parsed.value.port } } };
    }),
  };
}

export async function computeCurrentScore(deps: McpServerDeps, options: { scanListeners: boolean }): Promise<ScoreReport> {
  const caPem = deps.ca.exists() ? deps.ca.caCertPem() : undefined;
  const input = await collectScoreInput({
    config: withBoundPorts(deps),
    ca: deps.ca,
    clock: deps.clock,
    ...(deps.supervisor?.revocationsLoadedAt ? { revocationLoadedAt: deps.supervisor.revocationsLoadedAt() } : {}),
    ...(options.scanListeners
      ? {
          scanListener: async (_service, host, port) => {
            // Our own listeners: scan.allow/scan.deny govern outside targets, not these.
            const r = await scanTarget({ host, port, caPem, probeTimeoutMs: LISTENER_PROBE_TIMEOUT_MS, deadlineMs: LISTENER_DEADLINE_MS }, { logger: deps.logger });
            return { grade: r.grade?.grade ?? null, ...(r.error ? { note: r.error } : {}) };
          },
        }
      : {}),
  });
  return computeScore(input);
}
