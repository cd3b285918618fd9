/**
 * `tlsmcp score`: the 0-100 posture score of what this tlsmcp manages, with a
 * breakdown by category and the recommendations that win points back. Reads
 * the config and the CA in the state dir, and scans each server listener
 * (short timeouts) unless --no-scan.
 */
import type { Command } from 'commander';
import { createCertificateAuthority, ttlPolicyFromConfig } from '../../ca/index.js';
import { scanTarget } from '../../scan/index.js';
import { collectScoreInput, computeScore, renderScoreText } from '../../score/index.js';
import type { CliContext } from '../context.js';
import { printJson, printLine } from '../output.js';

const LISTENER_PROBE_TIMEOUT_MS = 1_500;
const LISTENER_DEADLINE_MS = 15_000;

export function registerScoreCommand(program: Command, ctx: CliContext): void {
  program
    .command('score')
    .description('score the posture of everything tlsmcp manages (0-100), with a breakdown and what to fix first')
    .option('--no-scan', 'do not scan the listeners (their grades are then not measured)')
    .option('--json', 'print the report as JSON')
    .action(async (flags: { scan: boolean; json?: boolean }, cmd: Command) =>
      ctx.run(cmd, flags.json === true, async () => {
        const config = ctx.loadConfig(cmd);
        const stateDir = ctx.stateDir(cmd, config);
        const logger = ctx.logger(cmd, config);
        const ca = createCertificateAuthority({ stateDir, policy: ttlPolicyFromConfig(config), logger });
        const caPem = ca.exists() ? ca.caCertPem() : undefined;
        const input = await collectScoreInput({
          config,
          ca,
          ...(flags.scan
            ? {
                scanListener: async (_service, host, port) => {
                  // Our own listeners: scan.allow/scan.deny govern outside targets, not these.
                  const r = await scanTarget({ host, port, caPem, probeTimeoutMs: LISTENER_PROBE_TIMEOUT_MS, deadlineMs: LISTENER_DEADLINE_MS }, { logger });
                  return { grade: r.grade?.grade ?? null, ...(r.error ? { note: r.error } : {}) };
                },
              }
            : {}),
        });
        const report = computeScore(input);
        if (flags.json) printJson(ctx.io, report);
        else for (const line of renderScoreText(report)) printLine(ctx.io, line);
        return 0;
      }),
    );
}
