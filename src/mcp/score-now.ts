/**
 * The posture score as the MCP tool and resource compute it: the collector fed
 * from this process (config, CA) and the live figures (serials in live
 * connections, revocation freshness, the ports the listeners really bound)
 * from the supervisor when it runs here, else from a `tlsmcp run` for the same
 * state dir through its admin endpoint; optionally scanning those listeners
 * with their probes marked as the score's.
 */
import { collectScoreInput, computeScore, type CollectScoreOptions, type ScoreReport } from '../score/index.js';
import { createListenerScanner, withBoundPorts, type MarkProbes } from '../score/listener-scan.js';
import { findRunningInstance } from '../score/live-admin.js';
import type { McpServerDeps } from './deps.js';

/** The live figures from the supervisor in this process, else from a `tlsmcp run` for the same state dir. */
async function liveFigures(deps: McpServerDeps): Promise<Partial<CollectScoreOptions> & { markProbes?: MarkProbes; running: { name: string; listen: string }[] }> {
  const sup = deps.supervisor;
  if (sup) {
    const markProbes: MarkProbes | undefined =
      sup.markScoreProbes && sup.releaseScoreProbes
        ? async (peer) => {
            const id = sup.markScoreProbes!(peer);
            return async () => void sup.releaseScoreProbes!(id);
          }
        : undefined;
    return {
      running: sup.status(),
      ...(sup.revocationsLoadedAt ? { revocationLoadedAt: sup.revocationsLoadedAt() } : {}),
      ...(sup.liveSerials ? { liveSerials: sup.liveSerials() } : {}),
      liveSource: 'this process (the supervisor runs here)',
      ...(markProbes ? { markProbes } : {}),
    };
  }
  const other = await findRunningInstance(deps.stateDir);
  const live = other?.live;
  if (!live) return { running: [], liveSource: other?.problem ? `none: ${other.problem}` : null };
  return {
    running: live.figures.services,
    revocationLoadedAt: live.figures.revocation_loaded_at,
    ...(live.figures.live_serials ? { liveSerials: live.figures.live_serials } : {}),
    liveSource: live.source,
    markProbes: live.markProbes,
  };
}

export async function computeCurrentScore(deps: McpServerDeps, options: { scanListeners: boolean }): Promise<ScoreReport> {
  const caPem = deps.ca.exists() ? deps.ca.caCertPem() : undefined;
  const { running, markProbes, ...live } = await liveFigures(deps);
  const input = await collectScoreInput({
    ...live,
    config: withBoundPorts(deps.config, running),
    ca: deps.ca,
    clock: deps.clock,
    ...(options.scanListeners ? { scanListener: createListenerScanner({ caPem, logger: deps.logger, markProbes }) } : {}),
  });
  return computeScore(input);
}
