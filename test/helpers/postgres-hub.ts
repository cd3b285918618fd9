/**
 * Hub replicas on a shared PostgreSQL database, as real `tlsmcp hub serve`
 * processes (same state dir = the shared CA), and the CLI calls that take
 * --database-url. Sidecars, admin clients and TLS clients come from hub-fleet.ts.
 */
import { spawn } from 'node:child_process';
import { CLI_BIN, runCli } from './cli.js';
import type { HubProcess } from './hub-fleet.js';
import { eventWithin, waitFor } from './proxy-wait.js';

export async function startHubReplica(stateDir: string, databaseUrl: string, listen = '127.0.0.1:0'): Promise<HubProcess> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TLSMCP_')) env[k] = v;
  // The URL travels in the environment, not argv, as a deployment would pass a secret.
  env.TLSMCP_HUB_DATABASE_URL = databaseUrl;
  const child = spawn(process.execPath, [CLI_BIN, 'hub', 'serve', '--state', stateDir, '--listen', listen, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await eventWithin(child, 'exit', 15_000).catch(async () => {
      child.kill('SIGKILL');
      await eventWithin(child, 'exit', 5_000);
    });
  };
  const url = await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`hub serve exited early:\n${out}`);
      return /hub listening on (https:\/\/\S+)/.exec(out)?.[1];
    },
    { timeoutMs: 60_000, what: 'hub serve to listen' },
  );
  return { child, output: () => out, stop: () => stop(), url, port: Number(new URL(url).port) };
}

export async function hubInitWithDatabase(stateDir: string, databaseUrl: string): Promise<void> {
  const r = await runCli(['hub', 'init', '--state', stateDir, '--database-url', databaseUrl]);
  if (r.code !== 0) throw new Error(`hub init failed:\n${r.stderr}${r.stdout}`);
}

export async function createTokenInDatabase(stateDir: string, databaseUrl: string, serviceId: string): Promise<string> {
  const r = await runCli(['hub', 'token', 'create', '--state', stateDir, '--service-id', serviceId, '--json'], { env: { TLSMCP_HUB_DATABASE_URL: databaseUrl } });
  if (r.code !== 0) throw new Error(`token create failed:\n${r.stderr}${r.stdout}`);
  return (JSON.parse(r.stdout) as { token: string }).token;
}

/** How many times a sidecar's log says it started following the Hub at `url`. */
/** The Hub URL a sidecar's follower connected to last (from its `hub_connected` log lines). */
export function lastConnectedUrl(output: string): string | undefined {
  const line = output.split('\n').filter((l) => l.includes('"hub_connected"')).at(-1);
  return line ? /"url":"([^"]+)"/.exec(line)?.[1] : undefined;
}

export function connectionsTo(output: string, url: string): number {
  return output.split('\n').filter((line) => line.includes('"hub_connected"') && line.includes(`"url":"${url}"`)).length;
}
