/**
 * `tlsmcp score`: the 0-100 posture score of what this tlsmcp manages, with a
 * breakdown by category and the recommendations that win points back. Reads
 * the config and the CA in the state dir; when a `tlsmcp run` is running for
 * that state dir, reads its live figures (serials in live connections,
 * revocation freshness, bound ports) through its admin endpoint, as `status`
 * does, and marks the listener scans' probes there so they are not counted as
 * rejected clients. Scans each server listener (short timeouts) unless --no-scan.
 */
import type { Command } from 'commander';
import { createCertificateAuthority, ttlPolicyFromConfig } from '../../ca/index.js';
import { loadConfigFile } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { collectScoreInput, computeScore, renderScoreText } from '../../score/index.js';
import { createListenerScanner, withBoundPorts, type MarkProbes } from '../../score/listener-scan.js';
import { readRuntimeFile, type RuntimeInfo } from '../../supervisor/runtime-file.js';
import { formatHostPort } from '../../util/address.js';
import type { CliContext } from '../context.js';
import { printJson, printLine } from '../output.js';
import { callAdmin } from './admin-client.js';

interface LiveFigures {
  revocation_loaded_at: string | null;
  live_serials: string[] | null;
  services: { name: string; listen: string }[];
}

function adminBase(info: RuntimeInfo): string | undefined {
  if (!info.admin) return undefined;
  const host = info.admin.host === '0.0.0.0' ? '127.0.0.1' : info.admin.host === '::' ? '::1' : info.admin.host;
  return `http://${formatHostPort({ host, port: info.admin.port })}`;
}

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
        const running = readRuntimeFile(stateDir);
        // No --config given: score what the running instance was started with.
        const explicitConfig = ctx.globals(cmd).config ?? ctx.io.env.TLSMCP_CONFIG;
        if (!explicitConfig && running?.config_file) config = loadConfigFile(running.config_file);
        const base = running ? adminBase(running) : undefined;
        let live: LiveFigures | undefined;
        let liveSource: string | null = null;
        let liveProblem: string | undefined;
        if (base) {
          try {
            live = await callAdmin<LiveFigures>(base, '/score/live');
            if (!Array.isArray(live.services)) {
              live = undefined;
              liveProblem = `the admin endpoint ${base} has no /score/live (an older tlsmcp)`;
            } else liveSource = `admin endpoint ${base} of tlsmcp pid ${running?.pid}`;
          } catch (err) {
            live = undefined;
            liveProblem = (err as Error).message;
          }
        } else if (running) {
          liveProblem = `tlsmcp pid ${running.pid} runs without an admin endpoint (admin.enabled: false)`;
        }
        const markProbes: MarkProbes | undefined = live && base
          ? async (peer) => {
              const { id } = await callAdmin<{ id: number }>(base, '/score/probes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ peer }) });
              return async () => void (await callAdmin(base, `/score/probes/${id}`, { method: 'DELETE' }).catch(() => undefined));
            }
          : undefined;
        const ca = createCertificateAuthority({ stateDir, policy: ttlPolicyFromConfig(config), logger });
        const caPem = ca.exists() ? ca.caCertPem() : undefined;
        const input = await collectScoreInput({
          config: live ? withBoundPorts(config, live.services) : config,
          ca,
          ...(live ? { revocationLoadedAt: live.revocation_loaded_at, ...(live.live_serials ? { liveSerials: live.live_serials } : {}) } : {}),
          liveSource: liveSource ?? (liveProblem ? `none: ${liveProblem}` : null),
          ...(flags.scan ? { scanListener: createListenerScanner({ caPem, logger, markProbes }) } : {}),
        });
        const report = computeScore(input);
        if (flags.json) printJson(ctx.io, report);
        else for (const line of renderScoreText(report)) printLine(ctx.io, line);
        return 0;
      }),
    );
}
