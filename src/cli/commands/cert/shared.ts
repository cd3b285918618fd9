/**
 * What the `init`, `cert` and `ca` commands share: opening the CA over the
 * resolved state dir with the config's TTL policy, option parsers that name the
 * flag at fault, and an action wrapper that gives usage errors exit code 2.
 */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { createCertificateAuthority, ttlPolicyFromConfig, type CertificateAuthority } from '../../../ca/index.js';
import type { Config } from '../../../config/schema.js';
import { isTlsmcpError } from '../../../errors.js';
import { createAuditLog } from '../../../state/audit-log.js';
import { statePaths } from '../../../state/state-dir.js';
import { DURATION_HINT, parseDuration } from '../../../util/duration.js';
import type { CliContext } from '../../context.js';
import { reportError } from '../../output.js';

export const EXIT_USAGE = 2;

export interface OpenedCa {
  ca: CertificateAuthority;
  config: Config;
  stateDir: string;
  /** Flushes the audit log; call once the command is done. */
  close(): Promise<void>;
}

/** The CA of the state dir the global flags choose, with the config's TTL policy. */
export function openCa(ctx: CliContext, cmd: Command): OpenedCa {
  const config = ctx.loadConfig(cmd);
  const stateDir = ctx.stateDir(cmd, config);
  // The CLI logs at warn unless --log-level says otherwise: its output is the result, not a log.
  const logger = ctx.logger(cmd, config, { cliLevel: true });
  const audit = createAuditLog(statePaths(stateDir).auditLog, { enabled: config.logging.audit });
  const ca = createCertificateAuthority({ stateDir, policy: ttlPolicyFromConfig(config), logger, audit });
  return { ca, config, stateDir, close: () => audit.close() };
}

/** Runs an action with the CA open; usage errors (bad arguments) exit 2, others 1. */
export async function runWithCa(
  ctx: CliContext,
  cmd: Command,
  json: boolean,
  action: (opened: OpenedCa) => Promise<number | void>,
): Promise<void> {
  await ctx.run(cmd, json, async () => {
    let opened: OpenedCa | undefined;
    try {
      opened = openCa(ctx, cmd);
      return await action(opened);
    } catch (err) {
      if (isTlsmcpError(err) && (err.code === 'ERR_ARGUMENT_INVALID' || err.code === 'ERR_BAD_ARGUMENT')) {
        reportError(ctx.io, err, json);
        return EXIT_USAGE;
      }
      throw err;
    } finally {
      await opened?.close();
    }
  });
}

/** commander parser for --ttl: a duration such as 90s, 5m, 24h, 30d. */
export function parseTtlOption(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError(`--ttl ${value}: not a duration; ${DURATION_HINT}.`);
  return ms;
}

/** commander parser for a repeatable --ip. */
export function collectIp(value: string, previous: string[] = []): string[] {
  if (isIP(value) === 0) throw new InvalidArgumentError(`--ip ${value}: not an IPv4 or IPv6 address.`);
  return [...previous, value];
}

/** commander parser for repeatable options (--dns, --uri). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function resolvePath(ctx: CliContext, path: string): string {
  return resolve(ctx.io.cwd, path);
}

/** "in 6 days", "2 days ago", "in 5 hours". */
export function relativeTime(iso: string, now = Date.now()): string {
  const ms = Date.parse(iso) - now;
  const abs = Math.abs(ms);
  const [n, unit] = abs >= 86_400_000 ? [Math.floor(abs / 86_400_000), 'day'] : abs >= 3_600_000 ? [Math.floor(abs / 3_600_000), 'hour'] : [Math.max(1, Math.floor(abs / 60_000)), 'minute'];
  const text = `${n} ${unit}${n === 1 ? '' : 's'}`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}
