/**
 * The action behind `tlsmcp renew --watch` and `tlsmcp cert renew --watch`:
 * the renewal daemon in the foreground (SIGINT/SIGTERM stop it), or one pass
 * with --once. A renewed certificate goes live in a running `tlsmcp run` of
 * the same state dir through its admin endpoint's reload.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { createRenewDaemon } from '../../renew/daemon.js';
import { readRuntimeFile } from '../../supervisor/runtime-file.js';
import type { ReloadResult } from '../../supervisor/types.js';
import { formatHostPort } from '../../util/address.js';
import { checkDurationBounds, DURATION_HINT, parseDuration } from '../../util/duration.js';
import type { CliContext } from '../context.js';
import { printJson } from '../output.js';
import { callAdmin } from './admin-client.js';
import { openCa } from './cert/shared.js';

export interface RenewWatchOptions {
  watch?: boolean;
  once?: boolean;
  interval: number;
  json?: boolean;
}

const INTERVAL_BOUNDS = { min: 100, max: 86_400_000 };

export function parseIntervalOption(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError(`--interval ${value}: not a duration; ${DURATION_HINT}.`);
  const problem = checkDurationBounds(ms, INTERVAL_BOUNDS);
  if (problem) throw new InvalidArgumentError(`--interval ${value}: ${problem}.`);
  return ms;
}

/** Asks the tlsmcp running on `stateDir` (if any) to reload `service`; resolves to its admin address. */
async function activateInRunning(stateDir: string, service: string): Promise<string | undefined> {
  const info = readRuntimeFile(stateDir);
  if (!info?.admin) return undefined;
  const host = info.admin.host === '0.0.0.0' || info.admin.host === '' ? '127.0.0.1' : info.admin.host === '::' ? '::1' : info.admin.host;
  const base = `http://${formatHostPort({ host, port: info.admin.port })}`;
  const { results } = await callAdmin<{ results: ReloadResult[] }>(base, '/reload', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ service }),
  });
  const failed = results.find((r) => r.error);
  if (failed) throw new Error(`reload of ${service} failed: ${failed.error}`);
  return `tlsmcp pid ${info.pid}`;
}

export async function runRenewWatch(ctx: CliContext, cmd: Command, opts: RenewWatchOptions): Promise<number> {
  const opened = openCa(ctx, cmd);
  // A daemon: it logs at the config's level (info by default), not the CLI's warn.
  const logger = ctx.logger(cmd, opened.config);
  const daemon = createRenewDaemon({ ca: opened.ca, config: opened.config, logger, activate: (service) => activateInRunning(opened.stateDir, service) });
  try {
    if (opts.once || !opts.watch) {
      const outcomes = await daemon.checkOnce();
      if (opts.json) printJson(ctx.io, { outcomes });
      return outcomes.some((o) => o.result === 'failed') ? 1 : 0;
    }
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    logger.info({ event: 'renew_watch', interval_ms: opts.interval, state_dir: opened.stateDir }, 'watching certificates for renewal');
    try {
      await daemon.watch(opts.interval, stop.signal);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    logger.info({ event: 'renew_watch_stopped' }, 'stopped');
    logger.flush();
    return 0;
  } finally {
    await opened.close();
  }
}
