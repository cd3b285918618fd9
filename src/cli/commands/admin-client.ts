/**
 * How `status` and `reload` reach a running sidecar: the runtime file in the
 * state dir names its admin endpoint, which they call over loopback HTTP.
 */
import type { Command } from 'commander';
import { TlsmcpError } from '../../errors.js';
import { readRuntimeFile, type RuntimeInfo } from '../../supervisor/runtime-file.js';
import { formatHostPort } from '../../util/address.js';
import type { CliContext } from '../context.js';
import { printJson } from '../output.js';

export function findRunning(ctx: CliContext, cmd: Command): { info: RuntimeInfo; base: string } {
  const stateDir = ctx.stateDir(cmd, ctx.loadConfig(cmd));
  const info = readRuntimeFile(stateDir);
  if (!info) {
    throw new TlsmcpError('ERR_NOT_RUNNING', `no running tlsmcp found for state dir ${stateDir}`, {
      fix: 'start it with `tlsmcp run --config FILE` (and pass the same --state or TLSMCP_HOME here)',
    });
  }
  if (!info.admin) {
    throw new TlsmcpError('ERR_NOT_RUNNING', `tlsmcp (pid ${info.pid}) runs with admin.enabled: false, so it cannot be reached`, {
      fix: `enable admin in its config, or send SIGHUP to pid ${info.pid} to reload`,
    });
  }
  const host = info.admin.host === '0.0.0.0' ? '127.0.0.1' : info.admin.host === '::' ? '::1' : info.admin.host;
  return { info, base: `http://${formatHostPort({ host, port: info.admin.port })}` };
}

/**
 * For `status` and `reload`: nothing running is an ordinary answer, not a
 * failure to explain at length: one line with the hint, exit 1.
 */
export function reportNotRunning(ctx: CliContext, err: unknown, json: boolean): number | undefined {
  if (!(err instanceof TlsmcpError) || err.code !== 'ERR_NOT_RUNNING') return undefined;
  if (json) printJson(ctx.io, { error: err.toJSON() });
  else ctx.io.stderr.write(`tlsmcp: ${err.code}: ${err.message}; ${err.fix ?? 'start it with `tlsmcp run --config FILE`'}\n`);
  return 1;
}

export async function callAdmin<T>(base: string, path: string, init: RequestInit = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new TlsmcpError('ERR_NOT_RUNNING', `cannot reach the admin endpoint at ${base}: ${(err as Error).message}`, {
      fix: 'check that `tlsmcp run` is still running',
      cause: err,
    });
  }
  const body = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok && body.error) throw new TlsmcpError('ERR_PROXY', `admin endpoint ${path}: ${body.error}`);
  return body;
}
