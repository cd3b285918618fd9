/**
 * The posture score as the MCP tool and resource compute it: the collector fed
 * from this process (config, CA, and, when the supervisor runs here, its live
 * serials, revocation freshness and the ports its listeners really bound),
 * optionally scanning those listeners with their probes marked as the score's.
 */
import { collectScoreInput, computeScore, type ScoreReport } from '../score/index.js';
import { createListenerScanner, withBoundPorts, type MarkProbes } from '../score/listener-scan.js';
import type { McpServerDeps } from './deps.js';

export async function computeCurrentScore(deps: McpServerDeps, options: { scanListeners: boolean }): Promise<ScoreReport> {
  const caPem = deps.ca.exists() ? deps.ca.caCertPem() : undefined;
  const sup = deps.supervisor;
  const markProbes: MarkProbes | undefined =
    sup?.markScoreProbes && sup.releaseScoreProbes
      ? async (peer) => {
          const id = sup.markScoreProbes!(peer);
          return async () => void sup.releaseScoreProbes!(id);
        }
      : undefined;
  const input = await collectScoreInput({
    config: withBoundPorts(deps.config, sup?.status() ?? []),
    ca: deps.ca,
    clock: deps.clock,
    ...(sup?.revocationsLoadedAt ? { revocationLoadedAt: sup.revocationsLoadedAt() } : {}),
    ...(sup?.liveSerials ? { liveSerials: sup.liveSerials() } : {}),
    liveSource: sup ? 'this process (the supervisor runs here)' : null,
    ...(options.scanListeners ? { scanListener: createListenerScanner({ caPem, logger: deps.logger, markProbes }) } : {}),
  });
  return computeScore(input);
}
