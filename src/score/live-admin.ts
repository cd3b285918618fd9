/**
 * The score's view of a `tlsmcp run` running for the same state dir: found
 * through the runtime file, read through its admin endpoint (`GET
 * /score/live`: live serials, revocation freshness, bound listeners), and
 * asked to mark the score's probe source (`POST`/`DELETE /score/probes`).
 * Used by the CLI and by an MCP server that does not run the supervisor itself.
 */
import { readRuntimeFile } from '../supervisor/runtime-file.js';
import { formatHostPort } from '../util/address.js';
import type { MarkProbes } from './listener-scan.js';

export interface LiveFigures {
  revocation_loaded_at: string | null;
  live_serials: string[] | null;
  services: { name: string; listen: string }[];
}

export interface RunningInstance {
  /** The figures and where they came from; undefined when they could not be read (see `problem`). */
  live: { figures: LiveFigures; source: string; markProbes: MarkProbes } | undefined;
  problem: string | undefined;
  /** The config file the instance was started with. */
  configFile: string | null;
}

const TIMEOUT_MS = 10_000;

async function adminJson<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  const body = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: HTTP ${res.status}${body.error ? ` (${body.error})` : ''}`);
  return body;
}

/** The running instance for `stateDir`, or undefined when none runs. Never throws. */
export async function findRunningInstance(stateDir: string): Promise<RunningInstance | undefined> {
  const info = readRuntimeFile(stateDir);
  if (!info) return undefined;
  const configFile = info.config_file;
  if (!info.admin) return { live: undefined, problem: `tlsmcp pid ${info.pid} runs without an admin endpoint (admin.enabled: false)`, configFile };
  const host = info.admin.host === '0.0.0.0' ? '127.0.0.1' : info.admin.host === '::' ? '::1' : info.admin.host;
  const base = `http://${formatHostPort({ host, port: info.admin.port })}`;
  try {
    const figures = await adminJson<LiveFigures>(`${base}/score/live`);
    if (!Array.isArray(figures.services)) return { live: undefined, problem: `the admin endpoint ${base} has no /score/live (an older tlsmcp)`, configFile };
    const markProbes: MarkProbes = async (peer) => {
      const { id } = await adminJson<{ id: number }>(`${base}/score/probes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ peer }) });
      return async () => void (await adminJson(`${base}/score/probes/${id}`, { method: 'DELETE' }).catch(() => undefined));
    };
    return { live: { figures, source: `admin endpoint ${base} of tlsmcp pid ${info.pid}`, markProbes }, problem: undefined, configFile };
  } catch (err) {
    return { live: undefined, problem: `cannot read the admin endpoint ${base}: ${(err as Error).message}`, configFile };
  }
}
