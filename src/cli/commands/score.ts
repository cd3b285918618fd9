/**
 * `tlsmcp score`: the 0-100 posture score of what this tlsmcp manages, with a
 * breakdown by category and the recommendations that win points back. Reads
 * the config and the CA in the state dir; when a `tlsmcp run` is running for
 * that state dir, reads its live figures (serials in live connections,
 * revocation freshness, bound ports) through its admin endpoint, as `status`
 * does, and marks the listener scans' probes there so they are not counted as
 * rejected clients. Scans each server listener (short timeouts) unless --no-scan.
 * With hub.url set it prints the fleet score from the Hub instead, or, when the
 * Hub is unreachable, this local score marked as such.
 */
import type { Command } from 'commander';
import { createCertificateAuthority, ttlPolicyFromConfig } from '../../ca/index.js';
import { loadConfigFile } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { collectScoreInput, computeScore, renderScoreText } from '../../score/index.js';
import { createListenerScanner, withBoundPorts } from '../../score/listener-scan.js';
import { findRunningInstance } from '../../score/live-admin.js';
import { scopeLine, scoreWithHub, type ScopedScoreReport } from '../../hub/fleet-score.js';
import type { CliContext } from '../context.js';
import { printJson, printLine } from '../output.js';

export function registerScoreCommand(program: Command, ctx: CliContext): void {
  program
    .command('score')
    .description('score the posture of everything tlsmcp manages (0-100), with a breakdown and what to fix first')
    .option('--no-scan', 'do not scan the listeners (their grades are then not measured)')
    .option('--json', 'print the report as JSON')
    .action(async (flags: { scan: boolean; json?: boolean }, cmd: Command) =>
      ctx.run(cmd, flags.json === true, async () => {
        let config: Config = ctx.loadConfig(cmd);
        const stateDir = ctx.stateDir(cmd, config);
        const logger = ctx.logger(cmd, config);
        const running = await findRunningInstance(stateDir);
        // No --config given: score what the running instance was started with.
        const explicitConfig = ctx.globals(cmd).config ?? ctx.io.env.TLSMCP_CONFIG;
        if (!explicitConfig && running?.configFile) config = loadConfigFile(running.configFile);
        const localScore = async () => {
          const live = running?.live;
          const ca = createCertificateAuthority({ stateDir, policy: ttlPolicyFromConfig(config), logger });
          const caPem = ca.exists() ? ca.caCertPem() : undefined;
          const input = await collectScoreInput({
            config: live ? withBoundPorts(config, live.figures.services) : config,
            ca,
            ...(live ? { revocationLoadedAt: live.figures.revocation_loaded_at, ...(live.figures.live_serials ? { liveSerials: live.figures.live_serials } : {}) } : {}),
            liveSource: live?.source ?? (running?.problem ? `none: ${running.problem}` : null),
            ...(flags.scan ? { scanListener: createListenerScanner({ caPem, logger, markProbes: live?.markProbes }) } : {}),
          });
          return computeScore(input);
        };
        const settings = config.hub_settings;
        const report: ScopedScoreReport = settings ? await scoreWithHub({ settings, stateDir, local: localScore }) : await localScore();
        if (flags.json) printJson(ctx.io, report);
        else {
          if (report.hub) printLine(ctx.io, scopeLine(report.hub));
          for (const line of renderScoreText(report)) printLine(ctx.io, line);
        }
        return 0;
      }),
    );
}
